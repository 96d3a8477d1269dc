using Microsoft.Extensions.Logging;

namespace SalesOps.Runtime;

/// <summary>
/// A grain whose accepted inputs are journaled and whose effects on other grains travel through numbered lanes
/// (ADR 0015). The base owns the life cycle: activation (snapshot, then journal replay through the grain's
/// <see cref="Replay"/>), the commit of each call's inputs, snapshots when due and on deactivation, delivery of the
/// outboxes (one <see cref="Courier"/>, retries, back-pressure) and the inbox of the lanes it receives. A grain adds
/// what it is about: how its inputs apply to the domain, what its snapshot holds, and what it sends to whom.
/// </summary>
/// <remarks>
/// <para>
/// One delivery discipline for every grain: an effect is queued only after the inputs that produced it are committed
/// (<see cref="CommitAsync"/> queues them after the journal write; replay queues them as it applies entries, which
/// are committed by definition), so a drain running between the grain's turns can never send an effect the grain
/// could forget. Whether a call's answer waits for delivery is the call's declared choice (<see cref="Answer"/>),
/// not a consequence of where it queued.
/// </para>
/// <para>
/// The storage mode stays here: memory mode journals nothing, names its sender per activation, and sends through a
/// lane's direct call; durable mode sends through the lane's carrier when it has one (<see cref="AddOutbox{T}"/>).
/// </para>
/// </remarks>
public abstract partial class DurableGrain<TEntry, TSnapshot>(
    DurableServices<TEntry> services,
    IPersistentState<TSnapshot> storage,
    ILogger logger) : Grain
    where TSnapshot : IGrainSnapshot
{
    private readonly List<IOutbox> _outboxes = new(2);
    private GrainJournal<TEntry> _journal = null!;
    private Courier _courier = null!;
    private SnapshotWriter<TSnapshot, TEntry> _snapshots = null!;

    /// <summary>What the grain has applied of the lanes it receives: the last number per sender.</summary>
    protected Inbox Inbox { get; } = new(activations: !services.Journals.IsDurable);

    /// <summary>The grain's journal (its stream, sequence, sender name, and whether it failed).</summary>
    protected GrainJournal<TEntry> Journal => _journal;

    /// <summary>False in memory mode: nothing is journaled; a call may skip building entries.</summary>
    protected bool IsDurable => services.Journals.IsDurable;

    /// <summary>The journal stream of this grain (its kind and key).</summary>
    protected abstract JournalStream Stream { get; }

    /// <summary>Journal entries between two snapshots.</summary>
    protected virtual int SnapshotEvery => services.Options.SnapshotEvery;

    /// <summary>
    /// True while the grain's outboxes hold more undelivered messages than <see cref="RuntimeOptions.MaxUndelivered"/>:
    /// the grain must refuse new input (UNAVAILABLE, not applied) until delivery catches up, instead of queueing
    /// without end behind a destination that does not take its messages.
    /// </summary>
    protected bool IsBackedUp
    {
        get
        {
            var undelivered = 0;
            foreach (var outbox in _outboxes)
            {
                undelivered += outbox.Undelivered;
            }

            if (undelivered <= services.Options.MaxUndelivered)
            {
                return false;
            }

            _courier.Kick(); // a destination that came back is tried now rather than on the next retry tick
            return true;
        }
    }

    /// <summary>
    /// Whether a message from <paramref name="sender"/> (a lane's sender name) must be refused: the grain is
    /// <see cref="IsBackedUp"/> and owes that sender nothing. A grain over the bound still takes the messages of a grain
    /// it has a backlog for: that grain may be over its own bound because of what this one refuses, and each refusing
    /// the other would stall both for good (a rep book and a deal book exchange touches and credits, ADR 0023).
    /// </summary>
    private bool IsBackedUpFor(string sender)
    {
        if (!IsBackedUp)
        {
            return false;
        }

        var name = Inbox.GrainOf(sender);
        var slash = name.IndexOf('/');
        if (slash < 0)
        {
            return true;
        }

        var kind = name[..slash];
        var key = name[(slash + 1)..].ToString();
        foreach (var outbox in _outboxes)
        {
            if (outbox.Destinations is { } destinations && kind.SequenceEqual(destinations.Name) && outbox.Owes(key))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Declares an outbox: its messages go to each destination in order through <paramref name="direct"/> (a grain
    /// call taking the sender, the first and last number and the message), or in durable mode through
    /// <paramref name="carrier"/> when one is given. <paramref name="merge"/> merges messages that queue behind a send.
    /// <paramref name="destinations"/> names the kind of grain its destinations are (a lane's destination is that
    /// grain's key), when that kind also sends to this grain: see <see cref="IsBackedUpFor"/>.
    /// Call from the constructor, before activation.
    /// </summary>
    protected Outbox<T> AddOutbox<T>(
        DirectSend<T> direct,
        Func<IReadOnlyList<T>, T>? merge = null,
        ICarrier<T>? carrier = null,
        JournalStreamKind? destinations = null)
    {
        var outbox = new Outbox<T>(merge);
        _outboxes.Add(new Registered<T>(this, outbox, direct, carrier, destinations));
        return outbox;
    }

    /// <summary>Called before the snapshot and journal are read: the state of a grain with no history.</summary>
    protected virtual void OnStarting()
    {
    }

    /// <summary>Restores the grain from its latest snapshot.</summary>
    protected abstract void Restore(TSnapshot snapshot);

    /// <summary>Applies one committed journal entry, live code path, queuing its effects.</summary>
    protected abstract void Replay(TEntry entry);

    /// <summary>The grain's state as a snapshot at <see cref="GrainJournal{TEntry}.Sequence"/> (taken within a turn).</summary>
    protected abstract TSnapshot Capture();

    /// <summary>Called once the grain is rebuilt, before its first call: timers that its state needs.</summary>
    protected virtual void OnRecovered()
    {
    }

    public sealed override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _journal = services.Journals.For(this, Stream);
        _courier = new Courier(
            this,
            _journal,
            logger,
            DrainAsync,
            () => HasPending,
            () =>
            {
                foreach (var outbox in _outboxes)
                {
                    outbox.Stop();
                }
            },
            background: true, // a retry only restarts the drain: it never holds the grain's calls while a destination is down
            drained: () => _snapshots.OutputDelivered());
        _snapshots = new SnapshotWriter<TSnapshot, TEntry>(storage, _journal, SnapshotEvery, Capture, logger, () => HasPending);
        OnStarting();
        await _snapshots.RecoverAsync(Restore, Replay, cancellationToken);
        foreach (var outbox in _outboxes)
        {
            outbox.MarkRecovered(); // a destination may have some of them: they go one by one, never merged
        }

        OnRecovered();
        if (HasPending)
        {
            // What the previous activation left undelivered goes now: the call that woke this one (a query, a message
            // that queues nothing) may deliver nothing, and the recovery sweep is minutes away.
            _courier.Kick();
        }
    }

    public sealed override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await _courier.CloseAsync(cancellationToken);
            await _snapshots.SaveAsync();
            if (IsDurable && HasPending)
            {
                await AskToBeWokenAsync();
            }
        }
        finally
        {
            foreach (var outbox in _outboxes)
            {
                outbox.Release(); // the outbox depth metric counts live activations' messages only
            }
        }
    }

    /// <summary>
    /// The activation goes with messages it could not deliver (a destination failing, or no time left): they are
    /// durable, but nothing may call this grain again before the recovery reminder, minutes away. The recovery grain
    /// wakes it in about a second instead. Not the deactivation's token: an abrupt deactivation has cancelled it, and
    /// that is when this matters most.
    /// </summary>
    private async Task AskToBeWokenAsync()
    {
        try
        {
            await GrainFactory.GetGrain<IRecoveryGrain>(0).WakeSoonAsync(Stream.Name).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex)
        {
            Courier.LogWakeRequestFailed(logger, Stream.Name, ex); // the recovery reminder is the backstop
        }
    }

    /// <summary>
    /// Commits a call's applied inputs in one journal write (all or none), then queues their effects
    /// (<paramref name="queue"/>, in journal order, as a replay queues them), then delivers as <paramref name="answer"/>
    /// declares, then snapshots when due. If the write fails the grain reloads and nothing is queued.
    /// </summary>
    protected async Task CommitAsync(IReadOnlyList<TEntry> entries, Action? queue, Answer answer)
    {
        await _journal.WriteAllAsync(entries);
        Queue(queue);
        await DeliverAsync(answer);
        await _snapshots.MaybeSaveAsync();
    }

    /// <summary>As <see cref="CommitAsync(IReadOnlyList{TEntry}, Action?, Answer)"/> for one entry.</summary>
    protected async Task CommitAsync(TEntry entry, Action? queue, Answer answer)
    {
        await _journal.WriteAsync(entry);
        Queue(queue);
        await DeliverAsync(answer);
        await _snapshots.MaybeSaveAsync();
    }

    /// <summary>
    /// Queues the effects of committed inputs. If that throws, some effects are committed but not queued: a durable
    /// activation reloads, and its replay queues them all.
    /// </summary>
    private void Queue(Action? queue)
    {
        try
        {
            queue?.Invoke();
        }
        catch (Exception ex)
        {
            Abandon(ex);
            throw;
        }
    }

    /// <summary>
    /// A call failed part-way through applying or queueing what it brought (not expected: ingest checks what it takes):
    /// part of it, and in a batch the messages before it, is applied but not journaled, so a durable activation reloads
    /// from its journal and every sender of the call retries.
    /// </summary>
    private void Abandon(Exception ex)
    {
        Courier.LogApplyFailed(logger, Stream.Name, ex);
        _journal.Abandon();
    }

    /// <summary>
    /// Delivers what is queued: the call waits for it (<see cref="Answer.AfterDelivery"/>), or it runs behind the
    /// answer (<see cref="Answer.AfterCommit"/>). A duplicate re-send uses this to nudge what a first delivery may have
    /// left queued before a crash.
    /// </summary>
    protected Task DeliverAsync(Answer answer)
    {
        if (answer == Answer.AfterDelivery)
        {
            return _courier.DeliverAsync();
        }

        _courier.Kick();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Wakes the grain after a restart or silo loss; what its replay queued is delivered behind the answer. A wake that
    /// waited for its delivery would hold the grain's calls meanwhile, and two grains woken together that each owe the
    /// other (a deal book's credits, a rep book's deal touches) would each wait for the other until a call timed out.
    /// </summary>
    public Task RecoverAsync()
    {
        _courier.Kick();
        return Task.CompletedTask;
    }

    private bool HasPending
    {
        get
        {
            foreach (var outbox in _outboxes)
            {
                if (outbox.HasPending)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private Task DrainAsync()
    {
        if (_outboxes.Count == 1)
        {
            return _outboxes[0].DrainAsync();
        }

        var drains = new Task[_outboxes.Count];
        for (var i = 0; i < drains.Length; i++)
        {
            drains[i] = _outboxes[i].DrainAsync();
        }

        return Task.WhenAll(drains);
    }

    private interface IOutbox
    {
        bool HasPending { get; }

        int Undelivered { get; }

        JournalStreamKind? Destinations { get; }

        bool Owes(string destination);

        Task DrainAsync();

        void Stop();

        void MarkRecovered();

        void Release();
    }

    private sealed class Registered<T>(
        DurableGrain<TEntry, TSnapshot> grain,
        Outbox<T> outbox,
        DirectSend<T> direct,
        ICarrier<T>? carrier,
        JournalStreamKind? destinations) : IOutbox
    {
        private readonly Func<string, long, long, T, Task> _send = (destination, first, last, message) =>
            grain.IsDurable && carrier is not null
                ? carrier.SendAsync(destination, grain._journal.SenderName, first, last, message)
                : direct(destination, grain._journal.SenderName, first, last, message);

        public bool HasPending => outbox.HasPending;

        public int Undelivered => outbox.Undelivered;

        public JournalStreamKind? Destinations => destinations;

        public bool Owes(string destination) => outbox.Owes(destination);

        public Task DrainAsync() => outbox.DrainAsync(_send);

        public void Stop() => outbox.Stop();

        public void MarkRecovered() => outbox.MarkRecovered();

        public void Release() => outbox.Release();
    }
}
