using System.Diagnostics;
using System.Globalization;

namespace SalesOps.LoadTests;

/// <summary>How a warm-up ended: after how long, and whether the JIT had settled by then (docs/adr/0035).</summary>
/// <param name="Seconds">How long the warm-up ran.</param>
/// <param name="JitSettled">A whole second passed with no method compiled (null: the count could not be read).</param>
/// <param name="JitMethods">Methods compiled when it ended (JIT compilations, tier-0 and tier-1 counted apart).</param>
/// <param name="JitMethodsDuringWarmup">Of those, compiled during the warm-up.</param>
/// <param name="Source">Where the count came from.</param>
public sealed record WarmupReport(double Seconds, bool? JitSettled, long? JitMethods, long? JitMethodsDuringWarmup, string Source)
{
    /// <summary>Methods compiled in each second of the warm-up, in order (how the JIT came to rest, or did not).</summary>
    public IReadOnlyList<long> JitMethodsPerSecond { get; init; } = [];
}

/// <summary>
/// A warm-up that ends when the JIT has settled rather than after a fixed time: the count of compiled methods (every
/// tier-0 and tier-1 compilation counts) is read once a second while the work runs, and the warm-up ends after the
/// minimum once a whole second has passed without a new method, or at the maximum whatever the count does.
/// </summary>
public static class JitWarmup
{
    /// <summary>This process's compiled-method count.</summary>
    public static Task<long?> InProcess() => Task.FromResult<long?>(System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false));

    /// <summary>Waits while the caller's work runs; returns when the JIT settled, or at <paramref name="max"/>.</summary>
    public static async Task<WarmupReport> UntilSettledAsync(Func<Task<long?>> count, string source, TimeSpan min, TimeSpan max, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var first = await count();
        var last = first;
        var perSecond = new List<long>();
        while (true)
        {
            await Task.Delay(1000, ct);
            var now = await count();
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (now is null || first is null)
            {
                // Nothing to read: a fixed warm-up of the minimum.
                if (elapsed >= min)
                {
                    return new WarmupReport(Math.Round(elapsed.TotalSeconds, 1), null, null, null, source + " (not readable: fixed warm-up)");
                }

                continue;
            }

            var settled = now == last;
            perSecond.Add(now.Value - (last ?? now.Value));
            last = now;
            if ((settled && elapsed >= min) || elapsed >= max)
            {
                return new WarmupReport(Math.Round(elapsed.TotalSeconds, 1), settled, now, now - first, source) { JitMethodsPerSecond = perSecond };
            }
        }
    }

    /// <summary>
    /// The server's compiled-method count from its Prometheus scrape (the runtime meter's <c>dotnet.jit.compiled_methods</c>),
    /// or null when the endpoint or the metric is not there.
    /// </summary>
    public static Func<Task<long?>> FromPrometheus(HttpClient http, Uri metrics) => async () =>
    {
        try
        {
            using var response = await http.GetAsync(metrics);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync();
            return PrometheusValue(text, PrometheusJitMetric);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    };

    /// <summary>The metric's name in the server's scrape (OpenTelemetry's Prometheus exporter: dots to underscores, counters end in _total).</summary>
    public const string PrometheusJitMetric = "dotnet_jit_compiled_methods_total";

    /// <summary>The sum of a metric's samples in a Prometheus text exposition (all label sets), or null when absent.</summary>
    public static long? PrometheusValue(string exposition, string metric)
    {
        double? sum = null;
        foreach (var line in exposition.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not (' ' or '{'))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest[0] == '{')
            {
                rest = rest[(rest.IndexOf('}') + 1)..];
            }

            rest = rest.Trim();
            var space = rest.IndexOf(' ');
            if (double.TryParse(space < 0 ? rest : rest[..space], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum = (sum ?? 0) + value;
            }
        }

        return sum is { } s ? (long)s : null;
    }
}
