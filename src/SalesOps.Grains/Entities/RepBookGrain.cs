using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A book of reps (ADR 0009): applies rep events and opportunity credits to the reps whose id hashes to it, journals
/// them, then sends counter deltas and score changes to regions and contacts and payments to customers, through
/// outboxes (in order, retried, never applied twice) — one roll-up lane per region for the whole book.
/// A call returns once its inputs are applied and committed; delivery runs on behind it (<see cref="Courier"/>), and
/// roll-ups that queue up behind a region's previous one go to it as one message (ADR 0008).
/// </summary>
public sealed partial class RepBookGrain : DurableGrain<JournalEntry, RepBookGrainSnapshot>, IRepBookGrain
{
    private readonly EngineSettings _settings;
    private readonly IOptions<EngineOptions> _options;
    private readonly EngineClock _clock;
    private readonly GrainRefs _refs;
    private readonly ILogger<RepBookGrain> _logger;

    /// <summary>The reps that joined (and, should one ever be credited before joining, that one too).</summary>
    private readonly Dictionary<string, RepState> _reps = new(StringComparer.Ordinal);
    /// <summary>All payments the book's reps have received: checked against <see cref="SumBound"/>.</summary>
    private long _payments;
    private readonly Outbox<Rollup> _rollups;

    /// <summary>
    /// When the call being handled took its events (wall-clock UTC ticks), stamped on the roll-ups it queues so that
    /// a push can tell how long after acceptance it was written; 0 in replay and for pace checks.
    /// </summary>
    private long _acceptedAt;

    /// <summary>Per region, the earliest acceptance behind the roll-ups not yet sent to it (<see cref="AcceptanceStamps"/>).</summary>
    private readonly Dictionary<string, long> _rollupsSince = new(StringComparer.Ordinal);
    private readonly Outbox<CustomerTouch[]> _touches;
    private readonly RepEvents _events;
    private readonly PaceTimer _pace;

    /// <summary>The earliest end of a period with forecast submissions that some rep of the book has not scored yet.</summary>
    private DateTimeOffset? _nextForecastEnd;

    public RepBookGrain(
        EngineSettings settings,
        IOptions<EngineOptions> options,
        EngineClock clock,
        DurableServices<JournalEntry> services,
        GrainRefs refs,
        RollupCarrier carrier,
        [PersistentState(StorageNames.RepBookState, StorageNames.Snapshots)] IPersistentState<RepBookGrainSnapshot> snapshot,
        ILogger<RepBookGrain> logger)
        : base(services, snapshot, logger)
    {
        (_settings, _options, _clock, _refs, _logger) = (settings, options, clock, refs, logger);
        _events = new RepEvents(settings);
        _pace = new PaceTimer(this, options.Value.PaceCheckInterval, CheckPaceAsync);

        // Durable: through the silo's carrier, so a region commits many books' roll-ups at once (measured at the same
        // throughput: board pushes 0.8 s behind instead of 2.3 s, docs/perf.md). In memory a region applies a roll-up
        // in microseconds and the carrier measured no gain, so the runtime calls the region directly there.
        _rollups = AddOutbox<Rollup>(
            (region, sender, first, last, rollup) =>
                refs.Region(region).ApplyRollupAsync(sender, first, last, rollup, AcceptanceStamps.Take(_rollupsSince, region)),
            Rollup.Merge,
            carrier.Stamped(region => AcceptanceStamps.Take(_rollupsSince, region)));
        _touches = AddOutbox<CustomerTouch[]>(
            (customer, sender, first, last, touches) => refs.Customer(customer).TouchAsync(sender, first, last, touches),
            CustomerTouch.Merge,
            destinations: StreamKinds.Customer);
        _dealTouches = AddOutbox(DealTouchLanes.Send(refs), DealTouch.Merge, destinations: StreamKinds.OpportunityBook);
    }

    protected override JournalStream Stream => StreamKinds.RepBook.Of(this.GetPrimaryKeyLong());

    protected override int SnapshotEvery => _options.Value.BookSnapshotEvery;

    protected override void Restore(RepBookGrainSnapshot snapshot)
    {
        _reps.Clear();
        _payments = 0;
        foreach (var bytes in snapshot.Reps)
        {
            var rep = RepState.FromSnapshot(bytes, _settings.Dedup);
            _reps[rep.Id] = rep;
            _payments += SumBound.PaymentsOf(rep);
        }

        _nextForecastEnd = NextForecastEnd();
        Inbox.Import(snapshot.Credits);
        _rollups.Import(snapshot.Rollups);
        _touches.Import(snapshot.Touches);
        _dealTouches.Import(snapshot.DealTouches);
        foreach (var (customer, touch) in snapshot.Customers)
        {
            // Touches a snapshot of an earlier build held unsent, before they went through numbered lanes: sent now
            // in a lane; the customer still counts a payment once per (rep, event id).
            _touches.Enqueue(customer, [touch]);
        }
    }

    protected override void OnRecovered()
    {
        if (_reps.Count > 0)
        {
            _pace.Start(); // the same timer scores forecasts of periods that end while no event comes in
        }
    }

    protected override RepBookGrainSnapshot Capture() => new()
    {
        Sequence = Journal.Sequence,
        Reps = _reps.Values.Select(r => r.ToSnapshot()).ToList(),
        Credits = Inbox.Export(),
        Rollups = _rollups.Export(),
        Touches = _touches.Export(),
        DealTouches = _dealTouches.Export(),
    };

    /// <summary>
    /// Answers once the events are committed (<see cref="Answer.AfterCommit"/>): roll-ups and touches are delivered
    /// behind the answer (ADR 0008), and nothing in the book's answer depends on them.
    /// </summary>
    public async Task<EventOutcome[]> ApplyAsync(SalesEvent[] events)
    {
        Journal.EnsureUsable();
        _acceptedAt = DateTime.UtcNow.Ticks; // once per call, for the push-latency metric
        if (IsBackedUp)
        {
            return Delivery.BackedUp(events.Length);
        }

        // What each accepted event sends, and the rep of a target (its pace is checked once the target is committed).
        var batch = new EventBatch<(Outgoing Outgoing, RepState? Targeted)>(events.Length);
        var outcomes = batch.Apply(
            events,
            (SalesEvent e, out (Outgoing, RepState?) effect) =>
            {
                var outcome = Apply(e, out var outgoing, out var rep);
                effect = (outgoing, e is TargetSet ? rep : null);
                return outcome;
            },
            _logger,
            Journal.Stream);
        if (batch.Entries.Count == 0)
        {
            if (batch.HadDuplicate)
            {
                // A re-send after a crash nudges what the first delivery left queued, behind the answer as any rep
                // book's delivery: waiting for it would hold the book's calls, among them credits from the deal books
                // its deal touches go to, which wait for their credits before they answer.
                await DeliverAsync(Answer.AfterCommit);
            }

            return outcomes;
        }

        // Queued in journal order, one message per event and region as a replay queues them: the outbox numbering is
        // the same either way, and the drain merges what waits.
        await CommitAsync(
            batch.Entries,
            () =>
            {
                foreach (var (outgoing, _) in batch.Effects)
                {
                    Queue(outgoing);
                }
            },
            Answer.AfterCommit);
        List<RepState>? targeted = null;
        foreach (var (_, rep) in batch.Effects)
        {
            if (rep is not null)
            {
                (targeted ??= new List<RepState>()).Add(rep);
            }
        }

        _pace.Start();
        if (targeted is not null)
        {
            await CheckPaceAsync(targeted);
        }

        if (_nextForecastEnd is not null)
        {
            _pace.Start();
            await CloseForecastPeriodsAsync();
        }

        return outcomes;
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsJoinedAsync(string repId)
    {
        Journal.EnsureUsable();
        return Task.FromResult(_reps.TryGetValue(repId, out var rep) && rep.IsJoined);
    }

    public Task FlushAsync() => DeliverAsync(Answer.AfterDelivery);

    public Task<RepDeparture[]> GetDeparturesAsync()
    {
        Journal.EnsureUsable();
        return Task.FromResult(_reps.Values.Where(r => r.HasLeft).Select(r => RepDeparture.Of(r, r.Left!)).ToArray());
    }

    /// <summary>A rep of this book; one never joined is answered as such and not kept.</summary>
    public Task<RepSnapshot> GetSnapshotAsync(string repId)
    {
        var s = _reps.GetValueOrDefault(repId) ?? new RepState(repId, _settings.Dedup);
        return Task.FromResult(new RepSnapshot(
            s.Id, s.IsJoined, s.Name, s.RegionId, (byte)s.Role, (byte)s.Style, Counter.From(s.Figures()), TargetRow.From(s.Targets),
            ForecastRow.From(s.Forecasts)) { Inputs = PlanningInputsRow.From(s.Inputs) });
    }

    public Task<Counter[]?> GetCountersAsync(string repId, int period) =>
        Task.FromResult<Counter[]?>(_reps.TryGetValue(repId, out var rep) && rep.IsJoined
            ? Counter.From(Counter.ToSet([.. Counter.Of(rep.Historical, new Period(period)), .. Counter.Of(rep.Current, new Period(period))]))
            : null);

    public Task<RepProfile[]> GetProfilesAsync(string[] repIds) =>
        Task.FromResult(Array.ConvertAll(repIds, id => _reps.GetValueOrDefault(id) is { IsJoined: true } s
            ? new RepProfile(id, s.Name, s.RegionId) { PhotoUrl = s.PhotoUrl }
            : new RepProfile(id, "", "")));

    protected override void Replay(JournalEntry entry)
    {
        _acceptedAt = 0; // history: no latency to report
        switch (entry)
        {
            case EventAccepted accepted:
                Apply(accepted.Event, out var outgoing, out _);
                Queue(outgoing);
                break;
            case RepCreditsReceived c:
                Enqueue(Credit(c.Sender, c.Sequence, c.Credits));
                break;
            case ForecastPeriodsClosed closed:
                Enqueue(CloseForecastPeriods(closed.Now));
                break;
            default:
                throw new InvalidOperationException($"{Journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    /// <summary>
    /// Applies a rep event to its rep and works out what it sends; the same path serves live events and replay. What
    /// it sends is queued (<see cref="Queue"/>) only once the event is committed, so a drain running meanwhile cannot
    /// send it. A rep is kept only once its <c>RepJoined</c> is accepted: every other event of a rep that has not
    /// joined is refused without changing it.
    /// </summary>
    private Outcome Apply(SalesEvent e, out Outgoing outgoing, out RepState rep)
    {
        outgoing = default;
        var id = EventRouting.Target(e).Id;
        if (!_reps.TryGetValue(id, out var known))
        {
            known = new RepState(id, _settings.Dedup); // kept only once its RepJoined is accepted
        }

        rep = known;

        // After the rep's own checks that come first (joined, de-duplication), like every entity rule.
        if (e is PaymentReceived payment && rep.IsJoined && rep.Recognise(payment) == DedupVerdict.New
            && SumBound.CheckPayment(payment, _payments) is { } refused)
        {
            return refused;
        }

        var effects = new RepEffects();
        _events.Start(rep, effects);
        var outcome = e.Accept(_events);
        if (!outcome.IsAccepted)
        {
            return outcome;
        }

        if (e is PaymentReceived paid)
        {
            _payments += paid.Amount;
        }

        _reps[id] = rep;
        if (e is ForecastSubmitted && rep.NextForecastEnd(_settings.Forecasts) is { } end && !(_nextForecastEnd <= end))
        {
            _nextForecastEnd = end;
        }

        outgoing = new Outgoing(effects, _events.Customer, _events.Touch, _events.DealTouch);
        return outcome;
    }

    /// <summary>
    /// What each event does to a rep of the book, and what it tells a customer; events about anything but a rep are
    /// refused. One per activation: it holds the rep and effects of the event being applied (grains run one call at a
    /// time, and applying does not await).
    /// </summary>
    private sealed class RepEvents(EngineSettings settings) : ISalesEventVisitor<Outcome>
    {
        private RepState _rep = null!;
        private RepEffects _effects = null!;

        /// <summary>The customer an accepted event touches, and how; null when it touches none.</summary>
        public string? Customer { get; private set; }

        public CustomerTouch? Touch { get; private set; }

        /// <summary>The activity an accepted event logged against a deal, for the deal's book; null when none.</summary>
        public DealTouch? DealTouch { get; private set; }

        public void Start(RepState rep, RepEffects effects)
        {
            (_rep, _effects) = (rep, effects);
            (Customer, Touch, DealTouch) = (null, null, null);
        }

        public Outcome Visit(RepJoined e) => _rep.Join(e, settings.Calendar, _effects);

        public Outcome Visit(RepMoved e) => _rep.Move(e, settings.Calendar, _effects);

        public Outcome Visit(RepLeft e) => _rep.Leave(e, settings.Calendar, _effects);

        public Outcome Visit(ActivityLogged e)
        {
            var outcome = _rep.LogActivity(e, settings.Calendar, _effects);
            if (outcome.IsAccepted && e.CustomerId.Length > 0)
            {
                (Customer, Touch) = (e.CustomerId, new CustomerTouch(e.RepId, "", 0, e.OccurredAt, e.DurationMinutes));
            }

            DealTouch = outcome.IsAccepted && e.OpportunityId.Length > 0 ? new DealTouch(e.OpportunityId, e.RepId, e.OccurredAt, e.DurationMinutes) : null;

            return outcome;
        }

        public Outcome Visit(PaymentReceived e)
        {
            var outcome = _rep.ReceivePayment(e, settings.Calendar, _effects);
            if (outcome.IsAccepted)
            {
                (Customer, Touch) = (e.CustomerId, new CustomerTouch(e.RepId, e.EventId, e.Amount, null));
            }

            return outcome;
        }

        public Outcome Visit(TargetSet e) => _rep.SetTarget(e, _effects);

        public Outcome Visit(ForecastSubmitted e) => _rep.SubmitForecast(e, _effects);

        public Outcome Visit(PlanningInputsRecorded e) => _rep.RecordPlanningInputs(e);

        public Outcome Visit(RegionDefined e) => NotARepEvent(e);

        public Outcome Visit(CustomerRegistered e) => NotARepEvent(e);
        public Outcome Visit(CustomerKeyAccountChanged e) => NotARepEvent(e);

        public Outcome Visit(OpportunityOpened e) => NotARepEvent(e);

        public Outcome Visit(OpportunityStageChanged e) => NotARepEvent(e);

        public Outcome Visit(OpportunityAmountChanged e) => NotARepEvent(e);

        public Outcome Visit(OpportunityReassigned e) => NotARepEvent(e);

        public Outcome Visit(OpportunityWon e) => NotARepEvent(e);

        public Outcome Visit(OpportunityLost e) => NotARepEvent(e);

        private static Outcome NotARepEvent(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a rep event");
    }

    /// <summary>
    /// One roll-up per region, carrying its counter delta and board changes in order (changes of several reps when
    /// the effects are a credit message's; each rep's keep their own order, and a region orders them by their rep's
    /// sequence).
    /// </summary>
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
            AcceptanceStamps.Note(_rollupsSince, region, _acceptedAt);
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
}
