using Grpc.Core;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Push;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// Server-streaming watches. Each call has its own writer loop reading its own bounded buffer in the
/// <see cref="PushHub"/>, so a slow client only ever delays itself.
/// </summary>
public sealed class WatchGrpcService(IGrainFactory grains, PushHub hub, HubRegistration registration, EngineSettings settings, EngineClock clock)
    : V1.WatchService.WatchServiceBase
{
    private const int MaxBacklog = 10_000;

    public override async Task WatchLeaderboard(V1.WatchLeaderboardRequest request, IServerStreamWriter<V1.LeaderboardUpdate> responseStream, ServerCallContext context)
    {
        var scope = string.IsNullOrEmpty(request.ScopeRegionId) ? RegionState.CompanyId : RequestGuard.Id(request.ScopeRegionId, "scope_region_id");
        var period = RequestGuard.PeriodOrCurrent(request.Period, settings, clock);
        var metric = RequestGuard.Metric(request.Metric);
        var top = RequestGuard.Bounded(request.Top, 10, 100, "top");
        var region = grains.GetGrain<IRegionGrain>(scope);
        if (!await region.IsDefinedAsync())
        {
            throw RequestGuard.NotFound("scope_region_id", $"region '{scope}' is not defined");
        }

        var key = new BoardKey(period, metric);
        var ct = context.CancellationToken;
        using var subscription = hub.SubscribeBoard(scope, key);
        await registration.RegisterAsync();
        await registration.LeaseAsync(scope, key);
        var snapshot = await region.GetLeaderboardAsync(period.Code, (byte)metric, top, "", 0);

        var first = Update(request, scope, period, snapshot);
        first.Snapshot = true;
        first.Entries.Add(snapshot.Top.Select(ProtoMapper.ToEntry));
        await responseStream.WriteAsync(first, ct);
        var sent = snapshot.Top.ToDictionary(r => r.RepId);
        var version = snapshot.Version;

        while (!ct.IsCancellationRequested)
        {
            var next = await subscription.NextAsync(ct);
            if (next.Version <= version)
            {
                continue;
            }

            version = next.Version;
            var rows = next.Top.Take(top).ToList();
            var update = Update(request, scope, period, next);
            foreach (var row in rows)
            {
                if (!sent.TryGetValue(row.RepId, out var old) || old != row)
                {
                    update.Entries.Add(ProtoMapper.ToEntry(row));
                }
            }

            var now = rows.Select(r => r.RepId).ToHashSet();
            update.RemovedRepIds.Add(sent.Keys.Where(id => !now.Contains(id)));
            if (update.Entries.Count == 0 && update.RemovedRepIds.Count == 0)
            {
                continue;
            }

            sent = rows.ToDictionary(r => r.RepId);
            await responseStream.WriteAsync(update, ct);
        }
    }

    public override async Task WatchAlerts(V1.WatchAlertsRequest request, IServerStreamWriter<V1.AlertMessage> responseStream, ServerCallContext context)
    {
        if (request.AfterSequence < 0)
        {
            throw RequestGuard.Invalid("after_sequence", "after_sequence must not be negative");
        }

        var ct = context.CancellationToken;
        var scope = request.ScopeRegionId ?? "";
        var log = grains.GetGrain<IAlertLogGrain>(0);
        using var subscription = hub.SubscribeAlerts();
        await registration.RegisterAsync();

        // Response headers tell the client the subscription is live: nothing published from here on is missed.
        await context.WriteResponseHeadersAsync([]);
        var last = request.AfterSequence;

        async Task SendAsync(AlertRecord a)
        {
            last = a.Sequence;
            if (scope.Length == 0 || a.ScopeId == scope)
            {
                await responseStream.WriteAsync(ProtoMapper.ToAlert(a), ct);
            }
        }

        async Task CatchUpAsync(long upTo)
        {
            foreach (var a in await log.ReadAfterAsync(last, MaxBacklog))
            {
                if (a.Sequence > upTo)
                {
                    break;
                }

                await SendAsync(a);
            }
        }

        if (last > 0)
        {
            await CatchUpAsync(long.MaxValue);
        }

        await foreach (var alert in subscription.Reader.ReadAllAsync(ct))
        {
            if (alert.Sequence <= last)
            {
                continue;
            }

            if (last > 0 && alert.Sequence > last + 1)
            {
                await CatchUpAsync(alert.Sequence - 1);
            }

            await SendAsync(alert);
        }

        if (subscription.Overflowed)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"this watcher fell more than {PushHub.AlertBufferSize} alerts behind; reconnect with after_sequence={last} to resume"));
        }
    }

    private static V1.LeaderboardUpdate Update(V1.WatchLeaderboardRequest request, string scope, Period period, BoardSnapshot board) => new()
    {
        Version = board.Version,
        Total = board.Total,
        ScopeRegionId = scope,
        Period = period.ToString(),
        Metric = request.Metric,
    };
}
