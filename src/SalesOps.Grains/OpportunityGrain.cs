using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// One deal: applies its events (last-writer-wins) and sends the change of its contribution to its reps and its
/// customer through outboxes, so a failed call is retried in order and never applied twice.
/// </summary>
public sealed class OpportunityGrain(EngineSettings settings, ILogger<OpportunityGrain> logger) : Grain, IOpportunityGrain
{
    private readonly Outbox<Credit[]> _credits = new();
    private readonly Outbox<OrderRow?> _orders = new();
    private OpportunityState? _state;
    private Courier? _courier;

    /// <summary>Names this activation as a sender: a re-created activation numbers its messages from 1 again.</summary>
    private readonly string _sender = "opp#" + Guid.NewGuid().ToString("N");

    private OpportunityState State => _state ??= new OpportunityState(this.GetPrimaryKeyString());

    private Courier Courier => _courier ??= new Courier(
        this,
        State.Id,
        logger,
        () => Task.WhenAll(
            _credits.DrainAsync((rep, seq, credits) => GrainFactory.GetGrain<IRepGrain>(rep).CreditAsync(_sender, seq, credits)),
            _orders.DrainAsync((customer, seq, order) => GrainFactory.GetGrain<ICustomerGrain>(customer).SetOrderAsync(State.Id, _sender, seq, order))),
        () => _credits.HasPending || _orders.HasPending);

    public async Task<EventOutcome> ApplyAsync(EventEnvelope envelope)
    {
        var outcome = State.Apply(envelope.ToDomain(), settings.Stages, out var change);
        if (change is null)
        {
            OpenedOrLeave();
            return EventOutcome.From(outcome);
        }

        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            _credits.Enqueue(repId, items.Select(Credit.From).ToArray());
        }

        if (change.Before?.Order != change.After.Order)
        {
            _orders.Enqueue(State.CustomerId, change.After.Order is { } o ? new OrderRow(o.Amount, o.WonAt) : null);
        }

        await Courier.DeliverAsync();
        if (State.Celebration(change, settings.BigDealThreshold) is { } celebration)
        {
            await Delivery.PublishAlertsAsync(GrainFactory, [AlertRecord.From(celebration)], logger);
        }

        return EventOutcome.From(outcome);
    }

    public Task<OpportunitySnapshot> GetSnapshotAsync()
    {
        OpenedOrLeave();
        var s = State;
        return Task.FromResult(new OpportunitySnapshot(
            s.Id, s.IsOpened, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel,
            s.ExpectedClose.DayNumber, s.StageIndex, s.OpenedAt, s.StageAt));
    }

    /// <summary>An opportunity never opened holds nothing: let its activation go instead of keeping it forever.</summary>
    private void OpenedOrLeave()
    {
        if (!State.IsOpened)
        {
            DeactivateOnIdle();
        }
    }
}
