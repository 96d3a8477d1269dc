using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A rep: applies rep events and opportunity credits, journals them, then sends counter deltas and score changes to
/// regions and contacts and payments to customers, through outboxes (in order, retried, never applied twice).
/// The call returns once the input is applied and committed; delivery runs on behind it (<see cref="Courier"/>), and
/// roll-ups that queue up behind a region's previous one go to it as one message.
/// </summary>
public sealed class RepGrain(
    EngineSettings settings,
    IOptions<EngineOptions> options,
    EngineClock clock,
    JournalFactory journals,
    GrainRefs refs,
    RollupCarrier carrier,
    [PersistentState("state", StorageNames.Snapshots)] IPersistentState<RepCheckpoint> snapshot,
    ILogger<RepGrain> logger) : Grain, IRepGrain
{
    private readonly Inbox _credits = new();
    private readonly Outbox<Rollup> _rollups = new(Rollup.Merge);
    private readonly RetryQueue<CustomerTouch> _customers = new();
    private RepState _state = null!;
    private GrainJournal _journal = null!;
    private IGrainTimer? _paceTimer;
    private Courier _courier = null!;
    private Checkpointer<RepCheckpoint> _checkpoints = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _state = new RepState(id);
        _journal = journals.For(this, "rep", id);
        _courier = new Courier(
            this,
            _journal,
            logger,
            () => Task.WhenAll(
                _rollups.DrainAsync(SendRollupAsync),
                _customers.DrainAsync((customer, touch) => touch.ApplyAsync(refs.Customer(customer)))),
            () => _rollups.HasPending || _customers.HasPending,
            _rollups.Stop,
            background: true,
            drained: () => _checkpoints.OutputDelivered());
        _checkpoints = new Checkpointer<RepCheckpoint>(
            snapshot, _journal, options.Value.SnapshotEvery, Capture, logger, () => _rollups.HasPending || _customers.HasUnsent);
        await _checkpoints.RecoverAsync(
            cp =>
            {
                _state = RepState.FromSnapshot(cp.Domain);
                _credits.Import(cp.Credits);
                _rollups.Import(cp.Rollups);
                _customers.Import(cp.Customers);
            },
            Replay,
            cancellationToken);
        _rollups.MarkRecovered();
        if (_state.Targets.Count > 0)
        {
            StartPaceChecks();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _courier.CloseAsync(cancellationToken);
        await _checkpoints.SaveAsync();
    }

    private RepCheckpoint Capture() => new()
    {
        Sequence = _journal.Sequence,
        Domain = _state.ToSnapshot(),
        Credits = _credits.Export(),
        Rollups = _rollups.Export(),
        Customers = _customers.Export(),
    };

    public async Task<EventOutcome> ApplyAsync(EventEnvelope envelope)
    {
        _journal.EnsureUsable();
        var e = envelope.ToDomain();
        var outcome = Apply(e, out var outgoing);
        if (!outcome.IsAccepted)
        {
            if (outcome.Code == OutcomeCode.Duplicate)
            {
                await _courier.DeliverAsync(); // a re-send after a crash nudges what the first delivery left queued
            }

            JoinedOrLeave();
            return EventOutcome.From(outcome);
        }

        await _journal.WriteAsync(new EventAccepted(envelope));
        Queue(outgoing);
        if (e is TargetSet)
        {
            StartPaceChecks();
        }

        _courier.Kick();
        await _checkpoints.MaybeSaveAsync();
        if (e is TargetSet)
        {
            await CheckPaceAsync();
        }

        return EventOutcome.From(outcome);
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsJoinedAsync()
    {
        _journal.EnsureUsable();
        return Task.FromResult(JoinedOrLeave());
    }

    public async Task CreditAsync(string sender, long sequence, Credit[] credits)
    {
        _journal.EnsureUsable();
        if (_credits.IsNew(sender, sequence))
        {
            var effects = Credit(sender, sequence, credits);
            await _journal.WriteAsync(new CreditsReceived(sender, sequence, credits));
            Enqueue(effects);
        }

        _courier.Kick();
        await _checkpoints.MaybeSaveAsync();
    }

    public Task RecoverAsync() => _courier.DeliverAsync();

    /// <summary>
    /// Durable: through the silo's <see cref="RollupCarrier"/>, so a region commits many reps' roll-ups at once
    /// (measured at the same throughput: board pushes 0.8 s behind instead of 2.3 s, docs/perf.md). In memory a
    /// region applies a roll-up in microseconds and the carrier measured no gain (its hand-off costs a task and a
    /// thread-pool hop), so the rep calls the region directly.
    /// </summary>
    private Task SendRollupAsync(string region, long sequence, Rollup rollup) =>
        _journal.IsDurable
            ? carrier.SendAsync(region, _journal.SenderName, sequence, rollup)
            : refs.Region(region).ApplyRollupAsync(_journal.SenderName, sequence, rollup);

    public Task FlushAsync() => _courier.DeliverAsync();

    public Task<RepSnapshot> GetSnapshotAsync()
    {
        JoinedOrLeave();
        var s = _state;
        return Task.FromResult(new RepSnapshot(
            s.Id, s.IsJoined, s.Name, s.RegionId, (byte)s.Role, (byte)s.Style, Counter.From(s.Figures()), TargetRow.From(s.Targets)));
    }

    public Task CheckPaceAsync()
    {
        if (!_state.IsJoined || _state.Targets.Count == 0 || _journal.Failed)
        {
            return Task.CompletedTask;
        }

        var alerts = _state.Pace.Check(_state.Id, _state.RegionId, false, _state.Targets, _state.Figures(), settings.Calendar, clock.Now);
        return Delivery.PublishAlertsAsync(refs, alerts.Select(AlertRecord.From).ToArray(), logger);
    }

    private void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                Apply(accepted.Event.ToDomain(), out var outgoing);
                Queue(outgoing);
                break;
            case CreditsReceived c:
                Enqueue(Credit(c.Sender, c.Sequence, c.Credits));
                break;
            default:
                throw new InvalidOperationException($"{_journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    /// <summary>
    /// Applies a rep event and works out what it sends; the same path serves live events and replay. What it sends is
    /// queued (<see cref="Queue"/>) only once the event is committed, so a drain running meanwhile cannot send it.
    /// </summary>
    private Outcome Apply(SalesEvent e, out Outgoing outgoing)
    {
        outgoing = default;
        var effects = new RepEffects();
        var outcome = e switch
        {
            RepJoined j => _state.Join(j),
            RepMoved m => _state.Move(m, effects),
            ActivityLogged a => _state.LogActivity(a, settings.Calendar, effects),
            PaymentReceived p => _state.ReceivePayment(p, settings.Calendar, effects),
            TargetSet t => _state.SetTarget(t, effects),
            _ => Outcome.Invalid("event", $"{e.GetType().Name} is not a rep event"),
        };
        if (!outcome.IsAccepted)
        {
            return outcome;
        }

        outgoing = e switch
        {
            ActivityLogged { CustomerId.Length: > 0 } a => new Outgoing(effects, a.CustomerId, new CustomerTouch("", "", 0, a.OccurredAt)),
            PaymentReceived p => new Outgoing(effects, p.CustomerId, new CustomerTouch(p.RepId, p.EventId, p.Amount, null)),
            _ => new Outgoing(effects, null, null),
        };
        return outcome;
    }

    private void Queue(in Outgoing outgoing)
    {
        if (outgoing.Effects is { } effects)
        {
            Enqueue(effects);
        }

        if (outgoing.Touch is { } touch)
        {
            _customers.Enqueue(outgoing.CustomerId!, touch);
        }
    }

    private RepEffects Credit(string sender, long sequence, Credit[] credits)
    {
        var effects = new RepEffects();
        _state.Credit(credits.Select(c => c.ToDomain()), settings.Calendar, effects);
        _credits.Applied(sender, sequence);
        return effects;
    }

    private void StartPaceChecks() =>
        _paceTimer ??= this.RegisterGrainTimer(
            _ => CheckPaceAsync(),
            new GrainTimerCreationOptions(options.Value.PaceCheckInterval, options.Value.PaceCheckInterval) { Interleave = false });

    /// <summary>A rep that never joined holds nothing: let its activation go instead of keeping it forever.</summary>
    private bool JoinedOrLeave()
    {
        if (!_state.IsJoined)
        {
            DeactivateOnIdle();
        }

        return _state.IsJoined;
    }

    /// <summary>One roll-up per region, carrying its counter delta and board changes in order.</summary>
    private void Enqueue(RepEffects effects)
    {
        if (effects.IsEmpty)
        {
            return;
        }

        foreach (var (region, _) in effects.Boards)
        {
            effects.DeltaFor(region); // a region with board changes only gets an empty counter delta
        }

        foreach (var (region, delta) in effects.RegionDeltas)
        {
            _rollups.Enqueue(region, new Rollup(Counter.From(delta), BoardsFor(effects, region)));
        }
    }

    /// <summary>The region's board changes, in the order they were made.</summary>
    private static BoardChange[] BoardsFor(RepEffects effects, string region)
    {
        var boards = new List<BoardChange>(1);
        foreach (var (r, update) in effects.Boards)
        {
            if (r == region)
            {
                boards.Add(BoardChange.From(update));
            }
        }

        return boards.ToArray();
    }

    /// <summary>What an applied rep event sends: roll-ups for its regions and, for some, a touch for its customer.</summary>
    private readonly record struct Outgoing(RepEffects? Effects, string? CustomerId, CustomerTouch? Touch);
}
