using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>
/// An activity logged against a deal (<see cref="ActivityLogged.OpportunityId"/>), sent by the rep book that accepted
/// it to the deal's book, which joins it with the deal (ADR 0023).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.DealTouch")]
public sealed record DealTouch(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string RepId,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] long Minutes)
{
    /// <summary>Touches that queued behind a send go as one message: all of them, in order.</summary>
    public static DealTouch[] Merge(IReadOnlyList<DealTouch[]> messages) => messages.SelectMany(m => m).ToArray();
}

/// <summary>One (deal, rep, instant) of a deal book's activity join in its snapshot (<see cref="DealActivityEntry"/>).</summary>
[GenerateSerializer, Immutable, Alias("salesops.DealActivityRow")]
public sealed record DealActivityRow(
    [property: Id(0)] string Deal,
    [property: Id(1)] string Rep,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] long Count,
    [property: Id(4)] long Minutes)
{
    public static List<DealActivityRow> From(DealActivities join) =>
        join.ToMemento().ConvertAll(e => new DealActivityRow(e.Deal, e.Rep, e.At, e.Count, e.Minutes));

    public static DealActivities ToDomain(IEnumerable<DealActivityRow> rows) =>
        DealActivities.FromMemento(rows.Select(r => new DealActivityEntry(r.Deal, r.Rep, r.At, r.Count, r.Minutes)));
}
