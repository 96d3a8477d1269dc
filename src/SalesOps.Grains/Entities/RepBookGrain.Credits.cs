using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>What the book receives from deal books and customers: credits for its reps (ADR 0009, 0039).</summary>
public sealed partial class RepBookGrain
{
    /// <summary>Credit messages answer once committed; their roll-ups are delivered behind the answer.</summary>
    public Task<int[]> CreditAsync(CreditsItem[] items) =>
        ReceiveAllAsync(items, item => (item.Sender, item.FirstSequence), item =>
        {
            // The deal book's acceptance when the credit carries it, else the credit's arrival.
            var acceptedAt = item.AcceptedAt > 0 ? item.AcceptedAt : DateTime.UtcNow.Ticks;
            var effects = Credit(item.Sender, item.Sequence, item.Credits);
            return (new RepCreditsReceived(item.Sender, item.Sequence, item.Credits), () =>
            {
                _acceptedAt = acceptedAt;
                Enqueue(effects);
            });
        });

    /// <summary>
    /// Applies one credit message, rep by rep in order, and records it in the inbox. Its effects on every rep go in
    /// one set, so each region gets one roll-up for the message, live and on replay alike.
    /// </summary>
    private RepEffects Credit(string sender, long sequence, RepCredits[] credits)
    {
        var effects = new RepEffects();
        foreach (var c in credits)
        {
            if (!_reps.TryGetValue(c.RepId, out var rep) || !rep.IsJoined)
            {
                // Never expected: ingest takes a deal event only once its reps have joined. Crediting a rep with no
                // region would throw, and retrying the message would credit the reps before it again.
                Delivery.LogCreditToUnknownRep(_logger, Journal.Stream, sender, c.RepId);
                continue;
            }

            rep.Credit(Array.ConvertAll(c.Credits, i => i.ToDomain()), _settings.Calendar, effects);
        }

        Inbox.Applied(sender, sequence);
        return effects;
    }
}
