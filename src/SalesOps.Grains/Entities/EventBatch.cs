using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// One book call's events, applied in order: each gets its outcome; an accepted one its journal entry (numbered in
/// apply order and committed together, all or none) and what it sends; an event whose apply throws (an engine bug)
/// answers INTERNAL and the others go on as if it had not been sent. The book then commits <see cref="Entries"/> and
/// queues <see cref="Effects"/>, or, with nothing accepted, nudges its delivery when a re-send came in.
/// </summary>
internal sealed class EventBatch<TEffect>(int capacity)
{
    /// <summary>Applies one event; <paramref name="effect"/> is what an accepted event sends.</summary>
    public delegate Outcome ApplyOne(SalesEvent e, out TEffect effect);

    public List<JournalEntry> Entries { get; } = new(capacity);

    public List<TEffect> Effects { get; } = new(capacity);

    /// <summary>Some event was a re-send of one already accepted.</summary>
    public bool HadDuplicate { get; private set; }

    public EventOutcome[] Apply(SalesEvent[] events, ApplyOne apply, ILogger logger, string stream)
    {
        var outcomes = new EventOutcome[events.Length];
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            Outcome outcome;
            TEffect effect;
            try
            {
                outcome = apply(e, out effect);
            }
            catch (Exception ex)
            {
                outcomes[i] = EventOutcome.From(Delivery.Fault(logger, stream, e.EventId, ex));
                continue;
            }

            outcomes[i] = EventOutcome.From(outcome);
            if (!outcome.IsAccepted)
            {
                HadDuplicate |= outcome.Code == OutcomeCode.Duplicate;
                continue;
            }

            Entries.Add(new EventAccepted(e));
            Effects.Add(effect);
        }

        return outcomes;
    }
}
