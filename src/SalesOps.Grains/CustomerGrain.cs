using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>A customer: orders, lifetime value, collections, last order and last contact.</summary>
public sealed class CustomerGrain : Grain, ICustomerGrain
{
    private readonly Inbox _orders = new();
    private CustomerState? _state;

    private CustomerState State => _state ??= new CustomerState(this.GetPrimaryKeyString());

    public Task<EventOutcome> RegisterAsync(EventEnvelope envelope) =>
        Task.FromResult(EventOutcome.From(State.Register((CustomerRegistered)envelope.ToDomain())));

    public Task<bool> IsRegisteredAsync() => Task.FromResult(RegisteredOrLeave());

    public Task SetOrderAsync(string opportunityId, string sender, long sequence, OrderRow? order)
    {
        if (_orders.IsNew(sender, sequence))
        {
            State.SetOrder(opportunityId, order is { } o ? new CustomerOrder(o.Amount, o.WonAt) : null);
            _orders.Applied(sender, sequence);
        }

        return Task.CompletedTask;
    }

    public Task AddPaymentAsync(string repId, string eventId, long amount)
    {
        State.AddPayment(repId, eventId, amount);
        return Task.CompletedTask;
    }

    public Task ContactedAsync(DateTimeOffset at)
    {
        State.Contacted(at);
        return Task.CompletedTask;
    }

    public Task<CustomerSnapshot> GetSnapshotAsync()
    {
        RegisteredOrLeave();
        var s = State;
        return Task.FromResult(new CustomerSnapshot(s.Id, s.IsRegistered, s.Name, s.OrderCount, s.LifetimeValue, s.Collections, s.LastOrder, s.LastContact));
    }

    /// <summary>An unregistered customer holds nothing: let its activation go instead of keeping it forever.</summary>
    private bool RegisteredOrLeave()
    {
        if (!State.IsRegistered)
        {
            DeactivateOnIdle();
        }

        return State.IsRegistered;
    }
}
