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
public sealed class RepBookGrain(
    EngineSettings settings,
    IOptions<EngineOptions> options,
    EngineClock clock,
    JournalFactory journals,
    GrainRefs refs,
    RollupCarrier carrier,
    [PersistentState(StorageNames.RepBookState, StorageNames.Snapshots)] IPersistentState<RepBookGrainSnapshot> snapshot,
    ILogger<RepBookGrain> logger) : Grain, IRepBookGrain
{
    /// <summary>The reps that joined (and, should one ever be credited before joining, that one too).</summary>
    private readonly Dictionary<string, RepState> _reps = new(StringComparer.Ordinal);
    /// <summary>All payments the book's reps have received: checked against <see cref="SumBound"/>.</summary>
    private long _payments;
    private readonly Inbox _credits = new();
    private readonly Outbox<Rollup> _rollups = new(Rollup.Merge);
    private readonly RetryQueue<CustomerTouch> _customers = new();
    private readonly RepEvents _events = new(settings);
    private GrainJournal _journal = null!;
    private IGrainTimer? _paceTimer;
    private Courier _courier = null!;
    private SnapshotWriter<RepBookGrainSnapshot, JournalEntry> _snapshots = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _journal = journals.For(this, StreamKinds.RepBook.Of(this.GetPrimaryKeyLong()));
        _courier = new Courier(
            this,
            _journal,
            logger,
            () => Task.WhenAll(
                _rollups.DrainAsync(SendRollupAsync),
                _customers.DrainAsync((customer, touch) => touch.ApplyAsync(refs.Customer(customer)))),
            () => _rollups.HasPending || _customers.HasPending,
            _rollups.Stop,
            background: true,
            drained: () => _snapshots.OutputDelivered());
        _snapshots = new SnapshotWriter<RepBookGrainSnapshot, JournalEntry>(
            snapshot, _journal, options.Value.BookSnapshotEvery, Capture, logger, () => _rollups.HasPending || _customers.HasUnsent);
        await _snapshots.RecoverAsync(
            cp =>
            {
                _reps.Clear();
                _payments = 0;
                foreach (var bytes in cp.Reps)
                {
                    var rep = RepState.FromSnapshot(bytes, settings.Dedup);
                    _reps[rep.Id] = rep;
                    _payments += SumBound.PaymentsOf(rep);
                }

                _credits.Import(cp.Credits);
                _rollups.Import(cp.Rollups);
                _customers.Import(cp.Customers);
            },
            Replay,
            cancellationToken);
        _rollups.MarkRecovered();
        if (_reps.Values.Any(r => r.Targets.Count > 0))
        {
            StartPaceChecks();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _courier.CloseAsync(cancellationToken);
        await _snapshots.SaveAsync();
    }

    private RepBookGrainSnapshot Capture() => new()
    {
        Sequence = _journal.Sequence,
        Reps = _reps.Values.Select(r => r.ToSnapshot()).ToList(),
        Credits = _credits.Export(),
        Rollups = _rollups.Export(),
        Customers = _customers.Export(),
    };

    public async Task<EventOutcome[]> ApplyAsync(SalesEvent[] events)
    {
        _journal.EnsureUsable();
        var outcomes = new EventOutcome[events.Length];
        var entries = new List<JournalEntry>(events.Length);
        var outgoing = new List<Outgoing>(events.Length);
        List<RepState>? targeted = null;
        var duplicate = false;
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            Outcome outcome;
            Outgoing effects;
            RepState rep;
            try
            {
                outcome = Apply(e, out effects, out rep);
            }
            catch (Exception ex)
            {
                outcomes[i] = EventOutcome.From(Delivery.Fault(logger, _journal.Stream, e.EventId, ex));
                continue;
            }

            outcomes[i] = EventOutcome.From(outcome);
            if (!outcome.IsAccepted)
            {
                duplicate |= outcome.Code == OutcomeCode.Duplicate;
                continue;
            }

            // Numbered in apply order, and committed together: all of the call's entries or none.
            entries.Add(new EventAccepted(e));
            outgoing.Add(effects);
            if (e is TargetSet)
            {
                (targeted ??= new List<RepState>()).Add(rep);
            }
        }

        if (entries.Count == 0)
        {
            if (duplicate)
            {
                await _courier.DeliverAsync(); // a re-send after a crash nudges what the first delivery left queued
            }

            return outcomes;
        }

        await _journal.WriteAllAsync(entries);

        // Queued only now that every input is committed, in journal order, one message per event and region as a
        // replay queues them: the outbox numbering is the same either way, and the drain merges what waits.
        foreach (var o in outgoing)
        {
            Queue(o);
        }

        if (targeted is not null)
        {
            StartPaceChecks();
        }

        _courier.Kick();
        await _snapshots.MaybeSaveAsync();
        if (targeted is not null)
        {
            await CheckPaceAsync(targeted);
        }

        return outcomes;
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsJoinedAsync(string repId)
    {
        _journal.EnsureUsable();
        return Task.FromResult(_reps.TryGetValue(repId, out var rep) && rep.IsJoined);
    }

    public Task<RepDeparture[]> GetDeparturesAsync()
    {
        _journal.EnsureUsable();
        return Task.FromResult(_reps.Values.Where(r => r.HasLeft).Select(r => RepDeparture.Of(r, r.Left!)).ToArray());
    }

    public async Task CreditAsync(string sender, long firstSequence, long sequence, RepCredits[] credits)
    {
        _journal.EnsureUsable();
        if (_credits.IsNew(sender, firstSequence))
        {
            var effects = Credit(sender, sequence, credits);
            await _journal.WriteAsync(new RepCreditsReceived(sender, sequence, credits));
            Enqueue(effects);
        }

        _courier.Kick();
        await _snapshots.MaybeSaveAsync();
    }

    public Task RecoverAsync() => _courier.DeliverAsync();

    /// <summary>
    /// Durable: through the silo's <see cref="RollupCarrier"/>, so a region commits many books' roll-ups at once
    /// (measured at the same throughput: board pushes 0.8 s behind instead of 2.3 s, docs/perf.md). In memory a
    /// region applies a roll-up in microseconds and the carrier measured no gain (its hand-off costs a task and a
    /// thread-pool hop), so the book calls the region directly.
    /// </summary>
    private Task SendRollupAsync(string region, long firstSequence, long sequence, Rollup rollup) =>
        _journal.IsDurable
            ? carrier.SendAsync(region, _journal.SenderName, firstSequence, sequence, rollup)
            : refs.Region(region).ApplyRollupAsync(_journal.SenderName, firstSequence, sequence, rollup);

    public Task FlushAsync() => _courier.DeliverAsync();

    /// <summary>A rep of this book; one never joined is answered as such and not kept.</summary>
    public Task<RepSnapshot> GetSnapshotAsync(string repId)
    {
        var s = _reps.GetValueOrDefault(repId) ?? new RepState(repId, settings.Dedup);
        return Task.FromResult(new RepSnapshot(
            s.Id, s.IsJoined, s.Name, s.RegionId, (byte)s.Role, (byte)s.Style, Counter.From(s.Figures()), TargetRow.From(s.Targets)));
    }

    public Task<RepProfile[]> GetProfilesAsync(string[] repIds) =>
        Task.FromResult(Array.ConvertAll(repIds, id => _reps.GetValueOrDefault(id) is { IsJoined: true } s
            ? new RepProfile(id, s.Name, s.RegionId)
            : new RepProfile(id, "", "")));

    public Task CheckPaceAsync() => CheckPaceAsync(_reps.Values);

    /// <summary>Checks the pace of the given reps that have targets and publishes their alerts together.</summary>
    private Task CheckPaceAsync(IEnumerable<RepState> reps)
    {
        if (_journal.Failed)
        {
            return Task.CompletedTask;
        }

        List<AlertRecord>? alerts = null;
        foreach (var rep in reps)
        {
            if (!rep.IsJoined || rep.HasLeft || rep.Targets.Count == 0)
            {
                continue;
            }

            foreach (var alert in rep.Pace.Check(rep.Id, rep.RegionId, false, rep.Targets, rep.Figures(), settings.Calendar, clock.Now))
            {
                (alerts ??= new List<AlertRecord>()).Add(AlertRecord.From(alert));
            }
        }

        return alerts is null ? Task.CompletedTask : Delivery.PublishAlertsAsync(refs, alerts.ToArray(), logger);
    }

    private void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                Apply(accepted.Event, out var outgoing, out _);
                Queue(outgoing);
                break;
            case RepCreditsReceived c:
                Enqueue(Credit(c.Sender, c.Sequence, c.Credits));
                break;
            default:
                throw new InvalidOperationException($"{_journal.Stream}: unexpected journal entry {entry.GetType().Name}");
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
            known = new RepState(id, settings.Dedup); // kept only once its RepJoined is accepted
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
        outgoing = new Outgoing(effects, _events.Customer, _events.Touch);
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

        public void Start(RepState rep, RepEffects effects)
        {
            (_rep, _effects) = (rep, effects);
            (Customer, Touch) = (null, null);
        }

        public Outcome Visit(RepJoined e) => _rep.Join(e);

        public Outcome Visit(RepMoved e) => _rep.Move(e, _effects);

        public Outcome Visit(RepLeft e) => _rep.Leave(e, settings.Calendar, _effects);

        public Outcome Visit(ActivityLogged e)
        {
            var outcome = _rep.LogActivity(e, settings.Calendar, _effects);
            if (outcome.IsAccepted && e.CustomerId.Length > 0)
            {
                (Customer, Touch) = (e.CustomerId, new CustomerTouch("", "", 0, e.OccurredAt));
            }

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

        public Outcome Visit(RegionDefined e) => NotARepEvent(e);

        public Outcome Visit(CustomerRegistered e) => NotARepEvent(e);

        public Outcome Visit(OpportunityOpened e) => NotARepEvent(e);

        public Outcome Visit(OpportunityStageChanged e) => NotARepEvent(e);

        public Outcome Visit(OpportunityAmountChanged e) => NotARepEvent(e);

        public Outcome Visit(OpportunityReassigned e) => NotARepEvent(e);

        public Outcome Visit(OpportunityWon e) => NotARepEvent(e);

        public Outcome Visit(OpportunityLost e) => NotARepEvent(e);

        private static Outcome NotARepEvent(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a rep event");
    }

    private void Queue(in Outgoing outgoing)
    {
        if (outgoing.Effects is { } effects)
        {
            Enqueue(effects);
        }

        if (outgoing.Touch is { } touch)
        {
            _customers.Enqueue(outgoing.CustomerId!, touch);
        }
    }

    /// <summary>
    /// Applies one credit message, rep by rep in order, and records it in the inbox. Its effects on every rep go in
    /// one set, so each region gets one roll-up for the message, live and on replay alike.
    /// </summary>
    private RepEffects Credit(string sender, long sequence, RepCredits[] credits)
    {
        var effects = new RepEffects();
        foreach (var c in credits)
        {
            if (!_reps.TryGetValue(c.RepId, out var rep) || !rep.IsJoined)
            {
                // Never expected: ingest takes a deal event only once its reps have joined. Crediting a rep with no
                // region would throw, and retrying the message would credit the reps before it again.
                Delivery.LogCreditToUnknownRep(logger, _journal.Stream, sender, c.RepId);
                continue;
            }

            rep.Credit(Array.ConvertAll(c.Credits, i => i.ToDomain()), settings.Calendar, effects);
        }

        _credits.Applied(sender, sequence);
        return effects;
    }

    private void StartPaceChecks() =>
        _paceTimer ??= this.RegisterGrainTimer(
            _ => CheckPaceAsync(),
            new GrainTimerCreationOptions(options.Value.PaceCheckInterval, options.Value.PaceCheckInterval) { Interleave = false });

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

    /// <summary>What an applied rep event sends: roll-ups for its regions and, for some, a touch for its customer.</summary>
    private readonly record struct Outgoing(RepEffects? Effects, string? CustomerId, CustomerTouch? Touch);
}
