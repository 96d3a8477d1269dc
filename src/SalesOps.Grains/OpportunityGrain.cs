using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>One deal: applies its events (last-writer-wins) and sends the change of its contribution to reps and customer.</summary>
public sealed class OpportunityGrain(EngineSettings settings) : Grain, IOpportunityGrain
{
    private OpportunityState? _state;

    private OpportunityState State => _state ??= new OpportunityState(this.GetPrimaryKeyString());

    public async Task<EventOutcome> ApplyAsync(EventEnvelope envelope)
    {
        var outcome = State.Apply(envelope.ToDomain(), settings.Stages, out var change);
        if (change is null)
        {
            return EventOutcome.From(outcome);
        }

        var calls = new List<Task>(3);
        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            calls.Add(GrainFactory.GetGrain<IRepGrain>(repId).CreditAsync(items.Select(Credit.From).ToArray()));
        }

        if (change.Before?.Order != change.After.Order)
        {
            OrderRow? order = change.After.Order is { } o ? new OrderRow(o.Amount, o.WonAt) : null;
            calls.Add(GrainFactory.GetGrain<ICustomerGrain>(State.CustomerId).SetOrderAsync(State.Id, order));
        }

        if (change.BecameWon && State.Amount >= settings.BigDealThreshold)
        {
            calls.Add(GrainFactory.GetGrain<IAlertLogGrain>(0).PublishAsync([AlertRecord.From(InMemorySalesEngine.BigDeal(State))]));
        }

        await Task.WhenAll(calls);
        return EventOutcome.From(outcome);
    }

    public Task<OpportunitySnapshot> GetSnapshotAsync()
    {
        var s = State;
        return Task.FromResult(new OpportunitySnapshot(
            s.Id, s.IsOpened, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel,
            s.ExpectedClose.DayNumber, s.StageIndex, s.OpenedAt, s.StageAt));
    }
}
