using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A region or the company root. Applies what its rep books and child regions send at once (so its own figures are
/// current), and on each tick (<see cref="EngineOptions.RollupInterval"/>) passes what it accumulated to its parent
/// (<see cref="RegionParentRollup"/>): the parent — up to the company — receives one message per child per tick, with
/// one board update per rep, instead of one per event, which keeps the root from becoming a hot grain. Watched boards
/// that changed are pushed, and overtakes on them alerted, on the same tick (<see cref="RegionBoardWatch"/>).
/// </summary>
public sealed class RegionGrain : DurableGrain<JournalEntry, RegionGrainSnapshot>, IRegionGrain
{
    private readonly EngineSettings _settings;
    private readonly IOptions<EngineOptions> _options;
    private readonly EngineClock _clock;
    private readonly GrainRefs _refs;
    private readonly ILogger<RegionGrain> _logger;
    private readonly Outbox<Rollup> _toParent;
    private readonly RegionParentRollup _forParent = new();

    /// <summary>The earliest acceptance behind what waits for the parent (<see cref="AcceptanceStamps"/>; 0: none).</summary>
    private long _parentSince;
    private readonly RegionBoardWatch _watch;
    private readonly PaceTimer _pace;
    private readonly RegionEvents _events;
    private RegionState _state = null!;
    private IGrainTimer? _tick;

    /// <summary>A board not read for between one and two of these is held cold (scores only) until its next read.</summary>
    private static readonly TimeSpan BoardCoolInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _coolAt;

    public RegionGrain(
        EngineSettings settings,
        IOptions<EngineOptions> options,
        EngineClock clock,
        TimeProvider systemTime,
        DurableServices<JournalEntry> services,
        GrainRefs refs,
        [PersistentState(StorageNames.RegionState, StorageNames.Snapshots)] IPersistentState<RegionGrainSnapshot> snapshot,
        ILogger<RegionGrain> logger)
        : base(services, snapshot, logger)
    {
        (_settings, _options, _clock, _refs, _logger) = (settings, options, clock, refs, logger);
        _events = new RegionEvents(this);
        _watch = new RegionBoardWatch(systemTime);
        _pace = new PaceTimer(this, options.Value.PaceCheckInterval, CheckPaceAsync);
        _toParent = AddOutbox<Rollup>(
            (parent, sender, first, last, rollup) => refs.Region(parent).ApplyRollupAsync(sender, first, last, rollup, TakeParentStamp()),
            Rollup.Merge);
    }

    protected override JournalStream Stream => StreamKinds.Region.Of(this.GetPrimaryKeyString());

    protected override void OnStarting()
    {
        _state = new RegionState(this.GetPrimaryKeyString(), _settings.Dedup);
        if (_state.Id == RegionState.CompanyId)
        {
            _state.DefineRoot(_settings.CompanyName);
        }
    }

    protected override void Restore(RegionGrainSnapshot snapshot)
    {
        _state = RegionState.FromSnapshot(snapshot.Domain, _settings.Dedup);
        Inbox.Import(snapshot.Inbox);
        _toParent.Import(snapshot.ToParent);
        _forParent.Import(snapshot.PendingCounters, snapshot.PendingBoards);
    }

    protected override void OnRecovered()
    {
        _coolAt = _watch.Now + BoardCoolInterval; // boards rebuilt from a snapshot are cooled only if unread for a whole interval
        if (_state.IsDefined)
        {
            StartTicking();
            _pace.Start();
        }
    }

    protected override RegionGrainSnapshot Capture() => new()
    {
        Sequence = Journal.Sequence,
        Domain = _state.ToSnapshot(),
        Inbox = Inbox.Export(),
        ToParent = _toParent.Export(),
        PendingCounters = _forParent.ExportCounters(),
        PendingBoards = _forParent.ExportBoards(),
    };

    protected override void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                accepted.Event.Accept(_events);
                break;
            case RollupReceived r:
                Apply(r.Rollup, 0); // history: no latency to report
                Inbox.Applied(r.Sender, r.Sequence);
                break;
            case RollupQueued:
                QueueForParent();
                break;
            default:
                throw new InvalidOperationException($"{Journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    public async Task<EventOutcome> DefineAsync(RegionDefined e)
    {
        Journal.EnsureUsable();
        var outcome = e.Accept(_events);
        if (outcome.IsAccepted)
        {
            await CommitAsync(new EventAccepted(e), null, Answer.AfterCommit);
            StartTicking();
            _pace.Start();
        }

        return EventOutcome.From(outcome);
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsDefinedAsync()
    {
        Journal.EnsureUsable();
        return Task.FromResult(DefinedOrLeave());
    }

    public Task<EventOutcome> SetTargetAsync(TargetSet e) => ApplyEventAsync(e, checkPace: true);

    public Task<EventOutcome> SubmitForecastAsync(ForecastSubmitted e) => ApplyEventAsync(e, checkPace: false);

    public Task<EventOutcome> RecordPlanningInputsAsync(PlanningInputsRecorded e) => ApplyEventAsync(e, checkPace: false);

    /// <summary>A region's own event (a target or forecast), committed before the answer; a target starts pace checks.</summary>
    private async Task<EventOutcome> ApplyEventAsync(SalesEvent e, bool checkPace)
    {
        Journal.EnsureUsable();
        var outcome = e.Accept(_events);
        if (outcome.IsAccepted)
        {
            await CommitAsync(new EventAccepted(e), null, Answer.AfterCommit);
            if (checkPace)
            {
                _pace.Start();
                await CheckPaceAsync();
            }
        }

        DefinedOrLeave();
        return EventOutcome.From(outcome);
    }

    /// <summary>A roll-up answers once applied and committed; what it adds for the parent goes on the next tick.</summary>
    public Task ApplyRollupAsync(string sender, long firstSequence, long sequence, Rollup rollup, long acceptedAt)
    {
        Journal.EnsureUsable();
        if (!Inbox.IsNew(sender, firstSequence))
        {
            return Task.CompletedTask;
        }

        if (IsBackedUp)
        {
            throw BackPressureException.MessageRefused(Journal.Stream);
        }

        Apply(rollup, acceptedAt);
        Inbox.Applied(sender, sequence);
        return CommitAsync(new RollupReceived(sender, sequence, rollup), null, Answer.AfterCommit);
    }

    public Task ApplyRollupsAsync(RollupItem[] items)
    {
        Journal.EnsureUsable();
        if (IsBackedUp)
        {
            throw BackPressureException.MessageRefused(Journal.Stream);
        }

        List<JournalEntry>? entries = null;
        foreach (var item in items)
        {
            if (!Inbox.IsNew(item.Sender, item.FirstSequence))
            {
                continue;
            }

            Apply(item.Rollup, item.AcceptedAt);
            Inbox.Applied(item.Sender, item.Sequence);
            if (IsDurable)
            {
                (entries ??= new List<JournalEntry>(items.Length)).Add(new RollupReceived(item.Sender, item.Sequence, item.Rollup));
            }
        }

        return entries is null ? Task.CompletedTask : CommitAsync(entries, null, Answer.AfterCommit);
    }

    /// <param name="acceptedAt">When the earliest event behind it was accepted (<see cref="AcceptanceStamps"/>; 0: not known).</param>
    private void Apply(Rollup rollup, long acceptedAt)
    {
        var forward = _state.ParentId.Length > 0;
        foreach (var counter in rollup.Counters)
        {
            counter.AddTo(_state.Figures);

            // A child region's own targets count in this region's child-region sum only, not in its ancestors'.
            if (forward && counter.Key.Figure != Figure.ChildRegionTargets)
            {
                _forParent.Add(counter);
            }
        }

        DateTimeOffset? now = null;
        foreach (var change in rollup.Boards)
        {
            var update = change.ToDomain();
            var changes = _state.ApplyBoardUpdate(update);
            if (changes is null)
            {
                continue; // stale: a newer update of this rep already came along another path, and went on from here
            }

            if (forward)
            {
                _forParent.Add(update, acceptedAt);
            }

            if (_watch.Any && changes.Count > 0)
            {
                _watch.Changed(changes, now ??= _watch.Now, acceptedAt);
            }
        }
    }

    public Task<RegionSnapshot> GetSnapshotAsync()
    {
        DefinedOrLeave();
        return Task.FromResult(new RegionSnapshot(_state.Id, _state.IsDefined, _state.Name, _state.ParentId, Counter.From(_state.Figures), TargetRow.From(_state.Targets), ForecastRow.From(_state.Forecasts))
        {
            Inputs = PlanningInputsRow.From(_state.Inputs),
        });
    }

    public Task<Counter[]?> GetCountersAsync(int period) =>
        Task.FromResult(DefinedOrLeave() ? Counter.Of(_state.Figures, new Period(period)) : null);

    public Task<BoardSnapshot> GetLeaderboardAsync(int period, byte metric, int top, string aroundRepId, int around)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        return Task.FromResult(Snapshot(key, top, aroundRepId, around));
    }

    public Task WatchBoardAsync(int period, byte metric, TimeSpan lease)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        if (_watch.Watch(key, lease))
        {
            // A watch that starts (the first in this activation, or again after its lease ran out): what the board
            // recorded while nobody watched it is history, not overtakes to announce on the next tick, and each rep's
            // best rank starts from where it stands now (ADR 0036).
            _state.Untrack(key);
            _state.Track(key, _settings.OvertakeDepth);
        }

        return Task.CompletedTask;
    }

    public async Task FlushAsync()
    {
        await TickAsync(Answer.AfterDelivery);
        if (_state.ParentId.Length > 0)
        {
            await _refs.Region(_state.ParentId).FlushAsync();
        }
    }

    public Task CheckPaceAsync()
    {
        if (!_state.IsDefined || Journal.Failed)
        {
            return Task.CompletedTask;
        }

        var now = _clock.Now;
        var alerts = _state.Pace.Check(_state.Id, _state.Id, true, _state.Targets, _state.Figures, _settings.Calendar, now);
        alerts.AddRange(_state.Plan.Check(_state.Id, _state.Id, true, _state.Targets, _state.Figures, _settings, now));
        alerts.AddRange(_state.LastYear.Check(_state.Id, _state.Id, true, _state.Figures, _settings.Calendar, now, _settings.BehindLastYearShare));
        alerts.AddRange(_state.Coverage.Check(_state.Id, _state.Id, true, _state.Targets, _state.Figures, now));
        return alerts.Count == 0 ? Task.CompletedTask : Delivery.PublishAlertsAsync(_refs, alerts.Select(AlertRecord.From).ToArray(), _logger);
    }

    /// <summary>An undefined region holds nothing: let its activation go instead of keeping it forever.</summary>
    private bool DefinedOrLeave()
    {
        if (!_state.IsDefined)
        {
            DeactivateOnIdle();
        }

        return _state.IsDefined;
    }

    private void StartTicking() =>
        _tick ??= this.RegisterGrainTimer(
            OnTickAsync,
            new GrainTimerCreationOptions(_options.Value.RollupInterval, _options.Value.RollupInterval) { Interleave = false });

    private async Task OnTickAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The tick waits for the parent (the timer does not interleave): while a parent is slow, what the region's
            // senders queue merges in their own lanes instead of arriving as many small calls.
            await TickAsync(Answer.AfterDelivery);
        }
        catch (Exception ex)
        {
            // What was cut for the parent stays in the outbox; the courier retries it.
            Delivery.LogRetry(_logger, _state.Id, ex);
        }
    }

    /// <summary>Cuts what accumulated into the parent's lane, delivers it as <paramref name="answer"/> says, and pushes watched boards and alerts.</summary>
    /// <remarks>
    /// Cutting the roll-up is journaled (<see cref="RollupQueued"/>) and done once that entry is committed, as a replay
    /// does it, so a replay cuts the same messages with the same numbers and the parent recognises the ones it has.
    /// </remarks>
    private async Task TickAsync(Answer answer)
    {
        Journal.EnsureUsable();
        var calls = new List<Task>(3);
        calls.Add(_forParent.IsEmpty ? DeliverAsync(answer) : CommitAsync(new RollupQueued(), QueueForParent, answer));
        if (_watch.TakeDirty() is { Length: > 0 } dirty)
        {
            calls.Add(_refs.PushNotifier.PublishBoardsAsync(Array.ConvertAll(
                dirty, d => Snapshot(d.Board, RegionBoardWatch.PushedRows, "", 0) with { AcceptedAt = d.AcceptedAt })));
        }

        var moves = _watch.TakeMoves(_state.TakeRankChanges);
        if (moves.Count > 0 && _state.Overtakes(moves, _clock.Now).Select(AlertRecord.From).ToArray() is { Length: > 0 } alerts)
        {
            calls.Add(Delivery.PublishAlertsAsync(_refs, alerts, _logger));
        }

        if (_watch.Now >= _coolAt)
        {
            // Boards nobody read for a while drop their ranked rows; their scores stay (ADR 0034).
            _state.CoolBoards();
            _coolAt = _watch.Now + BoardCoolInterval;
        }

        await Task.WhenAll(calls);
    }

    private void QueueForParent()
    {
        if (!_forParent.IsEmpty)
        {
            _parentSince = AcceptanceStamps.Earliest(_parentSince, _forParent.AcceptedAt);
            _toParent.Enqueue(_state.ParentId, _forParent.Take());
        }
    }

    /// <summary>What each event does to a region, live and in replay; events about anything else are refused.</summary>
    private sealed class RegionEvents(RegionGrain grain) : ISalesEventVisitor<Outcome>
    {
        public Outcome Visit(RegionDefined e) =>
            grain._state.Define(e, string.IsNullOrEmpty(e.ParentRegionId) ? RegionState.CompanyId : e.ParentRegionId);

        public Outcome Visit(TargetSet e)
        {
            // What the region's own target changes in its parent's child-region sums leaves with the next roll-up, live
            // and in replay alike, so a replay cuts the same messages.
            var forParent = new FigureSet();
            var outcome = grain._state.SetTarget(e, forParent);
            grain._forParent.Add(forParent);
            return outcome;
        }

        public Outcome Visit(ForecastSubmitted e) => grain._state.SubmitForecast(e);

        public Outcome Visit(PlanningInputsRecorded e) => grain._state.RecordPlanningInputs(e);

        public Outcome Visit(RepJoined e) => Foreign(e);

        public Outcome Visit(RepMoved e) => Foreign(e);

        public Outcome Visit(RepLeft e) => Foreign(e);

        public Outcome Visit(CustomerRegistered e) => Foreign(e);

        public Outcome Visit(CustomerKeyAccountChanged e) => Foreign(e);

        public Outcome Visit(OpportunityOpened e) => Foreign(e);

        public Outcome Visit(OpportunityStageChanged e) => Foreign(e);

        public Outcome Visit(OpportunityAmountChanged e) => Foreign(e);

        public Outcome Visit(OpportunityReassigned e) => Foreign(e);

        public Outcome Visit(OpportunityWon e) => Foreign(e);

        public Outcome Visit(OpportunityLost e) => Foreign(e);

        public Outcome Visit(ActivityLogged e) => Foreign(e);

        public Outcome Visit(PaymentReceived e) => Foreign(e);

        private static Outcome Foreign(SalesEvent e) => Outcome.Invalid("event", $"{e.GetType().Name} is not a region event");
    }

    private long TakeParentStamp()
    {
        var stamp = _parentSince;
        _parentSince = 0;
        return stamp;
    }

    private BoardSnapshot Snapshot(BoardKey key, int top, string aroundRepId, int around)
    {
        var board = _state.Board(key);
        if (board is null)
        {
            return new BoardSnapshot(_state.Id, key.Period.Code, (byte)key.Metric, 0, 0, [], []);
        }

        var aroundRows = string.IsNullOrEmpty(aroundRepId) ? [] : board.Window(aroundRepId, around).Select(BoardRow.From).ToArray();
        return new BoardSnapshot(
            _state.Id, key.Period.Code, (byte)key.Metric, board.Version, board.Count,
            board.Top(top).Select(BoardRow.From).ToArray(), aroundRows);
    }
}
