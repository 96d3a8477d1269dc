using Grpc.Core;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Runtime.Telemetry;
using SalesOps.Server.Push;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// Server-streaming watches. Each call has its own writer loop reading its own bounded buffer in the
/// <see cref="PushHub"/>, so a slow client only ever delays itself; a client that stops reading altogether has its
/// stream ended with <c>RESOURCE_EXHAUSTED</c> after <see cref="WatchOptions.WriteTimeout"/>.
/// </summary>
public sealed class WatchGrpcService(
    GrainRefs grains,
    KnownEntities known,
    PushHub hub,
    SharedPushes shared,
    HubRegistration registration,
    RepDirectory reps,
    RegionTree regions,
    IOptions<WatchOptions> options,
    EngineSettings settings,
    EngineClock clock)
    : V1.WatchService.WatchServiceBase
{
    private readonly WatchOptions _options = options.Value;

    private const int MaxBacklog = 10_000;

    public override async Task WatchLeaderboard(V1.WatchLeaderboardRequest request, IServerStreamWriter<V1.WatchLeaderboardResponse> responseStream, ServerCallContext context)
    {
        var scope = await ScopeAsync(request.ScopeRegionId);
        var period = RequestGuard.PeriodOrCurrent(request.Period, settings, clock);
        var metric = RequestGuard.Metric(request.Metric);
        var top = RequestGuard.Bounded(request.Top, 10, 100, "top");
        var key = new BoardKey(period, metric);
        var ct = context.CancellationToken;
        // A screen's board slides are watches of their own (Screens.PartContext): counted once, as the screen.
        var part = context is Screens.PartContext;
        using var watcher = part ? default : EngineMetrics.OpenWatcher(WatcherKind.Board);
        using var subscription = hub.SubscribeBoard(scope, key);
        await registration.RegisterAsync();
        await registration.LeaseAsync(scope, key);
        var snapshot = await grains.Region(scope).GetLeaderboardAsync(period.Code, (byte)metric, top, "", 0);

        var first = Update(metric, scope, period, snapshot);
        first.Snapshot = true;
        await AddEntriesAsync(first, snapshot.Top);
        await WriteAsync(responseStream, first, null, subscription, ct);
        IReadOnlyDictionary<string, BoardRow> sent = snapshot.Top.ToDictionary(r => r.RepId);
        var version = snapshot.Version;
        var total = snapshot.Total;

        while (!ct.IsCancellationRequested)
        {
            var next = await subscription.NextAsync(ct);
            if (next.Version <= version)
            {
                continue;
            }

            // Every watcher of this board and size showing the same rows at the same version takes the same change (SharedPushes).
            var (shown, shownTotal) = (sent, total);
            var change = await shared.BoardAsync(
                new BoardStep(scope, key, top, version, next.Version, BoardStep.Fingerprint(shown, shownTotal)),
                () => ChangeAsync(metric, scope, period, top, shown, shownTotal, next)).WaitAsync(ct);
            version = next.Version;
            (sent, total) = (change.Rows, change.Total);
            if (change.Update is { } update)
            {
                await WriteAsync(responseStream, update, null, subscription, ct);
                EngineMetrics.RecordPush(next.AcceptedAt, part ? WatcherKind.Screen : WatcherKind.Board);
            }
        }
    }

    /// <summary>What a watcher showing <paramref name="sent"/> (and <paramref name="total"/>) is sent for <paramref name="next"/>: the rows that changed and those gone.</summary>
    private async Task<WatcherBoardChange> ChangeAsync(
        LeaderboardMetric metric, string scope, Period period, int top, IReadOnlyDictionary<string, BoardRow> sent, int total, BoardSnapshot next)
    {
        var rows = next.Top.Take(top).ToList();
        var update = Update(metric, scope, period, next);
        await AddEntriesAsync(update, rows.Where(row => !sent.TryGetValue(row.RepId, out var old) || old != row).ToList());

        var now = rows.Select(r => r.RepId).ToHashSet();
        update.RemovedRepIds.Add(sent.Keys.Where(id => !now.Contains(id)));
        return update.Entries.Count == 0 && update.RemovedRepIds.Count == 0 && next.Total == total
            ? new WatcherBoardChange(null, sent, total)
            : new WatcherBoardChange(update, rows.ToDictionary(r => r.RepId), next.Total);
    }

    public override async Task WatchAlerts(V1.WatchAlertsRequest request, IServerStreamWriter<V1.WatchAlertsResponse> responseStream, ServerCallContext context)
    {
        if (request.HasAfterSequence && request.AfterSequence < 0)
        {
            throw RequestGuard.Invalid("after_sequence", "after_sequence must not be negative");
        }

        var scope = string.IsNullOrEmpty(request.ScopeRegionId) ? "" : await ScopeAsync(request.ScopeRegionId);
        var log = grains.AlertLog;
        var part = context is Screens.PartContext;
        using var watcher = part ? default : EngineMetrics.OpenWatcher(WatcherKind.Alerts);
        using var subscription = hub.SubscribeAlerts();
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, subscription.Overflow);
        var ct = cut.Token;
        await registration.RegisterAsync();
        var range = await log.RangeAsync();
        // Absent: live only. Present: everything retained after it; 0 replays the whole retained log from its start.
        // A resume point counted in another log (before a restart) replays all this one retains.
        var otherLog = request.AlertLogId.Length > 0 && request.AlertLogId != LogId(range.Epoch);
        var last = !request.HasAfterSequence ? range.Newest
            : request.AfterSequence == 0 || otherLog ? Math.Max(0, range.Oldest - 1)
            : request.AfterSequence;
        if (last > range.Newest)
        {
            throw ApiErrors.AlertStreamEnded(
                StatusCode.OutOfRange,
                ApiErrors.AlertsNotRetained,
                0,
                $"after_sequence {last} is beyond the latest alert {range.Newest} (the engine may have restarted); reconnect with after_sequence 0 to replay what is retained",
                "after_sequence");
        }

        if (last + 1 < range.Oldest)
        {
            throw ApiErrors.AlertStreamEnded(
                StatusCode.OutOfRange,
                ApiErrors.AlertsNotRetained,
                range.Oldest - 1,
                $"alerts {last + 1} to {range.Oldest - 1} are no longer retained; reconnect with after_sequence {range.Oldest - 1} to continue from the oldest retained",
                "after_sequence");
        }

        // Response headers tell the client the subscription is live: nothing published from here on is missed.
        await context.WriteResponseHeadersAsync([]);

        // The resume point moves only once an alert is written, so a cut-off never skips one. An unscoped watcher
        // writes every alert, so when more are already waiting (alerts come in bursts, one per region tick) a write
        // only appends and the last one of the burst flushes: one socket write per burst instead of per alert.
        async Task SendAsync(AlertRecord a, bool moreWaiting)
        {
            ct.ThrowIfCancellationRequested();
            if (a.Epoch != range.Epoch)
            {
                throw ApiErrors.AlertStreamEnded(
                    StatusCode.Unavailable,
                    ApiErrors.AlertLogRestarted,
                    0,
                    $"the alert log restarted and numbers alerts from 1 again; reconnect with after_sequence 0 (last delivered: {last})");
            }

            if (scope.Length == 0 || await regions.IsWithinAsync(a.ScopeId, scope))
            {
                // Not the overflow token: cancelling a write midway resets the HTTP/2 stream, and the client would see
                // CANCELLED instead of the RESOURCE_EXHAUSTED that tells it where to resume.
                responseStream.WriteOptions = moreWaiting && scope.Length == 0 ? Buffered : null;
                var message = await shared.AlertAsync(a, async () =>
                {
                    var made = ProtoMapper.ToAlert(a, await NamesAsync(a), settings.CurrencyCode);
                    made.AlertLogId = LogId(a.Epoch);
                    return made;
                }).WaitAsync(ct);
                await WriteAsync(responseStream, message, a.Sequence, subscription, context.CancellationToken);
                EngineMetrics.RecordPush(a.RaisedAt, part ? WatcherKind.Screen : WatcherKind.Alerts);
            }

            last = a.Sequence;
        }

        async Task CatchUpAsync(long upTo)
        {
            while (last < upTo)
            {
                var page = await log.ReadAfterAsync(last, MaxBacklog);
                if (page.Length == 0 || page[0].Sequence > last + 1)
                {
                    if (upTo != long.MaxValue)
                    {
                        var oldest = (await log.RangeAsync()).Oldest;
                        throw ApiErrors.AlertStreamEnded(
                            StatusCode.OutOfRange,
                            ApiErrors.AlertsNotRetained,
                            Math.Max(0, oldest - 1),
                            $"alerts after {last} are no longer all retained; reconnect with after_sequence {Math.Max(0, oldest - 1)} to continue from the oldest retained",
                            "after_sequence");
                    }

                    return;
                }

                for (var i = 0; i < page.Length && page[i].Sequence <= upTo; i++)
                {
                    await SendAsync(page[i], i + 1 < page.Length && page[i + 1].Sequence <= upTo);
                }

                if (page.Length < MaxBacklog)
                {
                    return;
                }
            }
        }

        try
        {
            await CatchUpAsync(long.MaxValue);
            await foreach (var alert in subscription.Reader.ReadAllAsync(ct))
            {
                if (alert.Sequence <= last && alert.Epoch == range.Epoch)
                {
                    continue;
                }

                if (alert.Sequence > last + 1 && alert.Epoch == range.Epoch)
                {
                    await CatchUpAsync(alert.Sequence - 1);
                }

                // Buffered only when the next one waiting will be written too (not a repeat this loop skips).
                await SendAsync(alert, subscription.Reader.TryPeek(out var next) && next.Sequence > alert.Sequence && next.Epoch == alert.Epoch);
            }
        }
        catch (OperationCanceledException) when (subscription.Overflowed && !context.CancellationToken.IsCancellationRequested)
        {
        }

        if (subscription.Overflowed)
        {
            throw ApiErrors.AlertStreamEnded(
                StatusCode.ResourceExhausted,
                ApiErrors.WatcherTooSlow,
                last,
                $"this watcher fell more than {PushHub.AlertBufferSize} alerts behind; reconnect with after_sequence={last} to resume");
        }
    }

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>The alert log's id on the wire (alert_log_id).</summary>
    public static string LogId(Guid epoch) => epoch.ToString("N");

    /// <summary>
    /// Writes one message. A client that has not taken it within the write timeout has stopped reading: it is sent
    /// nothing more (its buffer in the hub is dropped), and once it has taken this message the call ends with
    /// <c>RESOURCE_EXHAUSTED</c> (for an alert stream with <paramref name="resumeAfter"/>, this message's sequence, as
    /// the resume point). The write is waited for rather than cancelled, because cancelling a write midway resets the
    /// HTTP/2 stream (the client would see <c>CANCELLED</c> and no resume point) and a call that ends while a write
    /// is still queued never sends its status. A client that has still not read after the grace period has the
    /// stream reset after all, so a vanished reader holds nothing for long.
    /// </summary>
    private async Task WriteAsync<T>(IServerStreamWriter<T> stream, T message, long? resumeAfter, IDisposable subscription, CancellationToken ct)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var write = stream.WriteAsync(message, abort.Token);
        if (write.IsCompleted)
        {
            await write;
            return;
        }

        using (var timer = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var finished = await Task.WhenAny(write, Task.Delay(_options.WriteTimeout, timer.Token));
            await timer.CancelAsync();
            if (finished == write)
            {
                await write;
                return;
            }
        }

        subscription.Dispose();
        abort.CancelAfter(_options.CutOffGrace);
        await write;
        var seconds = _options.WriteTimeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        throw ApiErrors.WatcherCutOff(
            resumeAfter,
            resumeAfter is { } resume
                ? $"the client took no message for {seconds} s; reconnect with after_sequence={resume} to resume"
                : $"the client took no message for {seconds} s; reconnect for a new snapshot");
    }

    private async Task<string> ScopeAsync(string? requested)
    {
        var scope = RequestGuard.ScopeId(requested);
        await RequestGuard.EnsureScopeDefinedAsync(known, scope);
        return scope;
    }

    /// <summary>The names an alert shows: its region's, and those of the reps or region it is about.</summary>
    private async Task<AlertNames> NamesAsync(AlertRecord a)
    {
        var region = await regions.NameAsync(a.ScopeId);
        async Task<string> RepAsync(string repId) =>
            repId.Length == 0 ? "" : (await reps.ProfilesAsync([repId]))[0] is { Name.Length: > 0 } p ? p.Name : repId;
        return (AlertKind)a.Kind switch
        {
            AlertKind.BehindPace or AlertKind.BehindLastYear or AlertKind.ActivityPlanBehind or AlertKind.PlanUncovered =>
                new AlertNames(region, a.AboutRegion ? await regions.NameAsync(a.SubjectId) : await RepAsync(a.SubjectId), ""),
            AlertKind.BigDealWon => new AlertNames(region, await RepAsync(a.OtherId), "", await CustomerNameAsync(a.CustomerId)),
            AlertKind.Overtake => new AlertNames(region, await RepAsync(a.SubjectId), await RepAsync(a.OtherId)),
            AlertKind.DealStalled or AlertKind.DealOverdue or AlertKind.DealSlipping => new AlertNames(
                region,
                await RepAsync(a.OtherId),
                "",
                await CustomerNameAsync(a.CustomerId),
                settings.Stages.TryIndexOf(a.Metric, out var stage) ? settings.Stages.Stages[stage].Name : a.Metric),
            _ => new AlertNames(region, a.SubjectId, a.OtherId),
        };
    }

    private async Task<string> CustomerNameAsync(string customerId) =>
        customerId.Length == 0 ? "" : (await grains.Customer(customerId).GetSnapshotAsync()) is { Name.Length: > 0 } c ? c.Name : customerId;

    private async Task AddEntriesAsync(V1.WatchLeaderboardResponse update, IReadOnlyList<BoardRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var profiles = await reps.ProfilesAsync(rows.Select(r => r.RepId).ToList());
        var regionNames = await regions.NamesAsync(profiles);
        for (var i = 0; i < rows.Count; i++)
        {
            update.Entries.Add(ProtoMapper.ToEntry(rows[i], profiles[i], regionNames[i]));
        }
    }

    private static V1.WatchLeaderboardResponse Update(LeaderboardMetric metric, string scope, Period period, BoardSnapshot board) => new()
    {
        Version = board.Version,
        Total = board.Total,
        ScopeRegionId = scope,
        Period = period.ToString(),
        Metric = ProtoMapper.ToWire(metric),
    };
}
