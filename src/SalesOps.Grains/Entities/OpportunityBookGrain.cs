using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A book of deals (ADR 0007): applies their events (last-writer-wins, per deal), journals the accepted ones, and
/// sends the change of each deal's contribution to its reps and its customer through outboxes — one lane per rep
/// book (ADR 0009) and per customer for the whole book — so a failed call is retried in order and never applied twice.
/// </summary>
public sealed class OpportunityBookGrain : DurableGrain<JournalEntry, OpportunityBookGrainSnapshot>, IOpportunityBookGrain
{
    private readonly EngineSettings _settings;
    private readonly IOptions<EngineOptions> _options;
    private readonly EngineClock _clock;
    /// <summary>Checks the book's open deals for at-risk alerts as the engine clock moves; started once the book holds a deal.</summary>
    private readonly PaceTimer _risk;
    private readonly GrainRefs _refs;
    private readonly ILogger<OpportunityBookGrain> _logger;
    private readonly Dictionary<string, OpportunityState> _deals = new(StringComparer.Ordinal);
    /// <summary>The current amounts of the book's deals, summed: checked against <see cref="SumBound"/>.</summary>
    private long _amounts;
    /// <summary>Credits for the reps, one lane per rep book (keyed by its number); waiting messages go as one.</summary>
    private readonly Outbox<RepCredits[]> _credits;
    private readonly Outbox<DealOrder> _orders;

    /// <summary>
    /// When the events the current call committed were taken (wall-clock UTC ticks; 0 outside such a call), and per rep
    /// book the earliest of those behind credits not yet sent: carried beside the credits for the push-latency metric
    /// (<see cref="AcceptanceStamps"/>).
    /// </summary>
    private long _acceptedAt;
    private readonly Dictionary<string, long> _creditsSince = new(StringComparer.Ordinal);
    /// <summary>Departures the rep books reported (a departure is final, so it is kept; who is still here is asked each time).</summary>
    private readonly Dictionary<string, Departure> _departed = new(StringComparer.Ordinal);
    /// <summary>The activities logged against the book's deals, joined with them (ADR 0023).</summary>
    private DealActivities _join = new();
    private static readonly OpportunityState NoDeal = new("", DedupWindow.Default);

    public OpportunityBookGrain(
        EngineSettings settings,
        IOptions<EngineOptions> options,
        EngineClock clock,
        DurableServices<JournalEntry> services,
        GrainRefs refs,
        CreditCarrier carrier,
        [PersistentState(StorageNames.OpportunityBookState, StorageNames.Snapshots)] IPersistentState<OpportunityBookGrainSnapshot> snapshot,
        ILogger<OpportunityBookGrain> logger)
        : base(services, snapshot, logger)
    {
        (_settings, _options, _clock, _refs, _logger) = (settings, options, clock, refs, logger);
        _risk = new PaceTimer(this, options.Value.AtRiskCheckInterval, CheckRiskAsync);
        Func<string, long> stamp = book => AcceptanceStamps.Take(_creditsSince, book);
        _credits = AddOutbox(
            RepCreditLanes.Direct(refs, stamp),
            RepCredits.Merge,
            carrier.Stamped(stamp),
            destinations: StreamKinds.RepBook);
        _orders = AddOutbox<DealOrder>((customer, sender, _, last, o) => refs.Customer(customer).SetOrderAsync(o.OpportunityId, sender, last, o.Order, o.OwnerRepId ?? ""));
    }

    protected override JournalStream Stream => StreamKinds.OpportunityBook.Of(this.GetPrimaryKeyLong());

    protected override int SnapshotEvery => _options.Value.BookSnapshotEvery;

    protected override void Restore(OpportunityBookGrainSnapshot snapshot)
    {
        _deals.Clear();
        _amounts = 0;
        foreach (var deal in snapshot.Deals)
        {
            var state = OpportunityState.FromSnapshot(deal, _settings.Dedup);
            _deals[state.Id] = state;
            _amounts += SumBound.Bounded(state);
        }

        _credits.Import(snapshot.Credits);
        _orders.Import(snapshot.Orders);
        Inbox.Import(snapshot.Inbox);
        _join = DealActivityRow.ToDomain(snapshot.Activities);
    }

    protected override void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                if (Apply(accepted.Event, out var change, out var deal) is { IsAccepted: true } && change is not null)
                {
                    Queue(deal!, change);
                }

                break;
            case DealTouchesReceived t:
                QueueCredits(Touch(t.Sender, t.Sequence, t.Touches));
                break;
            default:
                throw new InvalidOperationException($"{Journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    public Task TouchAsync(string sender, long firstSequence, long sequence, DealTouch[] touches) =>
        ReceiveAsync(sender, firstSequence, () =>
        {
            var credits = Touch(sender, sequence, touches);
            return (new DealTouchesReceived(sender, sequence, touches), () => QueueCredits(credits));
        });

    /// <summary>Joins one message's activities with their deals, in order, and answers their credits to the reps.</summary>
    private List<(string RepId, CreditItem[] Items)> Touch(string sender, long sequence, DealTouch[] touches)
    {
        var credits = new List<(string RepId, CreditItem[] Items)>();
        foreach (var t in touches)
        {
            var deal = _deals.TryGetValue(t.OpportunityId, out var d) ? DealView.Of(d, _settings.Stages) : null;
            credits.AddRange(_join.Log(t.OpportunityId, t.RepId, t.At, t.Minutes, deal));
        }

        Inbox.Applied(sender, sequence);
        return credits;
    }

    private void QueueCredits(List<(string RepId, CreditItem[] Items)> credits) => RepCreditLanes.Enqueue(_credits, credits);

    protected override void OnRecovered() => StartRiskChecks();

    private void StartRiskChecks()
    {
        if (_deals.Count > 0)
        {
            _risk.Start();
        }
    }

    protected override OpportunityBookGrainSnapshot Capture() => new()
    {
        Sequence = Journal.Sequence,
        Deals = _deals.Values.Select(d => d.ToSnapshot()).ToList(),
        Credits = _credits.Export(),
        Orders = _orders.Export(),
        Inbox = Inbox.Export(),
        Activities = DealActivityRow.From(_join),
    };

    /// <summary>
    /// Answers once the effects are delivered (<see cref="Answer.AfterDelivery"/>), unlike the rep book: a rep move or
    /// rep target is checked against what was credited, and ingest orders those events after the deal events before
    /// them, so the credits must have reached the rep book when the deal events are answered (docs/semantics.md rule 4,
    /// ADR 0015).
    /// </summary>
    public async Task<EventOutcome[]> ApplyAsync(SalesEvent[] events)
    {
        Journal.EnsureUsable();
        if (IsBackedUp)
        {
            return Delivery.BackedUp(events.Length);
        }

        await AskDeparturesAsync(events);

        // What each accepted event changed, and its celebration, taken as the deal stood right after it.
        var batch = new EventBatch<(OpportunityState Deal, OpportunityChange Change, AlertRecord? Celebration)>(events.Length);
        var outcomes = batch.Apply(
            events,
            (SalesEvent e, out (OpportunityState, OpportunityChange, AlertRecord?) effect) =>
            {
                OpportunityChange? change;
                OpportunityState? deal;
                var outcome = (_deals.GetValueOrDefault(EventRouting.Target(e).Id) ?? NoDeal).RefuseForDepartedOwner(e, _departed.GetValueOrDefault) is { } refused
                    ? Refused(refused, out change, out deal)
                    : Apply(e, out change, out deal);
                effect = change is null
                    ? default
                    : (deal!, change, deal!.Celebration(change, _settings.BigDealThreshold, _settings.Calendar) is { } c ? AlertRecord.From(c) : null);
                return outcome;
            },
            _logger,
            Journal.Stream);
        if (batch.Entries.Count == 0)
        {
            if (batch.HadDuplicate)
            {
                await DeliverAsync(Answer.AfterDelivery); // a re-send nudges what a first delivery may have left queued before a crash
            }

            return outcomes;
        }

        _acceptedAt = DateTime.UtcNow.Ticks; // once per call
        try
        {
            await CommitAsync(batch.Entries, () => batch.Effects.ForEach(c => Queue(c.Deal, c.Change)), Answer.AfterDelivery);
        }
        finally
        {
            _acceptedAt = 0;
        }

        StartRiskChecks();
        var celebrations = new List<AlertRecord>();
        foreach (var (_, _, celebration) in batch.Effects)
        {
            if (celebration is not null)
            {
                celebrations.Add(celebration);
            }
        }

        if (celebrations.Count > 0)
        {
            await Delivery.PublishAlertsAsync(_refs, celebrations.ToArray(), _logger);
        }

        return outcomes;
    }

    /// <summary>
    /// Learns whether the reps these events would give a deal or a win to have left, from their rep books, which decide
    /// it: asked on every such call (a leave may be accepted at any time) unless already known to have left.
    /// </summary>
    private async Task AskDeparturesAsync(SalesEvent[] events)
    {
        HashSet<long>? books = null;
        foreach (var e in events)
        {
            if ((_deals.GetValueOrDefault(EventRouting.Target(e).Id) ?? NoDeal).OwnerCredited(e) is { } owner && !_departed.ContainsKey(owner.RepId))
            {
                (books ??= new HashSet<long>()).Add(RepBooks.Of(owner.RepId));
            }
        }

        if (books is null)
        {
            return;
        }

        var answers = await Task.WhenAll(books.Select(b => RejectedCalls.CallAsync((_refs, b), static s => s._refs.RepBook(s.b).GetDeparturesAsync())));
        foreach (var departures in answers)
        {
            foreach (var d in departures)
            {
                _departed[d.RepId] = d.ToDomain();
            }
        }
    }

    private static Outcome Refused(Outcome refused, out OpportunityChange? change, out OpportunityState? deal)
    {
        (change, deal) = (null, null);
        return refused;
    }

    public Task<OpenDeal[]> GetOpenDealsOfAsync(string[] repIds)
    {
        var reps = repIds.ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(_deals.Values
            .Where(d => d.IsOpened && _settings.Stages.IsOpen(d.StageIndex) && reps.Contains(d.OwnerRepId))
            .Select(d => new OpenDeal(d.Id, d.CustomerId, d.Amount, d.StageIndex, d.OwnerRepId))
            .ToArray());
    }

    public Task<AtRiskDeal[]> GetAtRiskDealsAsync(DateTimeOffset now)
    {
        var list = new List<AtRiskDeal>();
        var at = RiskInstant.Of(_settings.Calendar, now);
        foreach (var d in _deals.Values)
        {
            if (d.Risk(_settings.Stages, _settings.AtRisk, at) is { Conditions: not RiskConditions.None } r)
            {
                list.Add(new AtRiskDeal(
                    d.Id, d.CustomerId, d.Amount, d.StageIndex, d.OwnerRepId, d.StageAt, r.DaysInStage, r.StallDays,
                    r.ExpectedClose.DayNumber, r.DaysOverdue, r.Pushes, (byte)r.Conditions));
            }
        }

        return Task.FromResult(list.ToArray());
    }

    /// <summary>
    /// One pass over the book's deals (about a thousand at a million deals): each open deal's three conditions are a few
    /// comparisons, so a pass costs tens of microseconds (docs/perf.md). The alerts' raised state lives in the deals and
    /// their snapshots; between snapshots it is not journaled, so a durable book restored from an older snapshot may
    /// raise an alert a second time, never miss one that is due.
    /// </summary>
    public Task CheckRiskAsync()
    {
        var at = RiskInstant.Of(_settings.Calendar, _clock.Now);
        List<AlertRecord>? alerts = null;
        foreach (var d in _deals.Values)
        {
            if (d.RiskAlerts(_settings.Stages, _settings.AtRisk, at) is { } raised)
            {
                (alerts ??= []).AddRange(raised.Select(AlertRecord.From));
            }
        }

        return alerts is null ? Task.CompletedTask : Delivery.PublishAlertsAsync(_refs, alerts.ToArray(), _logger);
    }

    public Task<OpportunitySnapshot> GetSnapshotAsync(string opportunityId)
    {
        var s = _deals.GetValueOrDefault(opportunityId) ?? new OpportunityState(opportunityId, _settings.Dedup);
        return Task.FromResult(new OpportunitySnapshot(
            s.Id, s.IsOpened, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel,
            s.ExpectedClose.DayNumber, s.StageIndex, s.OpenedAt, s.StageAt));
    }

    /// <summary>
    /// Applies an event to its deal; the same path serves live events and replay. What the change sends is queued
    /// (<see cref="Queue"/>) only once the event is committed.
    /// </summary>
    private Outcome Apply(SalesEvent e, out OpportunityChange? change, out OpportunityState? deal)
    {
        var id = EventRouting.Target(e).Id;
        if (!_deals.TryGetValue(id, out deal))
        {
            deal = new OpportunityState(id, _settings.Dedup); // kept only once an OpportunityOpened is accepted
        }

        // After de-duplication, like every entity rule: a re-sent event answers DUPLICATE even at the bound.
        if (deal.Recognise(e) == DedupVerdict.New && SumBound.CheckDeal(e, deal, _amounts, _deals.Count) is { } refused)
        {
            change = null;
            return refused;
        }

        var amountBefore = SumBound.Bounded(deal);
        var outcome = deal.Apply(e, _settings.Stages, out change);
        if (change is null)
        {
            return outcome;
        }

        _amounts += SumBound.Bounded(deal) - amountBefore;
        _deals[id] = deal;
        return outcome;
    }

    /// <summary>Queues what a committed change sends: credits to its reps' books, and its order to its customer.</summary>
    private void Queue(OpportunityState deal, OpportunityChange change)
    {
        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            var lane = RepCreditLanes.Of(repId);
            _credits.Enqueue(lane, [new RepCredits(repId, items.Select(Credit.From).ToArray())]);
            AcceptanceStamps.Note(_creditsSince, lane, _acceptedAt);
        }

        // The join's credits follow the deal's own: its activities' product line once opened, its load once closed.
        QueueCredits(_join.DealChanged(deal.Id, DealView.Of(change.Before, deal.ProductLine), DealView.Of(change.After, deal.ProductLine)));
        if (change.Before?.Order != change.After.Order)
        {
            _orders.Enqueue(deal.CustomerId, change.After.Order is { } o ? new DealOrder(deal.Id, OrderRow.From(o), o.OwnerRepId) : new DealOrder(deal.Id, null));
        }
    }
}

/// <summary>
/// A deal's order as its customer should count it (null: not won, or no longer), with the rep it is credited to (null
/// in messages an earlier build queued).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.DealOrder")]
public sealed record DealOrder([property: Id(0)] string OpportunityId, [property: Id(1)] OrderRow? Order, [property: Id(2)] string? OwnerRepId = null);
