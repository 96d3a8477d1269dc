using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// A region or the company root. Applies what its reps and child regions send at once (so its own figures are
/// current), and passes the accumulated roll-up to its parent every <see cref="EngineOptions.RollupInterval"/>:
/// the parent — up to the company — receives one message per child per interval instead of one per event, which
/// keeps the root from becoming a hot grain. Watched boards that changed are pushed on the same tick.
/// </summary>
public sealed class RegionGrain(EngineSettings settings, IOptions<EngineOptions> options, EngineClock clock, ILogger<RegionGrain> logger)
    : Grain, IRegionGrain
{
    private const int PushedRows = 100;

    private readonly Inbox _inbox = new();
    private readonly Outbox<Rollup> _toParent = new();

    private readonly FigureSet _pendingCounters = new();
    private readonly List<BoardChange> _pendingBoards = new();
    private readonly HashSet<BoardKey> _dirtyBoards = new();
    private readonly Dictionary<BoardKey, DateTimeOffset> _watchedUntil = new();
    private readonly List<AlertRecord> _pendingAlerts = new();
    private RegionState _state = null!;
    private IGrainTimer? _paceTimer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _state = new RegionState(this.GetPrimaryKeyString());
        if (_state.Id == RegionState.CompanyId)
        {
            _state.DefineRoot(settings.CompanyName);
        }

        this.RegisterGrainTimer(
            FlushOnTickAsync,
            new GrainTimerCreationOptions { DueTime = options.Value.RollupInterval, Period = options.Value.RollupInterval, Interleave = false });
        return Task.CompletedTask;
    }

    public Task<EventOutcome> DefineAsync(EventEnvelope envelope)
    {
        var defined = (RegionDefined)envelope.ToDomain();
        var parent = string.IsNullOrEmpty(defined.ParentRegionId) ? RegionState.CompanyId : defined.ParentRegionId;
        return Task.FromResult(EventOutcome.From(_state.Define(defined, parent)));
    }

    public Task<bool> IsDefinedAsync() => Task.FromResult(_state.IsDefined);

    public async Task<EventOutcome> SetTargetAsync(EventEnvelope envelope)
    {
        var outcome = _state.SetTarget((TargetSet)envelope.ToDomain());
        if (outcome.IsAccepted)
        {
            _paceTimer ??= this.RegisterGrainTimer(
                _ => CheckPaceAsync(),
                new GrainTimerCreationOptions { DueTime = options.Value.PaceCheckInterval, Period = options.Value.PaceCheckInterval, Interleave = false });
            await CheckPaceAsync();
        }

        return EventOutcome.From(outcome);
    }

    public Task ApplyRollupAsync(string sender, long sequence, Rollup rollup)
    {
        if (!_inbox.Accept(sender, sequence))
        {
            return Task.CompletedTask;
        }

        var delta = Counter.ToSet(rollup.Counters);
        _state.ApplyDelta(delta);
        var now = clock.Now;
        foreach (var change in rollup.Boards)
        {
            var rankChanges = _state.ApplyBoardUpdate(change.ToDomain());
            foreach (var rc in rankChanges)
            {
                if (IsWatched(rc.Board, now))
                {
                    _dirtyBoards.Add(rc.Board);
                }
            }

            foreach (var alert in _state.Overtakes(rankChanges.Where(rc => IsWatched(rc.Board, now)), settings.OvertakeDepth, now))
            {
                _pendingAlerts.Add(AlertRecord.From(alert));
            }
        }

        if (_state.ParentId.Length > 0)
        {
            _pendingCounters.AddAll(delta);
            _pendingBoards.AddRange(rollup.Boards);
        }

        return Task.CompletedTask;
    }

    public Task<RegionSnapshot> GetSnapshotAsync() =>
        Task.FromResult(new RegionSnapshot(_state.Id, _state.IsDefined, _state.Name, _state.ParentId, Counter.From(_state.Figures), TargetRow.From(_state.Targets)));

    public Task<BoardSnapshot> GetLeaderboardAsync(int period, byte metric, int top, string aroundRepId, int around)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        return Task.FromResult(Snapshot(key, top, aroundRepId, around));
    }

    public Task WatchBoardAsync(int period, byte metric, TimeSpan lease)
    {
        var key = new BoardKey(new Period(period), (LeaderboardMetric)metric);
        var until = clock.Now + lease;
        if (!_watchedUntil.TryGetValue(key, out var current) || current < until)
        {
            _watchedUntil[key] = until;
        }

        return Task.CompletedTask;
    }

    public async Task FlushAsync()
    {
        await SendPendingAsync();
        if (_state.ParentId.Length > 0)
        {
            await GrainFactory.GetGrain<IRegionGrain>(_state.ParentId).FlushAsync();
        }
    }

    public Task CheckPaceAsync()
    {
        if (!_state.IsDefined || _state.Targets.Count == 0)
        {
            return Task.CompletedTask;
        }

        var alerts = _state.Pace.Check(_state.Id, _state.Id, true, _state.Targets, _state.Figures, settings.Calendar, clock.Now);
        return Delivery.PublishAlertsAsync(GrainFactory, alerts.Select(AlertRecord.From).ToArray(), logger);
    }

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
    private async Task SendPendingAsync()
    {
        if (_pendingCounters.Count > 0 || _pendingBoards.Count > 0)
        {
            _toParent.Enqueue(_state.ParentId, new Rollup(Counter.From(_pendingCounters), _pendingBoards.ToArray()));
            _pendingCounters.Clear();
            _pendingBoards.Clear();
        }

        var calls = new List<Task>(3)
        {
            _toParent.DrainAsync((parent, seq, rollup) => GrainFactory.GetGrain<IRegionGrain>(parent).ApplyRollupAsync("region:" + _state.Id, seq, rollup)),
        };

        if (_dirtyBoards.Count > 0)
        {
            var boards = _dirtyBoards.Select(k => Snapshot(k, PushedRows, "", 0)).ToArray();
            _dirtyBoards.Clear();
            calls.Add(GrainFactory.GetGrain<IPushNotifierGrain>(0).PublishBoardsAsync(boards));
        }

        if (_pendingAlerts.Count > 0)
        {
            var alerts = _pendingAlerts.ToArray();
            _pendingAlerts.Clear();
            calls.Add(Delivery.PublishAlertsAsync(GrainFactory, alerts, logger));
        }

        await Task.WhenAll(calls);
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
