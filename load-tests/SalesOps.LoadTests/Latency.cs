using System.Diagnostics;
using HdrHistogram;

namespace SalesOps.LoadTests;

/// <summary>
/// A latency distribution (HdrHistogram, microsecond resolution, up to ten minutes), safe to record into and summarise
/// from any thread (a lock: HdrHistogram's concurrent variant cannot be read while it is written). A second histogram
/// holds what was recorded since the last <see cref="TakeInterval"/>: the per-second samples of the run's timeline.
/// </summary>
public sealed class Latency
{
    private readonly LongHistogram _histogram = new(1, TimeSpan.FromMinutes(10).Ticks / 10, 3);
    private readonly LongHistogram _interval = new(1, TimeSpan.FromMinutes(10).Ticks / 10, 3);
    private readonly Lock _lock = new();

    /// <summary>
    /// Times <paramref name="samples"/> executions of <paramref name="read"/>, one at a time, after a tenth as many
    /// untimed warm-ups (at least one, at most 50) that pay for connections, plans, caches and JIT.
    /// </summary>
    public static async Task<Percentiles> MeasureAsync(int samples, Func<Task> read)
    {
        for (var i = Math.Clamp(samples / 10, 1, 50); i > 0; i--)
        {
            await read();
        }

        var latency = new Latency();
        for (var i = 0; i < Math.Max(1, samples); i++)
        {
            var start = Stopwatch.GetTimestamp();
            await read();
            latency.RecordSince(start);
        }

        return latency.Summary();
    }

    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _histogram.TotalCount;
            }
        }
    }

    public void RecordSince(long startTimestamp) => RecordMicroseconds((long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds);

    public void RecordMilliseconds(double ms) => RecordMicroseconds((long)(ms * 1000));

    private void RecordMicroseconds(long us)
    {
        var value = Math.Clamp(us, 1, _histogram.HighestTrackableValue);
        lock (_lock)
        {
            _histogram.RecordValue(value);
            _interval.RecordValue(value);
        }
    }

    /// <summary>The percentiles of what was recorded since the previous call (or since the start), then starts anew.</summary>
    public Percentiles TakeInterval()
    {
        lock (_lock)
        {
            var summary = Summarise(_interval);
            _interval.Reset();
            return summary;
        }
    }

    public Percentiles Summary()
    {
        lock (_lock)
        {
            return Summarise(_histogram);
        }
    }

    private static Percentiles Summarise(LongHistogram histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return Percentiles.Empty;
        }

        double At(double p) => Math.Round(histogram.GetValueAtPercentile(p) / 1000.0, 3);
        return new Percentiles(histogram.TotalCount, At(50), At(95), At(99), At(99.9), Math.Round(histogram.GetMaxValue() / 1000.0, 3));
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record Percentiles(long Count, double P50, double P95, double P99, double P999, double Max)
{
    public static Percentiles Empty { get; } = new(0, 0, 0, 0, 0, 0);

    public override string ToString() =>
        Count == 0 ? "no samples" : $"p50 {P50:0.###} ms, p95 {P95:0.###} ms, p99 {P99:0.###} ms, p99.9 {P999:0.###} ms, max {Max:0.###} ms ({Count:N0} samples)";
}
