using SalesOps.Domain;
using SalesOps.Reference;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>What the harness concludes of an event the engine answered UNAVAILABLE in a batch, applied or not.</summary>
public enum Fate
{
    /// <summary>Not applied by the batch (or it makes no difference, the reference holding it already): re-sent after it.</summary>
    NotApplied,

    /// <summary>Applied where it stood in the batch: the reference takes it there.</summary>
    Applied,

    /// <summary>
    /// A copy of it earlier in the batch also failed and was re-sent first: that re-send told for both (the reference took
    /// the event at that copy's place if the batch had applied it), so this copy is settled as not applied.
    /// </summary>
    ToldByEarlierCopy,

    /// <summary>
    /// Its re-send was refused as beyond the de-dup window (the batch's newer events of its entity moved it): applied or
    /// not, the figures tell.
    /// </summary>
    Unknown,
}

/// <summary>
/// How the grain differential learns whether an event answered UNAVAILABLE, by a call whose failure may have come
/// before or after it applied, was applied: from the answer to a later copy of it in the batch, or else from the answer
/// to its own re-send after the batch (docs/semantics.md: "Re-send it; a re-send answers DUPLICATE if it was").
/// </summary>
/// <remarks>
/// A history re-delivers exact copies of an event, sometimes in the same batch. When two copies both answer UNAVAILABLE,
/// both are re-sent after the batch, in batch order; the first re-send applies the event if the batch did not, so the
/// second answers DUPLICATE whatever the batch did. That DUPLICATE is the engine's correct answer to a re-send, but it
/// says nothing about the second copy's fate in the batch: only the first re-send tells, and it tells for every copy of
/// the batch before the next answered one. Taking the second DUPLICATE as "applied in the batch" put the event in the
/// reference at the second copy's place, and the first re-send's ACCEPTED then disagreed with it: the CI failures of
/// memory seeds 20 and 113 had that signature, and <c>SALESOPS_GRAIN_DIFF_INGEST_FAULTS=0.6</c> reproduced it (4 of 40
/// sequences) until the first re-send was made to tell for every copy.
/// </remarks>
public static class UnavailableFate
{
    /// <summary>
    /// The fate of <c>batch[index]</c>, answered UNAVAILABLE, and the answer that told it (for the log).
    /// </summary>
    /// <param name="outcomes">The batch's answers.</param>
    /// <param name="resent">
    /// Per position, the answer to that event's re-send after the batch, where it was re-sent (they go out in batch order,
    /// after the whole batch); <c>resent[index]</c> must be set.
    /// </param>
    /// <param name="reference">What the reference, before <c>batch[index]</c>, would answer to it.</param>
    public static (Fate Fate, string Source) Judge(
        IReadOnlyList<SalesEvent> batch, IReadOnlyList<Outcome> outcomes, IReadOnlyList<Outcome?> resent, int index, Verdict reference)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(resent);
        var e = batch[index];

        // A copy answered later in the batch was decided after this one applied or not: its answer tells.
        for (var j = index + 1; j < batch.Count; j++)
        {
            if (SameDelivery(batch[j], e) && outcomes[j].Code != OutcomeCode.Unavailable)
            {
                return Told(outcomes[j], reference, $"its copy {j - index} later in the batch answered {outcomes[j].Code} {outcomes[j].Field}");
            }
        }

        // An earlier copy re-sent first: its re-send told for this copy too (and took the event if the batch had not), so
        // this one's re-send tells nothing of the batch.
        for (var k = 0; k < index; k++)
        {
            if (SameDelivery(batch[k], e) && resent[k] is { Code: not OutcomeCode.Unavailable } first)
            {
                return (Fate.ToldByEarlierCopy, $"its copy {index - k} earlier in the batch was re-sent first and answered {first.Code} {first.Field}, for both");
            }
        }

        var again = resent[index] ?? throw new ArgumentException($"event {index} was not re-sent", nameof(resent));
        return Told(again, reference, $"its re-send answered {again.Code} {again.Field}");
    }

    /// <summary>The same event delivered again: the history re-delivers the very event (same id, same payload).</summary>
    private static bool SameDelivery(SalesEvent a, SalesEvent b) => a.Equals(b);

    private static (Fate, string) Told(Outcome told, Verdict reference, string source) => told switch
    {
        { Code: OutcomeCode.FailedPrecondition, Field: "occurred_at" } when reference == Verdict.Accepted => (Fate.Unknown, source),
        { Code: OutcomeCode.Duplicate } when reference != Verdict.Duplicate => (Fate.Applied, source),
        _ => (Fate.NotApplied, source),
    };
}
