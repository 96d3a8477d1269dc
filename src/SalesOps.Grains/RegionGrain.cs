using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A region or the company root. Applies what its reps and child regions send at once (so its own figures are
/// current), and passes the accumulated roll-up to its parent every <see cref="EngineOptions.RollupInterval"/>:
/// the parent — up to the company — receives one message per child per interval, with one board update per rep,
/// instead of one per event, which keeps the root from becoming a hot grain. Watched boards that changed are pushed
/// on the same tick.
/// </summary>
public sealed class RegionGrain(
    EngineSettings settings,
    IOptions<EngineOptions> options,
    EngineClock clock,
    TimeProvider systemTime,
    JournalFactory journals,
    GrainRefs refs,
    [PersistentState(StorageNames.RegionState, StorageNames.Snapshots)] IPersistentState<RegionGrainSnapshot> snapshot,
    ILogger<RegionGrain> logger) : Grain, IRegionGrain
{
    private const int PushedRows = 100;

    private readonly Inbox _inbox = new();
    private readonly Outbox<Rollup> _toParent = new();
    private readonly FigureSet _pendingCounters = new();
    private readonly Dictionary<string, List<BoardUpdate>> _pendingBoards = new(StringComparer.Ordinal);
    private readonly HashSet<BoardKey> _dirtyBoards = new();
    private readonly Dictionary<BoardKey, DateTimeOffset> _watchedUntil = new();
    private readonly List<AlertRecord> _pendingAlerts = new();
    private readonly Dictionary<(BoardKey Board, string RepId), int> _ranksAtTickStart = new();
    private RegionEvents _events = null!;
    private RegionState _state = null!;
    private GrainJournal _journal = null!;
    private SnapshotWriter<RegionGrainSnapshot, JournalEntry> _snapshots = null!;
    private IGrainTimer? _tick;
    private IGrainTimer? _paceTimer;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _state = new RegionState(this.GetPrimaryKeyString(), settings.Dedup);
        _events = new RegionEvents(this);
        _journal = journals.For(this, StreamKinds.Region.Of(_state.Id));
        if (_state.Id == RegionState.CompanyId)
        {
            _state.DefineRoot(settings.CompanyName);
        }

        _snapshots = new SnapshotWriter<RegionGrainSnapshot, JournalEntry>(snapshot, _journal, options.Value.SnapshotEvery, Capture, logger);
        await _snapshots.RecoverAsync(
            cp =>
            {
                _state = RegionState.FromSnapshot(cp.Domain, settings.Dedup);
                _inbox.Import(cp.Inbox);
                _toParent.Import(cp.ToParent);
                _pendingCounters.AddAll(Counter.ToSet(cp.PendingCounters));
                foreach (var changes in cp.PendingBoards.Where(c => c.Length > 0))
                {
                    _pendingBoards[changes[0].RepId] = changes.Select(c => c.ToDomain()).ToList();
                }
            },
            Replay,
            cancellationToken);
        if (_state.IsDefined)
        {
            StartTicking();
        }

        if (_state.Targets.Count > 0)
        {
            StartPaceChecks();
        }
    }

    public async Task<EventOutcome> DefineAsync(RegionDefined e)
    {
        _journal.EnsureUsable();
        var outcome = e.Accept(_events);
        if (outcome.IsAccepted)
        {
            await WriteAsync(new EventAccepted(e));
            StartTicking();
        }

        return EventOutcome.From(outcome);
    }

    public Task RecoverAsync() => SendPendingAsync();

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _snapshots.SaveAsync();

    private RegionGrainSnapshot Capture() => new()
    {
        Sequence = _journal.Sequence,
        Domain = _state.ToSnapshot(),
        Inbox = _inbox.Export(),
        ToParent = _toParent.Export(),
        PendingCounters = Counter.From(_pendingCounters),
        PendingBoards = _pendingBoards.Values.Select(list => list.Select(BoardChange.From).ToArray()).ToList(),
    };

    /// <summary>Journals an applied input, then snapshots when due.</summary>
    private async Task WriteAsync(JournalEntry entry)
    {
        await _journal.WriteAsync(entry);
        await _snapshots.MaybeSaveAsync();
    }

    /// <summary>What each event does to a region, live and in replay; events about anything else are refused.</summary>
    private sealed class RegionEvents(RegionGrain grain) : ISalesEventVisitor<Outcome>
    {
        public Outcome Visit(RegionDefined e) =>
            grain._state.Define(e, string.IsNullOrEmpty(e.ParentRegionId) ? RegionState.CompanyId : e.ParentRegionId);

        public Outcome Visit(TargetSet e) => grain._state.SetTarget(e);

        public Outcome Visit(RepJoined e) => Foreign(e);

        public Outcome Visit(RepMoved e) => Foreign(e);

        public Outcome Visit(RepLeft e) => Foreign(e);

        public Outcome Visit(CustomerRegistered e) => Foreign(e);

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

    private void Replay(JournalEntry entry)
    {
        switch (entry)
        {
            case EventAccepted accepted:
                accepted.Event.Accept(_events);
                break;
            case RollupReceived r:
                Apply(r.Rollup);
                _inbox.Applied(r.Sender, r.Sequence);
                break;
            case RollupQueued:
                QueuePending();
                break;
            default:
                throw new InvalidOperationException($"{_journal.Stream}: unexpected journal entry {entry.GetType().Name}");
        }
    }

    /// <remarks>
    /// The ingestor remembers a yes for good, so an activation whose journal write failed (its state may hold an
    /// input that was never committed) answers nothing until it is rebuilt.
    /// </remarks>
    public Task<bool> IsDefinedAsync()
    {
        _journal.EnsureUsable();
        return Task.FromResult(DefinedOrLeave());
    }

    public async Task<EventOutcome> SetTargetAsync(TargetSet e)
    {
        _journal.EnsureUsable();
        var outcome = e.Accept(_events);
        if (outcome.IsAccepted)
        {
            await WriteAsync(new EventAccepted(e));
            StartPaceChecks();
            await CheckPaceAsync();
        }

        DefinedOrLeave();
        return EventOutcome.From(outcome);
    }

    public Task ApplyRollupAsync(string sender, long firstSequence, long sequence, Rollup rollup)
    {
        _journal.EnsureUsable();
        if (!_inbox.IsNew(sender, firstSequence))
        {
            return Task.CompletedTask;
        }

        Apply(rollup);
        _inbox.Applied(sender, sequence);
        return WriteAsync(new RollupReceived(sender, sequence, rollup));
    }

    public Task ApplyRollupsAsync(RollupItem[] items)
    {
        _journal.EnsureUsable();
        List<JournalEntry>? entries = null;
        foreach (var item in items)
        {
            if (!_inbox.IsNew(item.Sender, item.FirstSequence))
            {
                continue;
            }

            Apply(item.Rollup);
            _inbox.Applied(item.Sender, item.Sequence);
            if (_journal.IsDurable)
            {
                (entries ??= new List<JournalEntry>(items.Length)).Add(new RollupReceived(item.Sender, item.Sequence, item.Rollup));
            }
        }

        return entries is null ? Task.CompletedTask : CommitAsync(entries);
    }

    /// <summary>Writes the entries of one call in one commit (all or none), then snapshots when due.</summary>
    private async Task CommitAsync(List<JournalEntry> entries)
    {
        await _journal.WriteAllAsync(entries);
        await _snapshots.MaybeSaveAsync();
    }

    private void Apply(Rollup rollup)
    {
        var forward = _state.ParentId.Length > 0;
        foreach (var counter in rollup.Counters)
        {
            var key = counter.Key;
            _state.Figures.Add(key, counter.Value);
            if (forward)
            {
                _pendingCounters.Add(key, counter.Value);
            }
        }

        var now = systemTime.GetUtcNow();
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
                if (!_pendingBoards.TryGetValue(update.RepId, out var list))
                {
                    list = new List<BoardUpdate>(1);
                    _pendingBoards[update.RepId] = list;
                }

                list.Add(update);
            }

            if (_watchedUntil.Count == 0 || changes.Count == 0)
            {
                continue; // the common case: nobody watches this region's boards
            }

            foreach (var c in changes)
            {
                if (IsWatched(c.Board, now))
                {
                    _dirtyBoards.Add(c.Board);
                    _ranksAtTickStart.TryAdd((c.Board, c.RepId), c.OldRank);
                }
            }
        }
    }

    public Task<RegionSnapshot> GetSnapshotAsync()
    {
        DefinedOrLeave();
        return Task.FromResult(new RegionSnapshot(_state.Id, _state.IsDefined, _state.Name, _state.ParentId, Counter.From(_state.Figures), TargetRow.From(_state.Targets)));
    }

    public Task<BoardSnapshot> GetLeaderboardAsync(int period, byte metric, int top, string aroundRepId, int around)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        return Task.FromResult(Snapshot(key, top, aroundRepId, around));
    }

    public Task WatchBoardAsync(int period, byte metric, TimeSpan lease)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        var until = systemTime.GetUtcNow() + lease;
        if (!_watchedUntil.TryGetValue(key, out var current) || current < until)
        {
            _watchedUntil[key] = until;
        }

        // Every lease (hosts renew every few seconds) re-pushes the board as it stands on the next tick: anti-entropy
        // for screens that missed a push because this grain or the hub directory moved to another silo, or a host
        // was briefly unreachable. Watchers skip versions they already have, so clients see no repeats.
        _dirtyBoards.Add(key);
        return Task.CompletedTask;
    }

    public async Task FlushAsync()
    {
        await SendPendingAsync();
        if (_state.ParentId.Length > 0)
        {
            await refs.Region(_state.ParentId).FlushAsync();
        }
    }

    public Task CheckPaceAsync()
    {
        if (!_state.IsDefined || _state.Targets.Count == 0 || _journal.Failed)
        {
            return Task.CompletedTask;
        }

        var alerts = _state.Pace.Check(_state.Id, _state.Id, true, _state.Targets, _state.Figures, settings.Calendar, clock.Now);
        return Delivery.PublishAlertsAsync(refs, alerts.Select(AlertRecord.From).ToArray(), logger);
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

    private void StartPaceChecks() =>
        _paceTimer ??= this.RegisterGrainTimer(
            _ => CheckPaceAsync(),
            new GrainTimerCreationOptions(options.Value.PaceCheckInterval, options.Value.PaceCheckInterval) { Interleave = false });

    private void StartTicking() =>
        _tick ??= this.RegisterGrainTimer(
            FlushOnTickAsync,
            new GrainTimerCreationOptions(options.Value.RollupInterval, options.Value.RollupInterval) { Interleave = false });

    private async Task FlushOnTickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendPendingAsync();
        }
        catch (Exception ex)
        {
            // The roll-up stays queued in the outbox and goes first on the next tick.
            Delivery.LogRetry(logger, _state.Id, ex);
        }
    }

    /// <summary>Queues what accumulated for the parent, sends the queue in order, and pushes watched boards and alerts.</summary>
    /// <remarks>
    /// Moving the accumulated roll-up into the outbox is journaled too (<see cref="RollupQueued"/>), so a replay cuts
    /// the same messages with the same numbers, and the parent recognises the ones it already has.
    /// </remarks>
    private async Task SendPendingAsync()
    {
        _journal.EnsureUsable();
        if (QueuePending())
        {
            await WriteAsync(new RollupQueued());
        }

        var calls = new List<Task>(3)
        {
            _toParent.DrainAsync((parent, first, seq, rollup) => refs.Region(parent).ApplyRollupAsync(_journal.SenderName, first, seq, rollup)),
        };

        if (_dirtyBoards.Count > 0)
        {
            var snapshots = _dirtyBoards.Select(k => Snapshot(k, PushedRows, "", 0)).ToArray();
            _dirtyBoards.Clear();
            calls.Add(refs.PushNotifier.PublishBoardsAsync(snapshots));
        }

        QueueOvertakes();
        if (_pendingAlerts.Count > 0)
        {
            var alerts = _pendingAlerts.ToArray();
            _pendingAlerts.Clear();
            calls.Add(Delivery.PublishAlertsAsync(refs, alerts, logger));
        }

        await Task.WhenAll(calls);
    }

    /// <summary>
    /// Overtakes on watched boards since the last tick, net: each rep whose rank moved compares its rank now with
    /// its rank when the tick began, so a rep that rose and fell back within one interval raises nothing, and one
    /// that passed several reps raises one alert, not one per update (on busy activity boards the top ranks change
    /// hundreds of times a second).
    /// </summary>
    private void QueueOvertakes()
    {
        if (_ranksAtTickStart.Count == 0)
        {
            return;
        }

        var moves = new List<RankChange>(_ranksAtTickStart.Count);
        foreach (var ((board, repId), startRank) in _ranksAtTickStart)
        {
            moves.Add(new RankChange(board, repId, startRank, _state.Board(board)?.RankOf(repId) ?? 0));
        }

        _ranksAtTickStart.Clear();
        foreach (var alert in _state.Overtakes(moves, settings.OvertakeDepth, clock.Now))
        {
            _pendingAlerts.Add(AlertRecord.From(alert));
        }
    }

    private bool QueuePending()
    {
        if (_pendingCounters.Count == 0 && _pendingBoards.Count == 0)
        {
            return false;
        }

        var boards = _pendingBoards.Values.Select(list => BoardChange.From(list.Count == 1 ? list[0] : RegionState.Merge(list))).ToArray();
        _toParent.Enqueue(_state.ParentId, new Rollup(Counter.From(_pendingCounters), boards));
        _pendingCounters.Clear();
        _pendingBoards.Clear();
        return true;
    }

    private bool IsWatched(BoardKey key, DateTimeOffset now) =>
        _watchedUntil.TryGetValue(key, out var until) && until > now;

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
