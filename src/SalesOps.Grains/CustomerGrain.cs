using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>A customer: orders, lifetime value, collections, last order and last contact; every change journaled.</summary>
public sealed class CustomerGrain(
    IOptions<EngineOptions> options,
    JournalFactory journals,
    [PersistentState(StorageNames.CustomerState, StorageNames.Snapshots)] IPersistentState<CustomerGrainSnapshot> snapshot,
    ILogger<CustomerGrain> logger) : Grain, ICustomerGrain
{
    private readonly Inbox _orders = new();
    private CustomerState _state = null!;
    private GrainJournal _journal = null!;
    private SnapshotWriter<CustomerGrainSnapshot, JournalEntry> _snapshots = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _state = new CustomerState(id);
        _journal = journals.For(this, StreamKinds.Customer.Of(id));
        _snapshots = new SnapshotWriter<CustomerGrainSnapshot, JournalEntry>(snapshot, _journal, options.Value.SnapshotEvery, Capture, logger);
        await _snapshots.RecoverAsync(
            cp =>
            {
                _state = CustomerState.FromSnapshot(cp.Domain);
                _orders.Import(cp.Orders);
            },
            Replay,
            cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _snapshots.SaveAsync();

    private CustomerGrainSnapshot Capture() => new() { Sequence = _journal.Sequence, Domain = _state.ToSnapshot(), Orders = _orders.Export() };

    /// <summary>Journals an applied input, then snapshots when due.</summary>
    private async Task WriteAsync(JournalEntry entry)
    {
        await _journal.WriteAsync(entry);
        await _snapshots.MaybeSaveAsync();
    }

    public async Task<EventOutcome> RegisterAsync(CustomerRegistered e)
    {
        _journal.EnsureUsable();
        var outcome = e.Accept(new CustomerEvents(_state));
        if (outcome.IsAccepted)
        {
            await WriteAsync(new EventAccepted(e));
        }

        return EventOutcome.From(outcome);
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsRegisteredAsync()
    {
        _journal.EnsureUsable();
        return Task.FromResult(RegisteredOrLeave());
    }

    public async Task SetOrderAsync(string opportunityId, string sender, long sequence, OrderRow? order)
    {
        _journal.EnsureUsable();
        if (_orders.IsNew(sender, sequence))
        {
            SetOrder(opportunityId, sender, sequence, order);
            await WriteAsync(new OrderReceived(opportunityId, sender, sequence, order));
        }
    }

    public async Task AddPaymentAsync(string repId, string eventId, long amount)
    {
        _journal.EnsureUsable();
        if (_state.AddPayment(repId, eventId, amount))
        {
            await WriteAsync(new PaymentCounted(repId, eventId, amount));
        }
    }

    public async Task ContactedAsync(DateTimeOffset at)
    {
        _journal.EnsureUsable();
        if (_state.LastContact is null || at > _state.LastContact)
        {
            _state.Contacted(at);
            await WriteAsync(new ContactReceived(at));
        }
    }

    public Task RecoverAsync() => Task.CompletedTask;

    public Task<CustomerSnapshot> GetSnapshotAsync()
    {
        RegisteredOrLeave();
        var s = _state;
        return Task.FromResult(new CustomerSnapshot(s.Id, s.IsRegistered, s.Name, s.OrderCount, s.LifetimeValue, s.Collections, s.LastOrder, s.LastContact));
    }

    private void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                accepted.Event.Accept(new CustomerEvents(_state));
                break;
            case OrderReceived o:
                SetOrder(o.OpportunityId, o.Sender, o.Sequence, o.Order);
                break;
            case PaymentCounted p:
                _state.AddPayment(p.RepId, p.EventId, p.Amount);
                break;
            case ContactReceived c:
                _state.Contacted(c.At);
                break;
            default:
                throw new InvalidOperationException($"{_journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    private void SetOrder(string opportunityId, string sender, long sequence, OrderRow? order)
    {
        _state.SetOrder(opportunityId, order is { } o ? new CustomerOrder(o.Amount, o.WonAt) : null);
        _orders.Applied(sender, sequence);
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

        private static Outcome Foreign(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a customer event");
    }
}
