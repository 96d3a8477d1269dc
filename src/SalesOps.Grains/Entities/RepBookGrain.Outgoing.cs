using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>What an applied rep event sends beyond its roll-ups: a touch for its customer, an activity for its deal's book.</summary>
public sealed partial class RepBookGrain
{
    /// <summary>Activities logged against deals, for the deals' books: one lane per book (ADR 0023).</summary>
    private readonly Outbox<DealTouch[]> _dealTouches;

    private void Queue(in Outgoing outgoing)
    {
        if (outgoing.Effects is { } effects)
        {
            Enqueue(effects);
        }

        if (outgoing.Touch is { } touch)
        {
            _touches.Enqueue(outgoing.CustomerId!, [touch]);
        }

        if (outgoing.DealTouch is { } dealTouch)
        {
            _dealTouches.Enqueue(DealTouchLanes.Of(dealTouch.OpportunityId), [dealTouch]);
        }
    }

    /// <summary>
    /// What an applied rep event sends: roll-ups for its regions and, for an activity, a touch for its customer and one
    /// for the book of the deal it was logged against.
    /// </summary>
    private readonly record struct Outgoing(RepEffects? Effects, string? CustomerId, CustomerTouch? Touch, DealTouch? DealTouch = null);
}
