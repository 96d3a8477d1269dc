namespace SalesOps.Domain;

/// <summary>What one opportunity contributes to its owner's counters, and to its customer.</summary>
/// <param name="OwnerRepId">The rep credited.</param>
/// <param name="Items">Counter contributions.</param>
/// <param name="Order">Set when the deal stands won: the customer's order.</param>
public sealed record OpportunityContribution(string OwnerRepId, IReadOnlyList<CreditItem> Items, CustomerOrder? Order);

/// <summary>A won deal as the customer sees it.</summary>
/// <param name="Amount">The deal's amount.</param>
/// <param name="WonAt">When it was won.</param>
/// <param name="OwnerRepId">
/// The rep its booking is credited to (the deal's owner), whom the customer credits when this is its first order; ""
/// for an order an earlier build stored without it (such an order is never credited as a new customer).
/// </param>
public readonly record struct CustomerOrder(long Amount, DateTimeOffset WonAt, string OwnerRepId);

/// <summary>
/// One deal. Every attribute that events change (stage, amount, owner, expected close) is a last-writer-wins
/// register ordered by <see cref="EventStamp"/>, so the state is a function of the set of accepted events,
/// whatever order they arrived in. Won and lost are stages like the others: a later stage event reopens a
/// closed deal. The highest stage ever reached feeds the conversion figures.
/// </summary>
public sealed partial class OpportunityState
{
    private readonly EventIdWindow _seen;
    private Lww<string> _owner;
    private Lww<long> _amount;
    private Lww<long> _cost;
    private Lww<DateOnly> _expectedClose;
    private Lww<int> _stage;
    private CloseHistory _closes;
    private RiskAlertState _riskAlerts;

    /// <param name="id">The opportunity id.</param>
    /// <param name="dedup">How many of the deal's event ids it remembers to recognise re-sends (docs/semantics.md, rule 3).</param>
    public OpportunityState(string id, DedupWindow dedup)
        : this(id, new EventIdWindow(dedup))
    {
    }

    private OpportunityState(string id, EventIdWindow seen) => (Id, _seen) = (id, seen);

    public string Id { get; }
    public bool IsOpened { get; private set; }
    public string OpenEventId { get; private set; } = "";
    public DateTimeOffset OpenedAt { get; private set; }
    public string CustomerId { get; private set; } = "";
    public string ProductLine { get; private set; } = "";
    public string Channel { get; private set; } = "";
    public string OwnerRepId => _owner.Value ?? "";
    public long Amount => _amount.Value;

    /// <summary>The deal's cost, or null while no event has given one (docs/semantics.md, "Gross margin").</summary>
    public long? Cost => _cost.HasValue ? _cost.Value : null;
    public DateOnly ExpectedClose => _expectedClose.Value;
    public int StageIndex => _stage.Value;
    public DateTimeOffset StageAt => _stage.Stamp.At;

    /// <summary>How many times the deal was pushed out (see <see cref="CloseHistory"/>).</summary>
    public int Pushes => _closes.Pushes;

    /// <summary>Expected-close settings kept to place late events, the current one included (bounded by the de-dup window).</summary>
    public int CloseSettingsKept => _closes.EarlierKept + (_expectedClose.HasValue ? 1 : 0);

    /// <summary>Highest level ever reached: an open stage's index, or the open-stage count for won; -1 before any.</summary>
    public int ReachedLevel { get; private set; } = -1;

    /// <summary>The deal's de-dup window: the ids of its accepted events it still recognises.</summary>
    internal EventIdWindow Seen => _seen;

    /// <summary>What the deal's de-dup window says of <paramref name="e"/>, changing nothing.</summary>
    public DedupVerdict Recognise(SalesEvent e) => _seen.Check(e.EventId, e.OccurredAt);

    /// <summary>Applies an already validated event. References (owner, customer) must have been checked by the caller.</summary>
    public Outcome Apply(SalesEvent e, StageTable stages, out OpportunityChange? change)
    {
        change = null;
        if (_seen.Refuse(e.EventId, e.OccurredAt, $"opportunity '{Id}'") is { } refused)
        {
            return refused;
        }

        if (e is OpportunityOpened open)
        {
            if (IsOpened)
            {
                return Outcome.Conflict("opportunity_id", $"opportunity '{Id}' was already opened by event '{OpenEventId}'");
            }
        }
        else if (!IsOpened)
        {
            return Outcome.NotFound("opportunity_id", $"opportunity '{Id}' has not been opened");
        }

        var before = IsOpened ? Contribution(stages) : null;
        var wasWon = IsOpened && _stage.Value == stages.WonIndex;
        var moves = MovesBefore(stages);
        var stamp = new EventStamp(e.OccurredAt, e.EventId);
        var mutator = t_mutator ??= new Mutator();
        (mutator.Deal, mutator.Stamp, mutator.Stages) = (this, stamp, stages);
        var applied = e.Accept(mutator);
        mutator.Deal = null!;
        if (!applied)
        {
            return Outcome.Invalid("event", $"{e.GetType().Name} is not an opportunity event");
        }

        _seen.Add(e.EventId, e.OccurredAt);
        _closes.Forget(_seen.Horizon, _expectedClose);
        var net = MovesAfter(stages, moves);
        var isWon = _stage.Value == stages.WonIndex;
        change = new OpportunityChange(before, Contribution(stages), isWon && !wasWon) { Moves = net };
        return Outcome.Accepted;
    }

    /// <summary>One per thread, so that applying an event allocates nothing for its dispatch (a deal book applies many).</summary>
    [ThreadStatic]
    private static Mutator? t_mutator;

    /// <summary>What each event does to a deal; false for events that are not about a deal.</summary>
    private sealed class Mutator : ISalesEventVisitor<bool>
    {
        public OpportunityState Deal = null!;
        public EventStamp Stamp;
        public StageTable Stages = null!;

        public bool Visit(OpportunityOpened o)
        {
            var d = Deal;
            d.IsOpened = true;
            d.OpenEventId = o.EventId;
            d.OpenedAt = o.OccurredAt;
            d.CustomerId = o.CustomerId;
            d.ProductLine = o.ProductLine;
            d.Channel = o.Channel;
            Stages.TryIndexOf(o.StageId, out var stage);
            d._history.Add(new DealStep(Stamp, true, stage, o.Amount, o.OwnerRepId, o.ExpectedClose));
            d._owner.Offer(o.OwnerRepId, Stamp);
            d._amount.Offer(o.Amount, Stamp);
            d.OfferCost(o.Cost, Stamp);
            d._closes.Offer(Stamp, o.ExpectedClose, d._expectedClose);
            d._expectedClose.Offer(o.ExpectedClose, Stamp);
            d.OfferStage(o.StageId, Stamp, Stages);
            return true;
        }

        public bool Visit(OpportunityStageChanged s)
        {
            Stages.TryIndexOf(s.StageId, out var stage);
            Deal._history.Add(new DealStep(Stamp, false, stage, null, null, s.ExpectedClose));
            Deal.OfferStage(s.StageId, Stamp, Stages);
            if (s.ExpectedClose is { } close)
            {
                Deal._closes.Offer(Stamp, close, Deal._expectedClose);
                Deal._expectedClose.Offer(close, Stamp);
            }

            return true;
        }

        public bool Visit(OpportunityAmountChanged a)
        {
            Deal._history.Add(new DealStep(Stamp, false, null, a.Amount, null, null));
            Deal._amount.Offer(a.Amount, Stamp);
            Deal.OfferCost(a.Cost, Stamp);
            return true;
        }

        public bool Visit(OpportunityReassigned r)
        {
            Deal._history.Add(new DealStep(Stamp, false, null, null, r.NewOwnerRepId, null));
            Deal._owner.Offer(r.NewOwnerRepId, Stamp);
            return true;
        }

        public bool Visit(OpportunityWon w)
        {
            Deal._history.Add(new DealStep(Stamp, false, Stages.WonIndex, w.Amount > 0 ? w.Amount : null, null, null));
            Deal.OfferStage(StageTable.WonId, Stamp, Stages);
            if (w.Amount > 0)
            {
                Deal._amount.Offer(w.Amount, Stamp);
            }

            Deal.OfferCost(w.Cost, Stamp);
            return true;
        }

        public bool Visit(OpportunityLost l)
        {
            Deal._history.Add(new DealStep(Stamp, false, Stages.LostIndex, null, null, null));
            Deal.OfferStage(StageTable.LostId, Stamp, Stages);
            return true;
        }

        public bool Visit(RegionDefined e) => false;

        public bool Visit(RepJoined e) => false;

        public bool Visit(RepMoved e) => false;

        public bool Visit(RepLeft e) => false;

        public bool Visit(CustomerRegistered e) => false;
        public bool Visit(CustomerKeyAccountChanged e) => false;

        public bool Visit(ActivityLogged e) => false;

        public bool Visit(PaymentReceived e) => false;

        public bool Visit(TargetSet e) => false;

        public bool Visit(ForecastSubmitted e) => false;

        public bool Visit(PlanningInputsRecorded e) => false;
    }

    /// <summary>
    /// The rep an event would make this deal's owner (opened, reassigned) or credit with a win, and the field that
    /// names that rep in the event; null for an event that credits no owner anew.
    /// </summary>
    public (string RepId, string Field)? OwnerCredited(SalesEvent e)
    {
        var visitor = t_owner ??= new OwnerNamed();
        visitor.Deal = this;
        var owner = e.Accept(visitor);
        visitor.Deal = null!;
        return owner;
    }

    /// <summary>
    /// The refusal of an event that would give this deal, or a win of it, to a rep who had left the company by the
    /// event's date (docs/semantics.md, "A rep leaves"); null when it is not refused. Checked before
    /// <see cref="Apply"/>, with the departures of the reps named (<paramref name="departureOf"/>: null while a rep is
    /// with the company).
    /// </summary>
    public Outcome? RefuseForDepartedOwner(SalesEvent e, Func<string, Departure?> departureOf)
    {
        // An event the de-dup window knows (or refuses) is answered by Apply, as a re-send must be.
        if (_seen.Check(e.EventId, e.OccurredAt) != DedupVerdict.New || OwnerCredited(e) is not { } owner || departureOf(owner.RepId) is not { } left
            || e.OccurredAt < left.At)
        {
            return null;
        }

        return e is OpportunityWon
            ? Outcome.Conflict(
                owner.Field,
                $"the deal's owner, rep '{owner.RepId}', left the company on {left.On:yyyy-MM-dd}; reassign the deal (OpportunityReassigned) before winning it")
            : Outcome.Conflict(
                owner.Field,
                $"rep '{owner.RepId}' left the company on {left.On:yyyy-MM-dd}; a deal cannot be given to them from then on");
    }

    [ThreadStatic]
    private static OwnerNamed? t_owner;

    /// <summary>The rep an event gives the deal to or credits with its win; see <see cref="OwnerCredited"/>.</summary>
    private sealed class OwnerNamed : ISalesEventVisitor<(string RepId, string Field)?>
    {
        public OpportunityState Deal = null!;

        public (string RepId, string Field)? Visit(OpportunityOpened e) => (e.OwnerRepId, "owner_rep_id");

        // A deal not opened yet is answered NotFound before anything else (docs/semantics.md, rule 4).
        public (string RepId, string Field)? Visit(OpportunityReassigned e) => Deal.IsOpened ? (e.NewOwnerRepId, "new_owner_rep_id") : null;

        public (string RepId, string Field)? Visit(OpportunityWon e) => Deal.IsOpened ? (Deal.OwnerRepId, "opportunity_id") : null;

        public (string RepId, string Field)? Visit(OpportunityStageChanged e) => null;

        public (string RepId, string Field)? Visit(OpportunityAmountChanged e) => null;

        public (string RepId, string Field)? Visit(OpportunityLost e) => null;

        public (string RepId, string Field)? Visit(RegionDefined e) => null;

        public (string RepId, string Field)? Visit(RepJoined e) => null;

        public (string RepId, string Field)? Visit(RepMoved e) => null;

        public (string RepId, string Field)? Visit(RepLeft e) => null;

        public (string RepId, string Field)? Visit(CustomerRegistered e) => null;
        public (string RepId, string Field)? Visit(CustomerKeyAccountChanged e) => null;

        public (string RepId, string Field)? Visit(ActivityLogged e) => null;

        public (string RepId, string Field)? Visit(PaymentReceived e) => null;

        public (string RepId, string Field)? Visit(TargetSet e) => null;

        public (string RepId, string Field)? Visit(ForecastSubmitted e) => null;

        public (string RepId, string Field)? Visit(PlanningInputsRecorded e) => null;
    }

    private void OfferCost(long? cost, EventStamp stamp)
    {
        if (cost is { } c)
        {
            _cost.Offer(c, stamp);
        }
    }

    private void OfferStage(string stageId, EventStamp stamp, StageTable stages)
    {
        stages.TryIndexOf(stageId, out var index);
        _stage.Offer(index, stamp);
        var level = index == stages.LostIndex ? -1 : index;
        ReachedLevel = Math.Max(ReachedLevel, level);
    }

    /// <summary>The opportunity's whole contribution as it stands.</summary>
    public OpportunityContribution Contribution(StageTable stages)
    {
        var items = new List<CreditItem>(ReachedLevel + 14);
        var stage = _stage.Value;
        var amount = _amount.Value;
        CustomerOrder? order = null;
        if (stages.IsOpen(stage))
        {
            var s = (short)stage;
            items.Add(new CreditItem(Figure.PipelineCount, s, 0, 1, null, null));
            items.Add(new CreditItem(Figure.PipelineAmount, s, 0, amount, null, null));
            items.Add(new CreditItem(Figure.OpenByClose, s, 0, amount, null, _expectedClose.Value));
        }
        else if (stage == stages.WonIndex)
        {
            var at = _stage.Stamp.At;
            items.Add(new CreditItem(Figure.Bookings, 0, 0, amount, at, null));
            items.Add(new CreditItem(Figure.WonCount, 0, 0, 1, at, null));
            items.Add(new CreditItem(Figure.CycleSeconds, 0, 0, CycleSeconds(OpenedAt, at), at, null));
            order = new CustomerOrder(amount, at, OwnerRepId);
            WonItems(items, amount, at);
        }
        else
        {
            var at = _stage.Stamp.At;
            items.Add(new CreditItem(Figure.LostCount, 0, 0, 1, at, null));
            items.Add(new CreditItem(Figure.LostAmount, 0, 0, amount, at, null));
        }

        for (short level = 0; level <= ReachedLevel; level++)
        {
            items.Add(new CreditItem(Figure.Reached, level, 0, 1, null, null));
        }

        items.Add(new CreditItem(Figure.OpenedCount, 0, 0, 1, OpenedAt, null));

        return new OpportunityContribution(OwnerRepId, items, order);
    }

    /// <summary>Whole seconds from opened to won; zero when the win is dated before the opening.</summary>
    public static long CycleSeconds(DateTimeOffset openedAt, DateTimeOffset wonAt) =>
        Math.Max(0, (long)Math.Floor((wonAt - openedAt).TotalSeconds));

    /// <summary>
    /// "After" minus "before", per item apart from its value, in first-seen order, without the items that cancel.
    /// A deal has a handful of items, so a linear search beats a hash map here.
    /// </summary>
    private static List<CreditItem> Net(IReadOnlyList<CreditItem> before, IReadOnlyList<CreditItem> after)
    {
        var net = new List<CreditItem>(before.Count + after.Count);
        foreach (var i in before)
        {
            Accumulate(net, i.Negate());
        }

        foreach (var i in after)
        {
            Accumulate(net, i);
        }

        net.RemoveAll(i => i.Value == 0);
        return net;

        static void Accumulate(List<CreditItem> sums, CreditItem item)
        {
            var key = item with { Value = 0 };
            for (var j = 0; j < sums.Count; j++)
            {
                if ((sums[j] with { Value = 0 }) == key)
                {
                    sums[j] = sums[j] with { Value = sums[j].Value + item.Value };
                    return;
                }
            }

            sums.Add(item);
        }
    }
}
