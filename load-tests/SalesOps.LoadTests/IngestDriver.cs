using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>What one load phase did: events acknowledged, how long acks took, what went wrong.</summary>
public sealed class PhaseStats(string name)
{
    private long _events;
    private long _accepted;
    private long _errors;
    private long _notSent;
    private readonly ConcurrentQueue<string> _errorSamples = new();

    public string Name { get; } = name;
    public Latency Ack { get; } = new();
    public long Events => Interlocked.Read(ref _events);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Open loop: due batches not sent (the stream had its cap of batches in flight, or the phase was over).</summary>
    public long BatchesNotSent => Interlocked.Read(ref _notSent);
    public IReadOnlyCollection<string> ErrorSamples => _errorSamples;
    public double Seconds { get; set; }
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;

    public void Acknowledged(int events, int accepted)
    {
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _accepted, accepted);
    }

    public void Error(long count, string sample)
    {
        Interlocked.Add(ref _errors, count);
        if (_errorSamples.Count < 10)
        {
            _errorSamples.Enqueue(sample);
        }
    }

    public void NotSent(long batches) => Interlocked.Add(ref _notSent, batches);
}

/// <summary>
/// The CRM connectors: one bidirectional <c>Ingest</c> stream per workload stream, batches written as fast as the
/// window allows (closed loop) or at fixed intended times (open loop, latency measured from the intended time so a
/// backed-up server cannot hide it), acknowledgements read on a separate task and counted into <see cref="Expected"/>.
/// </summary>
public sealed class IngestDriver
{
    private readonly V1.IngestService.IngestServiceClient _client;
    private readonly StreamWorkload[] _workloads;
    private readonly Expected _expected;
    private readonly ActivityClock _activityClock;
    private readonly ConcurrentDictionary<string, long> _bigDeals;
    private readonly long _bigDeal;
    private readonly int _batchSize;

    public IngestDriver(V1.IngestService.IngestServiceClient client, RunEvents run, Expected expected, ActivityClock activityClock,
        ConcurrentDictionary<string, long> bigDeals, long bigDeal)
    {
        _client = client;
        Run = run;
        _workloads = Enumerable.Range(0, run.Company.Settings.Streams).Select(run.Stream).ToArray();
        MeasuredBatches = new long[_workloads.Length];
        _expected = expected;
        _activityClock = activityClock;
        _bigDeals = bigDeals;
        _bigDeal = bigDeal;
        _batchSize = run.Company.Settings.BatchSize;
    }

    public RunEvents Run { get; }

    /// <summary>Measured batches each stream generated so far (the baselines replay exactly these).</summary>
    public long[] MeasuredBatches { get; }

    /// <summary>Regions, reps and customers, one batch at a time on one stream.</summary>
    public Task StructureAsync(PhaseStats stats, CancellationToken ct)
    {
        var batches = Run.Structure().Select(b => (b, new Effect[b.Length])).GetEnumerator();
        return TimedAsync(stats, () => StreamAsync(0, () => batches.MoveNext() ? batches.Current : null, null, 1, stats, ct));
    }

    /// <summary>Targets and first deals, every stream at once.</summary>
    public Task SetupAsync(PhaseStats stats, int window, CancellationToken ct)
    {
        return RunAllAsync(stats, s =>
        {
            var batches = _workloads[s].SetupBatches().GetEnumerator();
            return StreamAsync(s, () => batches.MoveNext() ? batches.Current : null, null, window, stats, ct);
        });
    }

    /// <summary>Maximum throughput: every stream keeps <paramref name="window"/> batches in flight until the time is up.</summary>
    public Task ClosedLoopAsync(PhaseStats stats, TimeSpan duration, int window, long maxBatchesPerStream, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return ClosedLoopAsync(stats, () => Stopwatch.GetTimestamp() >= deadline, window, maxBatchesPerStream, ct);
    }

    /// <summary>Maximum throughput until <paramref name="done"/> says so (a warm-up that ends when the JIT has settled).</summary>
    public Task ClosedLoopAsync(PhaseStats stats, Func<bool> done, int window, long maxBatchesPerStream, CancellationToken ct)
    {
        return RunAllAsync(stats, s =>
        {
            var sent = 0L;
            return StreamAsync(s, () => !done() && sent++ < maxBatchesPerStream ? Measured(s) : null, null, window, stats, ct);
        });
    }

    /// <summary>
    /// A fixed offered rate: batch k of stream s is due at start + (k + s/M) × M × batch / rate. Latency counts from the
    /// due time. A due batch is not sent when the stream already has <paramref name="cap"/> batches unacknowledged, and
    /// nothing is sent once the phase's time is up; both count as not sent.
    /// </summary>
    public Task OpenLoopAsync(PhaseStats stats, double eventsPerSecond, TimeSpan duration, int cap, CancellationToken ct)
    {
        var streams = _workloads.Length;
        var interval = Stopwatch.Frequency * (double)_batchSize * streams / eventsPerSecond;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return RunAllAsync(stats, async s =>
        {
            long? Due(long k)
            {
                var due = start + (long)((k + ((double)s / streams)) * interval);
                return due < end && Stopwatch.GetTimestamp() < end ? due : null;
            }

            var sent = await StreamAsync(s, () => Measured(s), Due, cap, stats, ct);
            var offered = (long)Math.Ceiling(((end - start) / interval) - ((double)s / streams));
            stats.NotSent(Math.Max(0, offered - sent));
        });
    }

    private (V1.Event[], Effect[]) Measured(int stream)
    {
        MeasuredBatches[stream]++;
        return _workloads[stream].NextBatch(_batchSize);
    }

    private Task RunAllAsync(PhaseStats stats, Func<int, Task> stream) =>
        TimedAsync(stats, () => Task.WhenAll(Enumerable.Range(0, _workloads.Length).Select(s => Task.Run(() => stream(s)))));

    private static async Task TimedAsync(PhaseStats stats, Func<Task> run)
    {
        var started = Stopwatch.GetTimestamp();
        await run();
        stats.Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private sealed record Pending(V1.Event[] Events, Effect[] Effects, long Start);

    /// <summary>
    /// One connector stream. <paramref name="due"/> is null for closed loop; otherwise it gives each batch's intended
    /// send time (null = the phase is over). In closed loop <paramref name="window"/> bounds the batches in flight; in
    /// open loop it is the cap beyond which a due batch is counted as not sent rather than queued without bound.
    /// </summary>
    /// <returns>The batches sent.</returns>
    private async Task<long> StreamAsync(int stream, Func<(V1.Event[], Effect[])?> next, Func<long, long?>? due, int window, PhaseStats stats, CancellationToken ct)
    {
        using var call = _client.Ingest(cancellationToken: ct);
        var pending = new ConcurrentQueue<Pending>();
        using var slots = new SemaphoreSlim(window);
        var inFlight = 0;
        var sent = 0L;
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var ack in call.ResponseStream.ReadAllAsync(ct))
                {
                    if (!pending.TryDequeue(out var p))
                    {
                        stats.Error(1, $"stream {stream}: an acknowledgement for batch '{ack.BatchId}' that was not sent");
                        continue;
                    }

                    stats.Ack.RecordSince(p.Start);
                    Count(p, ack, stats);
                    Interlocked.Decrement(ref inFlight);
                    slots.Release();
                }
            }
            catch (RpcException ex)
            {
                stats.Error(1, $"stream {stream}: {ex.StatusCode} {ex.Status.Detail}");
            }
        }, CancellationToken.None);

        try
        {
            for (var k = 0L; ; k++)
            {
                long start;
                if (due is null)
                {
                    await slots.WaitAsync(ct);
                    start = Stopwatch.GetTimestamp();
                }
                else
                {
                    if (due(k) is not { } at)
                    {
                        break;
                    }

                    await WaitUntilAsync(at, ct);
                    if (Volatile.Read(ref inFlight) >= window)
                    {
                        continue;
                    }

                    start = at;
                }

                if (next() is not { } item)
                {
                    break;
                }

                var (events, effects) = item;

                Interlocked.Increment(ref inFlight);
                sent++;
                Sent(events, effects, start);
                pending.Enqueue(new Pending(events, effects, start));
                var batch = new V1.IngestRequest { BatchId = k.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                batch.Events.Add(events);
                await call.RequestStream.WriteAsync(batch, ct);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException ex)
        {
            stats.Error(1, $"stream {stream}: {ex.StatusCode} {ex.Status.Detail}");
        }

        await reader;
        var lost = pending.Count;
        if (lost > 0)
        {
            stats.Error(lost, $"stream {stream}: {lost} batches sent but never acknowledged");
        }

        return sent;
    }

    private void Count(Pending p, V1.IngestResponse ack, PhaseStats stats)
    {
        if (ack.Results.Count != p.Events.Length)
        {
            stats.Error(p.Events.Length, $"batch '{ack.BatchId}': {ack.Results.Count} results for {p.Events.Length} events");
            return;
        }

        var accepted = 0;
        for (var i = 0; i < ack.Results.Count; i++)
        {
            var r = ack.Results[i];
            if (r.Status == V1.EventStatus.Accepted)
            {
                accepted++;
                _expected.Apply(p.Effects[i]);
            }
            else
            {
                stats.Error(1, $"{r.EventId}: {r.Status} {r.Error?.Message}");
            }
        }

        stats.Acknowledged(p.Events.Length, accepted);
    }

    /// <summary>Notes when activities and big wins left, for the push and alert latencies.</summary>
    private void Sent(V1.Event[] events, Effect[] effects, long start)
    {
        for (var i = 0; i < events.Length; i++)
        {
            switch (effects[i].Kind)
            {
                case EffectKind.Activity:
                    _activityClock.Sent(effects[i].Rep, start);
                    break;
                case EffectKind.Won when effects[i].Amount >= _bigDeal:
                    _bigDeals[events[i].OpportunityWon.OpportunityId] = start;
                    break;
            }
        }
    }

    private static async Task WaitUntilAsync(long timestamp, CancellationToken ct)
    {
        var wait = timestamp - Stopwatch.GetTimestamp();
        if (wait > Stopwatch.Frequency / 500)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct);
        }
    }
}
