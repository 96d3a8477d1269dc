using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A customer: orders, lifetime value, collections, last order and last contact; every change journaled. It receives
/// orders from deal books and touches from rep books through numbered lanes, and sends the new-customer credit of its
/// first order (and its retraction when another order becomes the first) to the owners' rep books through its own
/// lanes, one per rep book (ADR 0018); through the same lanes, each activity that named it by customer group, re-credited
/// when its first order's win instant changes (ADR 0020) or its key-account flag does (ADR 0022).
/// </summary>
public sealed class CustomerGrain : DurableGrain<JournalEntry, CustomerGrainSnapshot>, ICustomerGrain
{
    private readonly Outbox<RepCredits[]> _credits;
    private readonly EngineSettings _settings;
    private CustomerState _state = null!;

    public CustomerGrain(
        EngineSettings settings,
        DurableServices<JournalEntry> services,
        GrainRefs refs,
        CreditCarrier carrier,
        [PersistentState(StorageNames.CustomerState, StorageNames.Snapshots)] IPersistentState<CustomerGrainSnapshot> snapshot,
        ILogger<CustomerGrain> logger)
        : base(services, snapshot, logger)
    {
        _settings = settings;
        // No acceptance stamp: a customer's credits (a first order) are timed from their arrival at the rep book
        // (docs/telemetry.md).
        _credits = AddOutbox(
            RepCreditLanes.Direct(refs, _ => 0),
            RepCredits.Merge,
            carrier.Stamped(_ => 0),
            destinations: StreamKinds.RepBook);
    }

    protected override JournalStream Stream => StreamKinds.Customer.Of(this.GetPrimaryKeyString());

    protected override void OnStarting() => _state = new CustomerState(this.GetPrimaryKeyString());

    protected override void Restore(CustomerGrainSnapshot snapshot)
    {
        _state = CustomerState.FromSnapshot(snapshot.Domain, _settings.Dedup);
        Inbox.Import(snapshot.Orders);
        _credits.Import(snapshot.Credits);
    }

    protected override CustomerGrainSnapshot Capture() =>
        new() { Sequence = Journal.Sequence, Domain = _state.ToSnapshot(), Orders = Inbox.Export(), Credits = _credits.Export() };

    public async Task<EventOutcome> RegisterAsync(CustomerRegistered e)
    {
        Journal.EnsureUsable();
        var outcome = e.Accept(new CustomerEvents(_state, _settings.Dedup));
        if (outcome.IsAccepted)
        {
            await CommitAsync(new EventAccepted(e), null, Answer.AfterCommit);
        }

        return EventOutcome.From(outcome);
    }

    public async Task<EventOutcome> ChangeKeyAccountAsync(CustomerKeyAccountChanged e)
    {
        Journal.EnsureUsable();
        if (IsBackedUp)
        {
            return Delivery.BackedUp(1)[0];
        }

        var events = new CustomerEvents(_state, _settings.Dedup);
        var outcome = e.Accept(events);
        if (outcome.IsAccepted)
        {
            await CommitAsync(new EventAccepted(e), () => Queue(events.Moves), Answer.AfterCommit);
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

    public Task SetOrderAsync(string opportunityId, string sender, long sequence, OrderRow? order, string ownerRepId) =>
        ReceiveAsync(sender, sequence, () =>
        {
            var credits = SetOrder(opportunityId, sender, sequence, order, ownerRepId);
            return (new OwnedOrderReceived(opportunityId, sender, sequence, order, ownerRepId), () => Queue(credits));
        });

    public Task TouchAsync(string sender, long firstSequence, long sequence, CustomerTouch[] touches) =>
        ReceiveAsync(sender, firstSequence, () =>
        {
            var credits = Touch(sender, sequence, touches);
            return (new TouchesReceived(sender, sequence, touches), () => Queue(credits));
        });

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
                var events = new CustomerEvents(_state, _settings.Dedup);
                accepted.Event.Accept(events);
                Queue(events.Moves);
                break;
            case OwnedOrderReceived o:
                Queue(SetOrder(o.OpportunityId, o.Sender, o.Sequence, o.Order, o.OwnerRepId));
                break;
            case OrderReceived o:
                Queue(SetOrder(o.OpportunityId, o.Sender, o.Sequence, o.Order, ""));
                break;
            case TouchesReceived t:
                Queue(Touch(t.Sender, t.Sequence, t.Touches));
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

    private IReadOnlyList<(string RepId, CreditItem[] Items)> SetOrder(string opportunityId, string sender, long sequence, OrderRow? order, string ownerRepId)
    {
        var credits = _state.SetOrder(opportunityId, order?.ToDomain(ownerRepId));
        Inbox.Applied(sender, sequence);
        return credits;
    }

    /// <summary>Queues what a committed order changed of the new-customer credit, to the owners' rep books.</summary>
    private void Queue(IReadOnlyList<(string RepId, CreditItem[] Items)> credits) => RepCreditLanes.Enqueue(_credits, credits);

    /// <summary>
    /// Applies one touch message in order. The lane's numbers make it exactly-once; a payment is still counted once
    /// per (rep, event id), which keeps touches a snapshot of an earlier build held unsent (re-sent in a new lane) from
    /// counting twice. Answers the activities' credits by customer group, to their reps.
    /// </summary>
    private List<(string RepId, CreditItem[] Items)> Touch(string sender, long sequence, CustomerTouch[] touches)
    {
        var credits = new List<(string RepId, CreditItem[] Items)>();
        foreach (var t in touches)
        {
            if (t.ContactAt is { } at)
            {
                if (t.RepId.Length > 0)
                {
                    credits.Add((t.RepId, _state.LogActivity(t.RepId, at, t.Minutes)));
                }
                else
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
        return credits;
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
    private sealed class CustomerEvents(CustomerState state, DedupWindow dedup) : ISalesEventVisitor<Outcome>
    {
        /// <summary>What an accepted key-account change re-credits, to the activities' reps.</summary>
        public IReadOnlyList<(string RepId, CreditItem[] Items)> Moves { get; private set; } = [];

        public Outcome Visit(CustomerRegistered e) => state.Register(e);

        public Outcome Visit(CustomerKeyAccountChanged e)
        {
            var outcome = state.ChangeKeyAccount(e, dedup, out var moves);
            Moves = moves;
            return outcome;
        }

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

        public Outcome Visit(PlanningInputsRecorded e) => Foreign(e);

        private static Outcome Foreign(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a customer event");
    }
}
