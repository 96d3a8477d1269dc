namespace SalesOps.Domain;

/// <summary>What a rep refuses before it applies an event: a re-send, a rep not joined, an event after the leave.</summary>
public sealed partial class RepState
{
    /// <summary>
    /// The refusal of an event dated at or after the rep's leave; null when the rep is with the company or the event is
    /// dated before the leave (a late one: history stays where it was earned).
    /// </summary>
    public Outcome? AfterLeaving(SalesEvent e, string repField) =>
        Left is { } left && e.OccurredAt >= left.At
            ? Outcome.Conflict(
                repField,
                $"rep '{Id}' left the company on {left.On:yyyy-MM-dd}; events about them dated from then on are refused")
            : null;

    private Outcome? Guard(SalesEvent e, string repField = "rep_id")
    {
        if (Dedup(e) is { } known)
        {
            return known;
        }

        if (!IsJoined)
        {
            return Outcome.NotFound(repField, $"rep '{Id}' has not joined");
        }

        if (AfterLeaving(e, repField) is { } gone)
        {
            return gone;
        }

        _seen.Add(e.EventId, e.OccurredAt);
        return null;
    }

    /// <summary>De-duplication, the first rule of every rep event: null for an event to apply.</summary>
    private Outcome? Dedup(SalesEvent e) => _seen.Check(e.EventId, e.OccurredAt) switch
    {
        DedupVerdict.New => null,
        DedupVerdict.Duplicate => Outcome.Duplicate,
        _ => _seen.Refusal($"rep '{Id}'"),
    };
}
