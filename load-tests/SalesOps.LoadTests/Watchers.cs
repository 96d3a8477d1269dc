using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>What the office screens saw: push latencies, update counts, stream failures.</summary>
public sealed class WatchStats
{
    private long _updates;
    private long _alerts;
    private long _failures;
    private long _resumes;
    private long _gaps;
    private long _missed;
    private readonly ConcurrentQueue<string> _failureSamples = new();

    /// <summary>Event → pushed update, this phase: from an activity's send to the first update showing the rep's new count.</summary>
    public Latency Push { get; private set; } = new();

    /// <summary>Big deal won → the alert reaching an alert watcher, this phase.</summary>
    public Latency Alert { get; private set; } = new();

    /// <summary>Starts recording a new phase's latencies.</summary>
    public void BeginPhase()
    {
        Push = new Latency();
        Alert = new Latency();
        Measuring = true;
    }

    /// <summary>Set while a measured phase runs: latencies are recorded only then.</summary>
    public bool Measuring { get; set; }

    public long Updates => Interlocked.Read(ref _updates);
    public long Alerts => Interlocked.Read(ref _alerts);
    public long Failures => Interlocked.Read(ref _failures);
    public IReadOnlyCollection<string> FailureSamples => _failureSamples;

    public void Updated() => Interlocked.Increment(ref _updates);

    public void Alerted() => Interlocked.Increment(ref _alerts);

    /// <summary>Alert streams ended with RESOURCE_EXHAUSTED (the screen fell behind) and resumed from their last sequence.</summary>
    public long Resumes => Interlocked.Read(ref _resumes);

    public void Resumed() => Interlocked.Increment(ref _resumes);

    /// <summary>
    /// Alert streams that fell further behind than the server retains (OUT_OF_RANGE on resume) and went on from the
    /// newest alert, and how many alerts those screens never saw.
    /// </summary>
    public long Gaps => Interlocked.Read(ref _gaps);

    public long Missed => Interlocked.Read(ref _missed);

    public void Gap() => Interlocked.Increment(ref _gaps);

    public void MissedAlerts(long count) => Interlocked.Add(ref _missed, count);

    public void Failed(string sample)
    {
        Interlocked.Increment(ref _failures);
        if (_failureSamples.Count < 10)
        {
            _failureSamples.Enqueue(sample);
        }
    }
}

/// <summary>
/// One leaderboard screen: keeps the watched top N as pushed (snapshot, then changed rows and removals) and, for an
/// activity board, measures how long each new count took to arrive.
/// </summary>
public sealed class BoardWatcher(Company company, string region, V1.LeaderboardMetric metric, int top, string period)
{
    private readonly Dictionary<string, long> _board = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Region { get; } = region;
    public V1.LeaderboardMetric Metric { get; } = metric;
    public int TopRows { get; } = top;
    public bool Activities => Metric == V1.LeaderboardMetric.Activities;
    public Task Ready => _ready.Task;

    public override string ToString() => $"{Metric} board of {Region}";

    /// <summary>The rows on screen: score descending, ties by rep id, as the server ranks them.</summary>
    public IReadOnlyList<(string RepId, long Score)> Rows()
    {
        lock (_board)
        {
            return _board.Select(kv => (RepId: kv.Key, Score: kv.Value))
                .OrderByDescending(x => x.Score).ThenBy(x => x.RepId, StringComparer.Ordinal).ToList();
        }
    }

    public async Task RunAsync(V1.WatchService.WatchServiceClient client, ActivityClock clock, WatchStats stats, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var call = client.WatchLeaderboard(new V1.WatchLeaderboardRequest { ScopeRegionId = Region, Period = period, Metric = Metric, Top = TopRows }, cancellationToken: ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct))
                {
                    Apply(update, clock, stats);
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                stats.Failed($"{this}: {ex.StatusCode} {ex.Status.Detail}; reconnecting");
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    private void Apply(V1.WatchLeaderboardResponse update, ActivityClock clock, WatchStats stats)
    {
        stats.Updated();
        lock (_board)
        {
            if (update.Snapshot)
            {
                _board.Clear();
            }

            foreach (var row in update.Entries)
            {
                var score = (long)Math.Round(row.Score);
                var before = _board.GetValueOrDefault(row.RepId);
                _board[row.RepId] = score;
                if (Activities && !update.Snapshot && stats.Measuring && score > before &&
                    company.RepIndex(row.RepId) is { } rep && clock.SentAt(rep, score) is { } sentAt)
                {
                    stats.Push.RecordSince(sentAt);
                }
            }

            foreach (var gone in update.RemovedRepIds)
            {
                _board.Remove(gone);
            }
        }

        _ready.TrySetResult();
    }
}

/// <summary>An alert screen: counts alerts and times big-deal alerts from the win's send.</summary>
public sealed class AlertWatcher(ConcurrentDictionary<string, long> bigDeals)
{
    private long _after;
    private long _gapAfter; // the last alert seen before a gap; 0 when there is none

    public async Task RunAsync(V1.WatchService.WatchServiceClient client, WatchStats stats, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Live only at first; from then on, everything after the last alert seen.
                var request = new V1.WatchAlertsRequest();
                if (_after > 0)
                {
                    request.AfterSequence = _after;
                }

                using var call = client.WatchAlerts(request, cancellationToken: ct);
                await foreach (var alert in call.ResponseStream.ReadAllAsync(ct))
                {
                    if (_gapAfter > 0)
                    {
                        stats.MissedAlerts(Math.Max(0, alert.Sequence - _gapAfter - 1));
                        _gapAfter = 0;
                    }

                    _after = alert.Sequence;
                    stats.Alerted();
                    if (alert.BigDealWon is { } won && stats.Measuring && bigDeals.TryGetValue(won.OpportunityId, out var sentAt))
                    {
                        stats.Alert.RecordSince(sentAt);
                    }
                }
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is RpcException or OperationCanceledException)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                // The documented protocol for a screen that fell behind its buffer: resume after the last sequence seen.
                stats.Resumed();
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange && _after > 0)
            {
                // Further behind than the server keeps: the documented way on is from the oldest retained alert, with
                // a gap; the resume point travels in the status's ErrorInfo.
                stats.Gap();
                _gapAfter = _after;
                _after = ResumePoint(ex) ?? 0;
            }
            catch (RpcException ex)
            {
                stats.Failed($"alerts: {ex.StatusCode} {ex.Status.Detail}; resuming after {_after}");
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    /// <summary>The sequence the server says to resume after (google.rpc.ErrorInfo metadata), if it said one.</summary>
    private static long? ResumePoint(RpcException ex) =>
        ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info
        && info.Metadata.TryGetValue("resume_after_sequence", out var text)
        && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var resume)
            ? resume
            : null;
}

/// <summary>The screens of a run: which boards are watched, started together, stopped together.</summary>
public sealed class Screens : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = new();

    public Screens(Company company, string period, int boards, int alertScreens, int top, ConcurrentDictionary<string, long> bigDeals)
    {
        Boards = company.ScreenBoards(boards).Select(b => new BoardWatcher(
            company, b.Region, b.Bookings ? V1.LeaderboardMetric.Bookings : V1.LeaderboardMetric.Activities, top, period)).ToList();
        AlertScreens = Enumerable.Range(0, alertScreens).Select(_ => new AlertWatcher(bigDeals)).ToList();
    }

    public IReadOnlyList<BoardWatcher> Boards { get; }
    public IReadOnlyList<AlertWatcher> AlertScreens { get; }
    public WatchStats Stats { get; } = new();

    /// <summary>Starts every screen and waits for each board's first snapshot.</summary>
    public async Task StartAsync(V1.WatchService.WatchServiceClient client, ActivityClock clock, TimeSpan timeout)
    {
        _running.AddRange(Boards.Select(b => Task.Run(() => b.RunAsync(client, clock, Stats, _stop.Token))));
        _running.AddRange(AlertScreens.Select(a => Task.Run(() => a.RunAsync(client, Stats, _stop.Token))));
        var ready = Task.WhenAll(Boards.Select(b => b.Ready));
        if (await Task.WhenAny(ready, Task.Delay(timeout)) != ready)
        {
            throw new TimeoutException($"{Boards.Count(b => !b.Ready.IsCompleted)} of {Boards.Count} leaderboard watchers had no snapshot after {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Waits until every board shows exactly the expected top rows; returns the time it took, or null when some board
    /// had not converged by the timeout (the mismatches go to <paramref name="failures"/>).
    /// </summary>
    public async Task<double?> ConvergeAsync(Company company, Expected expected, TimeSpan timeout, List<string> failures)
    {
        var started = Stopwatch.GetTimestamp();
        var wanted = Boards.Select(b => expected.Top(company, b.Region, b.Activities, b.TopRows)).ToList();
        while (true)
        {
            var off = Boards.Select((b, i) => (Board: b, Rows: b.Rows(), Want: wanted[i])).Where(x => !x.Rows.SequenceEqual(x.Want)).ToList();
            if (off.Count == 0)
            {
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                foreach (var (board, rows, want) in off.Take(5))
                {
                    failures.Add($"{board} shows [{string.Join(", ", rows.Take(5).Select(r => $"{r.RepId}={r.Score}"))}] but the acknowledged events give [{string.Join(", ", want.Take(5).Select(r => $"{r.RepId}={r.Score}"))}]");
                }

                failures.Add($"{off.Count} of {Boards.Count} leaderboard watchers had not converged after {timeout.TotalSeconds:0} s");
                return null;
            }

            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
    }

    public void Dispose() => _stop.Dispose();
}
