using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A customer: orders, lifetime value, collections, last order and last contact; every change journaled. It sends
/// nothing: it receives orders from deal books and touches from rep books through numbered lanes.
/// </summary>
public sealed class CustomerGrain(
    DurableServices<JournalEntry> services,
    [PersistentState(StorageNames.CustomerState, StorageNames.Snapshots)] IPersistentState<CustomerGrainSnapshot> snapshot,
    ILogger<CustomerGrain> logger)
    : DurableGrain<JournalEntry, CustomerGrainSnapshot>(services, snapshot, logger), ICustomerGrain
{
    private CustomerState _state = null!;

    protected override JournalStream Stream => StreamKinds.Customer.Of(this.GetPrimaryKeyString());

    protected override void OnStarting() => _state = new CustomerState(this.GetPrimaryKeyString());

    protected override void Restore(CustomerGrainSnapshot snapshot)
    {
        _state = CustomerState.FromSnapshot(snapshot.Domain);
        Inbox.Import(snapshot.Orders);
    }

    protected override CustomerGrainSnapshot Capture() => new() { Sequence = Journal.Sequence, Domain = _state.ToSnapshot(), Orders = Inbox.Export() };

    public async Task<EventOutcome> RegisterAsync(CustomerRegistered e)
    {
        Journal.EnsureUsable();
        var outcome = e.Accept(new CustomerEvents(_state));
        if (outcome.IsAccepted)
        {
            await CommitAsync(new EventAccepted(e), null, Answer.AfterCommit);
        }

        return EventOutcome.From(outcome);
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsRegisteredAsync()
    {
        Journal.EnsureUsable();
        return Task.FromResult(RegisteredOrLeave());
    }

    public async Task SetOrderAsync(string opportunityId, string sender, long sequence, OrderRow? order)
    {
        Journal.EnsureUsable();
        if (Inbox.IsNew(sender, sequence))
        {
            SetOrder(opportunityId, sender, sequence, order);
            await CommitAsync(new OrderReceived(opportunityId, sender, sequence, order), null, Answer.AfterCommit);
        }
    }

    public async Task TouchAsync(string sender, long firstSequence, long sequence, CustomerTouch[] touches)
    {
        Journal.EnsureUsable();
        if (Inbox.IsNew(sender, firstSequence))
        {
            Touch(sender, sequence, touches);
            await CommitAsync(new TouchesReceived(sender, sequence, touches), null, Answer.AfterCommit);
        }
    }

    public Task<CustomerSnapshot> GetSnapshotAsync()
    {
        RegisteredOrLeave();
        var s = _state;
        return Task.FromResult(new CustomerSnapshot(s.Id, s.IsRegistered, s.Name, s.OrderCount, s.LifetimeValue, s.Collections, s.LastOrder, s.LastContact));
    }

    protected override void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                accepted.Event.Accept(new CustomerEvents(_state));
                break;
            case OrderReceived o:
                SetOrder(o.OpportunityId, o.Sender, o.Sequence, o.Order);
                break;
            case TouchesReceived t:
                Touch(t.Sender, t.Sequence, t.Touches);
                break;
            case PaymentCounted p:
                _state.AddPayment(p.RepId, p.EventId, p.Amount);
                break;
            case ContactReceived c:
                _state.Contacted(c.At);
                break;
            default:
                throw new InvalidOperationException($"{Journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    private void SetOrder(string opportunityId, string sender, long sequence, OrderRow? order)
    {
        _state.SetOrder(opportunityId, order is { } o ? new CustomerOrder(o.Amount, o.WonAt) : null);
        Inbox.Applied(sender, sequence);
    }

    /// <summary>
    /// Applies one touch message in order. The lane's numbers make it exactly-once; a payment is still counted once
    /// per (rep, event id), which keeps touches a snapshot of an earlier build held unsent (re-sent in a new lane) from
    /// counting twice.
    /// </summary>
    private void Touch(string sender, long sequence, CustomerTouch[] touches)
    {
        foreach (var t in touches)
        {
            if (t.ContactAt is { } at)
            {
                if (_state.LastContact is null || at > _state.LastContact)
                {
                    _state.Contacted(at);
                }
            }
            else
            {
                _state.AddPayment(t.RepId, t.PaymentEventId, t.Amount);
            }
        }

        Inbox.Applied(sender, sequence);
    }

    /// <summary>An unregistered customer holds nothing: let its activation go instead of keeping it forever.</summary>
    private bool RegisteredOrLeave()
    {
        if (!_state.IsRegistered)
        {
            DeactivateOnIdle();
        }

        return _state.IsRegistered;
    }

    /// <summary>What each event does to a customer, live and in replay; events about anything else are refused.</summary>
    private sealed class CustomerEvents(CustomerState state) : ISalesEventVisitor<Outcome>
    {
        public Outcome Visit(CustomerRegistered e) => state.Register(e);

        public Outcome Visit(RegionDefined e) => Foreign(e);

        public Outcome Visit(RepJoined e) => Foreign(e);

        public Outcome Visit(RepMoved e) => Foreign(e);

        public Outcome Visit(RepLeft e) => Foreign(e);

        public Outcome Visit(OpportunityOpened e) => Foreign(e);

        public Outcome Visit(OpportunityStageChanged e) => Foreign(e);

        public Outcome Visit(OpportunityAmountChanged e) => Foreign(e);

        public Outcome Visit(OpportunityReassigned e) => Foreign(e);

        public Outcome Visit(OpportunityWon e) => Foreign(e);

        public Outcome Visit(OpportunityLost e) => Foreign(e);

        public Outcome Visit(ActivityLogged e) => Foreign(e);

        public Outcome Visit(PaymentReceived e) => Foreign(e);

        public Outcome Visit(TargetSet e) => Foreign(e);

        public Outcome Visit(ForecastSubmitted e) => Foreign(e);

        private static Outcome Foreign(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a customer event");
    }
}
