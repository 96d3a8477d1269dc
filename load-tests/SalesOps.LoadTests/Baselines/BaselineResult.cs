using System.Diagnostics;
using System.Runtime.ExceptionServices;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests.Baselines;

/// <summary>
/// The latency of one read of a baseline, measured one request at a time (no concurrent readers): the median and
/// the 99th percentile in milliseconds over <paramref name="Samples"/> timed executions, after untimed warm-ups.
/// <paramref name="Opportunities"/> and <paramref name="Activities"/> say how much data the read ran over.
/// </summary>
public sealed record ReadSample(string Query, long Opportunities, long Activities, int Samples, double P50Ms, double P99Ms);

/// <summary>
/// What a peer baseline did with the run's events: how many it replayed, the seconds spent writing them (reads at
/// checkpoints excluded), the resulting write rate, and its read latencies. <paramref name="Error"/> is set when the
/// baseline failed part-way; the other fields then hold what was measured until then.
/// </summary>
public sealed record BaselineResult(string Name, long Events, double Seconds, double EventsPerSecond, IReadOnlyList<ReadSample> Reads, string? Error);

/// <summary>Where a baseline writes one stream's batches (one connection or pipeline per stream).</summary>
internal interface IBatchWriter : IAsyncDisposable
{
    Task WriteAsync(V1.Event[] batch, CancellationToken ct);
}

/// <summary>
/// Replays a run the way the engine received it: the structure batches first, alone, then every stream
/// concurrently on its own writer (its setup batches, then its measured batches). The measured batches are cut into
/// equal phases; between phases the writers are idle while <c>checkpoint</c> runs, so reads there see a quiet store.
/// </summary>
internal static class Replay
{
    public static async Task RunAsync(
        RunEvents run,
        long[] measuredBatches,
        int phases,
        Func<CancellationToken, Task<IBatchWriter>> openWriter,
        Func<int, Task> checkpoint,
        WriteMeter meter,
        CancellationToken ct)
    {
        var streams = run.Company.Settings.Streams;
        if (measuredBatches.Length != streams)
        {
            throw new ArgumentException($"expected measured batch counts for {streams} streams, got {measuredBatches.Length}", nameof(measuredBatches));
        }

        await using (var structure = await openWriter(ct))
        {
            meter.Resume();
            await WriteAllAsync(structure, run.Structure(), meter, ct);
            meter.Pause();
        }

        var writers = new List<IBatchWriter>();
        try
        {
            for (var s = 0; s < streams; s++)
            {
                writers.Add(await openWriter(ct));
            }

            var workloads = Enumerable.Range(0, streams).Select(run.Stream).ToArray();
            for (var phase = 0; phase < phases; phase++)
            {
                meter.Resume();
                await AllStreamsAsync(streams, (s, token) => WriteAllAsync(writers[s], PhaseBatches(run, workloads[s], measuredBatches[s], phase, phases), meter, token), ct);
                meter.Pause();
                await checkpoint(phase);
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
        }
    }

    /// <summary>A stream's batches of one phase: its setup in the first phase, then its share of the measured ones.</summary>
    private static IEnumerable<V1.Event[]> PhaseBatches(RunEvents run, StreamWorkload workload, long measured, int phase, int phases)
    {
        if (phase == 0)
        {
            foreach (var (events, _) in workload.SetupBatches())
            {
                yield return events;
            }
        }

        for (var i = measured * phase / phases; i < measured * (phase + 1) / phases; i++)
        {
            yield return workload.NextBatch(run.Company.Settings.BatchSize).Events;
        }
    }

    /// <summary>Writes batches in order, generating the next batch while the current one is in flight.</summary>
    private static async Task WriteAllAsync(IBatchWriter writer, IEnumerable<V1.Event[]> batches, WriteMeter meter, CancellationToken ct)
    {
        using var source = batches.GetEnumerator();
        var current = source.MoveNext() ? source.Current : null;
        while (current is not null)
        {
            ct.ThrowIfCancellationRequested();
            var write = writer.WriteAsync(current, ct);
            var next = source.MoveNext() ? source.Current : null;
            await write;
            meter.Add(current.Length);
            current = next;
        }
    }

    /// <summary>Runs one task per stream; the first failure stops the others and is the one thrown.</summary>
    private static async Task AllStreamsAsync(int streams, Func<int, CancellationToken, Task> work, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? failure = null;
        var tasks = Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            try
            {
                await work(s, stop.Token);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
                await stop.CancelAsync();
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }
}

/// <summary>
/// Counts replayed events and the time spent writing them, and reports progress every two seconds.
/// </summary>
internal sealed class WriteMeter : IAsyncDisposable
{
    private readonly Stopwatch _writing = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reporter;
    private long _events;

    private readonly string _name;
    private readonly Action<string> _progress;

    public WriteMeter(string name, Action<string> progress)
    {
        _name = name;
        _progress = progress;
        _reporter = ReportAsync();
    }

    /// <summary>Shown instead of the write rate while the writers are paused (for example "reading at 50%").</summary>
    public string? Status { get; set; }

    public long Events => Interlocked.Read(ref _events);

    public double Seconds => _writing.Elapsed.TotalSeconds;

    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;

    public void Add(int events) => Interlocked.Add(ref _events, events);

    public void Resume() => _writing.Start();

    public void Pause() => _writing.Stop();

    public BaselineResult Result(IReadOnlyList<ReadSample> reads, string? error)
    {
        Pause(); // a replay that failed part-way left the clock running
        return new BaselineResult(_name, Events, Seconds, EventsPerSecond, reads, error);
    }

    /// <summary>Reports a failure in full and gives the short form for <see cref="BaselineResult.Error"/>.</summary>
    public string Failed(Exception ex)
    {
        _progress($"{_name} failed after {Events:N0} events: {ex}");
        return $"{ex.GetType().Name}: {ex.Message}";
    }

    private async Task ReportAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                _progress($"{_name}: {Events:N0} events written, {EventsPerSecond:N0} events/s{(Status is { } s ? $" ({s})" : "")}");
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reporter;
        _stop.Dispose();
    }
}

/// <summary>Times the baselines' reads, one request at a time.</summary>
internal static class ReadTimer
{
    /// <summary>The median and 99th percentile of <paramref name="samples"/> timed executions (see <see cref="Latency.MeasureAsync"/>).</summary>
    public static async Task<(double P50Ms, double P99Ms)> MeasureAsync(int samples, Func<Task> read)
    {
        var latency = await Latency.MeasureAsync(samples, read);
        return (latency.P50, latency.P99);
    }

    /// <summary>The rep whose rank the "where am I" reads look up: one in the middle of the run's reps.</summary>
    public static string ProbeRep(RunEvents run) => run.Company.RepIds[run.Company.RepIds.Length / 2];
}
