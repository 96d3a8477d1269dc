namespace SalesOps.Runtime;

/// <summary>What a durable grain receives through the lanes of other grains: one message, or a carrier's batch (ADR 0039).</summary>
public abstract partial class DurableGrain<TEntry, TSnapshot>
{
    /// <summary>
    /// Takes one message of a lane this grain receives, answering once it is committed: a repeat (numbers already
    /// applied) only nudges delivery of what the first one queued; at the bound the message is refused unless this grain
    /// owes its sender (<see cref="IsBackedUpFor"/>), so the sender keeps it and retries; otherwise
    /// <paramref name="apply"/> applies it (marking it applied in the <see cref="Inbox"/>) and returns its journal entry
    /// and what queues its effects, run once the entry is committed.
    /// </summary>
    protected async Task ReceiveAsync(string sender, long firstSequence, Func<(TEntry Entry, Action Queue)> apply)
    {
        _journal.EnsureUsable();
        if (!Inbox.IsNew(sender, firstSequence))
        {
            await DeliverAsync(Answer.AfterCommit);
            return;
        }

        if (IsBackedUpFor(sender))
        {
            throw BackPressureException.MessageRefused(_journal.Stream);
        }

        var (entry, queue) = Apply(static apply => apply(), apply);
        await CommitAsync(entry, queue, Answer.AfterCommit);
    }

    /// <summary>
    /// Takes many senders' messages at once (a carrier's call, <see cref="BatchCarrier{TItem}"/>), as
    /// <see cref="ReceiveAsync"/> takes one: a repeat is skipped; a message this grain must refuse at its bound is left
    /// unapplied and its place answered (its sender keeps it and retries); the rest are applied in order and committed
    /// in one journal write, their effects queued in the same order once it is written.
    /// </summary>
    protected async Task<int[]> ReceiveAllAsync<TItem>(
        IReadOnlyList<TItem> items,
        Func<TItem, (string Sender, long FirstSequence)> lane,
        Func<TItem, (TEntry Entry, Action Queue)> apply)
    {
        _journal.EnsureUsable();
        List<int>? refused = null;
        List<TEntry>? entries = null;
        List<Action>? queues = null;
        for (var i = 0; i < items.Count; i++)
        {
            var (sender, first) = lane(items[i]);
            if (!Inbox.IsNew(sender, first))
            {
                continue;
            }

            if (IsBackedUpFor(sender))
            {
                (refused ??= new List<int>()).Add(i);
                continue;
            }

            var (entry, queue) = Apply(apply, items[i]);
            (entries ??= new List<TEntry>(items.Count)).Add(entry);
            (queues ??= new List<Action>(items.Count)).Add(queue);
        }

        if (entries is null)
        {
            await DeliverAsync(Answer.AfterCommit); // repeats only: nudge what their first delivery queued
        }
        else
        {
            await CommitAsync(entries, () => queues!.ForEach(q => q()), Answer.AfterCommit);
        }

        return refused?.ToArray() ?? [];
    }

    /// <summary>Applies one received message; if that throws part-way, the activation is abandoned (<see cref="Abandon"/>).</summary>
    private (TEntry Entry, Action Queue) Apply<TMessage>(Func<TMessage, (TEntry Entry, Action Queue)> apply, TMessage message)
    {
        try
        {
            return apply(message);
        }
        catch (Exception ex)
        {
            Abandon(ex);
            throw;
        }
    }
}
