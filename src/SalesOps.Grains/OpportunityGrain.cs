using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// One deal: applies its events (last-writer-wins), journals the accepted ones, and sends the change of its
/// contribution to its reps and its customer through outboxes, so a failed call is retried in order and never
/// applied twice.
/// </summary>
public sealed class OpportunityGrain(
    EngineSettings settings,
    IOptions<EngineOptions> options,
    JournalFactory journals,
    [PersistentState("state", StorageNames.Snapshots)] IPersistentState<OpportunityCheckpoint> snapshot,
    ILogger<OpportunityGrain> logger) : Grain, IOpportunityGrain
{
    private readonly Outbox<Credit[]> _credits = new();
    private readonly Outbox<OrderRow?> _orders = new();
    private OpportunityState _state = null!;
    private GrainJournal _journal = null!;
    private Courier _courier = null!;
    private Checkpointer<OpportunityCheckpoint> _checkpoints = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _state = new OpportunityState(id);
        _journal = journals.For(this, "opp", id);
        _courier = new Courier(
            this,
            _journal,
            logger,
            () => Task.WhenAll(
                _credits.DrainAsync((rep, seq, credits) => GrainFactory.GetGrain<IRepGrain>(rep).CreditAsync(_journal.SenderName, seq, credits)),
                _orders.DrainAsync((customer, seq, order) => GrainFactory.GetGrain<ICustomerGrain>(customer).SetOrderAsync(_state.Id, _journal.SenderName, seq, order))),
            () => _credits.HasPending || _orders.HasPending);
        _checkpoints = new Checkpointer<OpportunityCheckpoint>(snapshot, _journal, options.Value.SnapshotEvery, Capture, logger);
        await _checkpoints.RecoverAsync(
            cp =>
            {
                _state = OpportunityState.FromSnapshot(cp.Domain);
                _credits.Import(cp.Credits);
                _orders.Import(cp.Orders);
            },
            entry => Apply(((EventAccepted)entry).Event.ToDomain(), out _),
            cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _checkpoints.SaveAsync();

    private OpportunityCheckpoint Capture() => new()
    {
        Sequence = _journal.Sequence,
        Domain = _state.ToSnapshot(),
        Credits = _credits.Export(),
        Orders = _orders.Export(),
    };

    public async Task<EventOutcome> ApplyAsync(EventEnvelope envelope)
    {
        _journal.EnsureUsable();
        var outcome = Apply(envelope.ToDomain(), out var change);
        if (change is null)
        {
            if (outcome.Code == OutcomeCode.Duplicate)
            {
                await _courier.DeliverAsync(); // a re-send after a crash nudges what the first delivery left queued
            }

            OpenedOrLeave();
            return EventOutcome.From(outcome);
        }

        await _journal.WriteAsync(new EventAccepted(envelope));
        await _courier.DeliverAsync();
        await _checkpoints.MaybeSaveAsync();
        if (_state.Celebration(change, settings.BigDealThreshold) is { } celebration)
        {
            await Delivery.PublishAlertsAsync(GrainFactory, [AlertRecord.From(celebration)], logger);
        }

        return EventOutcome.From(outcome);
    }

    public Task RecoverAsync() => _courier.DeliverAsync();

    public Task<OpportunitySnapshot> GetSnapshotAsync()
    {
        OpenedOrLeave();
        var s = _state;
        return Task.FromResult(new OpportunitySnapshot(
            s.Id, s.IsOpened, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel,
            s.ExpectedClose.DayNumber, s.StageIndex, s.OpenedAt, s.StageAt));
    }

    /// <summary>Applies an event and queues its effects; the same path serves live events and replay.</summary>
    private Outcome Apply(SalesEvent e, out OpportunityChange? change)
    {
        var outcome = _state.Apply(e, settings.Stages, out change);
        if (change is null)
        {
            return outcome;
        }

        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            _credits.Enqueue(repId, items.Select(Credit.From).ToArray());
        }

        if (change.Before?.Order != change.After.Order)
        {
            _orders.Enqueue(_state.CustomerId, change.After.Order is { } o ? new OrderRow(o.Amount, o.WonAt) : null);
        }

        return outcome;
    }

    /// <summary>An opportunity never opened holds nothing: let its activation go instead of keeping it forever.</summary>
    private void OpenedOrLeave()
    {
        if (!_state.IsOpened)
        {
            DeactivateOnIdle();
        }
    }
}
