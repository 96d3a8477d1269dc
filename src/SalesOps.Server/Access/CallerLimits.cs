using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SalesOps.Server.Api;

namespace SalesOps.Server.Access;

/// <summary>
/// The limits of <see cref="LimitOptions"/>, per identity and per server: an ingest rate (a token bucket per identity,
/// so one flooding key is refused without slowing the others), watch streams, request size, and the throttle on
/// addresses that keep presenting bad credentials. Over a limit is <c>RESOURCE_EXHAUSTED</c> with a <c>RetryInfo</c>.
/// </summary>
public sealed class CallerLimits : IDisposable
{
    private readonly LimitOptions _options;
    private readonly PartitionedRateLimiter<Caller> _ingest;
    private readonly ConcurrentDictionary<string, int> _watching = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPAddress, (long Minute, int Failures)> _failures = new();
    private readonly TimeProvider _time;
    private int _watchers;

    public CallerLimits(IOptions<AccessOptions> options, TimeProvider time)
    {
        _options = options.Value.Limits;
        _time = time;
        _ingest = PartitionedRateLimiter.Create<Caller, string>(caller =>
        {
            if (caller.Kind == CallerKind.Development)
            {
                return RateLimitPartition.GetNoLimiter(caller.Id);
            }

            var perSecond = Math.Max(1, caller.Limits.EventsPerSecond ?? _options.EventsPerSecond);
            return RateLimitPartition.GetTokenBucketLimiter(caller.KindName + ":" + caller.Id, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(perSecond, IngestGrpcService.MaxBatch),
                // About ten refills a second, each of whole tokens, at exactly perSecond a second.
                TokensPerPeriod = Math.Max(1, perSecond / 10),
                ReplenishmentPeriod = TimeSpan.FromSeconds((double)Math.Max(1, perSecond / 10) / perSecond),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
    }

    /// <summary>Takes <paramref name="events"/> from the caller's ingest allowance; null when they fit, else the refusal.</summary>
    public RpcException? TakeIngest(Caller caller, int events)
    {
        if (events == 0)
        {
            return null;
        }

        using var lease = _ingest.AttemptAcquire(caller, events);
        if (lease.IsAcquired)
        {
            return null;
        }

        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var perSecond = caller.Limits.EventsPerSecond ?? _options.EventsPerSecond;
        return ApiErrors.Exhausted($"{caller.Describe()} may ingest {perSecond} events a second; this call's {events} are over it, nothing was applied", wait);
    }

    /// <summary>
    /// Counts a watch stream in for the caller and the server, or refuses it; dispose the result when the stream ends.
    /// </summary>
    public IDisposable OpenWatch(Caller caller)
    {
        if (Interlocked.Increment(ref _watchers) > _options.MaxWatchers)
        {
            Interlocked.Decrement(ref _watchers);
            throw ApiErrors.Exhausted($"this server holds its most watch streams ({_options.MaxWatchers}); retry later or on another server", TimeSpan.FromSeconds(5));
        }

        var key = caller.KindName + ":" + caller.Id;
        var limit = caller.Kind == CallerKind.Development ? int.MaxValue : caller.Limits.WatchStreams ?? _options.WatchStreams;
        if (_watching.AddOrUpdate(key, 1, (_, n) => n + 1) > limit)
        {
            Release(key);
            throw ApiErrors.Exhausted($"{caller.Describe()} may hold {limit} watch streams at once; close one first", TimeSpan.FromSeconds(5));
        }

        return new Watch(this, key);
    }

    /// <summary>The most bytes one request of the caller may have.</summary>
    public int MaxRequestBytes(Caller caller) =>
        caller.Kind == CallerKind.Development ? int.MaxValue : caller.Limits.MaxRequestBytes ?? _options.MaxRequestBytes;

    /// <summary>True while <paramref name="address"/> is over its failed authentications for the current minute.</summary>
    public bool IsThrottled(IPAddress? address) =>
        address is not null && _failures.TryGetValue(address, out var f) && f.Minute == Minute() && f.Failures >= _options.FailedAuthenticationsPerMinute;

    /// <summary>Counts a call with bad credentials against its address.</summary>
    public void FailedAuthentication(IPAddress? address)
    {
        if (address is null)
        {
            return;
        }

        if (_failures.Count > 100_000)
        {
            _failures.Clear();
        }

        var minute = Minute();
        _failures.AddOrUpdate(address, (minute, 1), (_, f) => f.Minute == minute ? (minute, f.Failures + 1) : (minute, 1));
    }

    /// <summary>The refusal of a throttled address, until the minute ends.</summary>
    public RpcException Throttled() =>
        ApiErrors.Exhausted("too many calls with bad credentials from this address; wait for the next minute", TimeSpan.FromSeconds(60 - (_time.GetUtcNow().Second)));

    public void Dispose() => _ingest.Dispose();

    private long Minute() => _time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private void Release(string key)
    {
        Interlocked.Decrement(ref _watchers);
        _watching.AddOrUpdate(key, 0, (_, n) => n - 1);
        _watching.TryRemove(new KeyValuePair<string, int>(key, 0));
    }

    private sealed class Watch(CallerLimits limits, string key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                limits.Release(key);
            }
        }
    }
}
