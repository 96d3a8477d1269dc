using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace SalesOps.Runtime.Telemetry;

/// <summary>
/// The engine's own meter, <c>SalesOps</c>, and every instrument of it (docs/telemetry.md lists names, units and tags).
/// Instruments are created once, here; their tags are pre-built, so recording allocates nothing. An instrument nobody
/// listens to (no metrics pipeline configured) costs a branch.
/// </summary>
/// <remarks>
/// One meter per process, not per host: the server is one host per process, and tests that start several servers in
/// one process compare before and after, never absolute values.
/// </remarks>
public static class EngineMetrics
{
    /// <summary>The meter's name: what a metrics pipeline subscribes to (<c>AddMeter("SalesOps")</c>).</summary>
    public const string MeterName = "SalesOps";

    /// <summary>The tag of <see cref="EventsIngested"/>: the event's status as the ingest answer names it.</summary>
    public const string StatusTag = "status";

    /// <summary>The tag of <see cref="Watchers"/> and <see cref="PushLatency"/>: board, alerts or screen.</summary>
    public const string KindTag = "kind";

    /// <summary>The tag of <see cref="AckDuration"/>: the ingest method (Ingest, a streamed batch; IngestOne).</summary>
    public const string MethodTag = "method";

    /// <summary>The tag of <see cref="JournalCommitDuration"/>: ok or failed.</summary>
    public const string OutcomeTag = "outcome";

    private static readonly Meter Meter = new(MeterName, typeof(EngineMetrics).Assembly.GetName().Version?.ToString(3));

    // Latencies from a fraction of a millisecond to tens of seconds (the default buckets start at 0 and step in whole
    // units: 5, 10, 25 … seconds would put every ack in the first bucket).
    private static readonly double[] SecondsBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly KeyValuePair<string, object?>[][] KindTags =
    [
        [new(KindTag, "board")],  // WatcherKind.Board
        [new(KindTag, "alerts")], // WatcherKind.Alerts
        [new(KindTag, "screen")], // WatcherKind.Screen
    ];

    private static readonly long[] s_watchers = new long[KindTags.Length];
    private static long s_outboxDepth;

    /// <summary>Events that reached the engine, by status (accepted, duplicate, invalid_argument, not_found, …).</summary>
    public static readonly Counter<long> EventsIngested = Meter.CreateCounter<long>(
        "salesops.ingest.events", "{event}", "Events that reached the engine, by the status they were answered with");

    /// <summary>From an ingest call's events being read to their acknowledgement written, per call (a streamed batch or one event).</summary>
    public static readonly Histogram<double> AckDuration = Meter.CreateHistogram(
        "salesops.ingest.ack.duration", "s", "Time from an ingest call's events being read to their acknowledgement being written",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>From an event's acceptance to the push it caused being written to a watcher, by watcher kind.</summary>
    public static readonly Histogram<double> PushLatency = Meter.CreateHistogram(
        "salesops.push.latency", "s", "Time from an event's acceptance to a push it caused being written to a watcher",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Open watch streams on this process, by kind (every kind reported, 0 included).</summary>
    public static readonly ObservableUpDownCounter<long> Watchers = Meter.CreateObservableUpDownCounter(
        "salesops.watchers", ObserveWatchers, "{watcher}", "Open watch streams on this process, by kind");

    /// <summary>PostgreSQL mode: from a journal append being queued to its group commit answered.</summary>
    public static readonly Histogram<double> JournalCommitDuration = Meter.CreateHistogram(
        "salesops.journal.commit.duration", "s", "Time from a journal append being queued to its group commit being answered (postgres mode)",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Messages grains of this process have queued for other grains and not yet delivered.</summary>
    public static readonly ObservableGauge<long> OutboxDepth = Meter.CreateObservableGauge(
        "salesops.outbox.depth", () => Volatile.Read(ref s_outboxDepth), "{message}",
        "Messages the grains active on this process have queued for other grains and not yet delivered");


    /// <summary>
    /// Creates the instruments now (the class's fields are otherwise created on first use), so that a scrape of a
    /// server that has done nothing yet still lists every observable one: watchers of every kind at 0, outbox depth.
    /// </summary>
    public static void CreateInstruments() => RuntimeHelpers.RunClassConstructor(typeof(EngineMetrics).TypeHandle);

    /// <summary>Changes the outbox depth by <paramref name="delta"/> messages (queued: positive; delivered or let go: negative).</summary>
    public static void AddOutboxDepth(long delta) => Interlocked.Add(ref s_outboxDepth, delta);

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>) in seconds.</summary>
    public static void RecordSince(this Histogram<double> histogram, long startTimestamp, KeyValuePair<string, object?> tag)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.Enabled)
        {
            histogram.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tag);
        }
    }

    /// <summary>
    /// Records the time since <paramref name="utcTicks"/> (wall-clock UTC ticks, stamped where the event was accepted,
    /// possibly on another machine) as a push latency; 0 means not stamped (a lease renewal's re-push), not recorded.
    /// </summary>
    public static void RecordPush(long utcTicks, WatcherKind kind)
    {
        if (utcTicks > 0 && PushLatency.Enabled)
        {
            // Clocks of two machines may disagree: a negative span (skew) is recorded as zero rather than dropped.
            PushLatency.Record(Math.Max(0, TimeSpan.FromTicks(DateTime.UtcNow.Ticks - utcTicks).TotalSeconds), KindTags[(int)kind][0]);
        }
    }

    /// <summary>Counts a watch stream open until the returned handle is disposed.</summary>
    public static OpenWatcher OpenWatcher(WatcherKind kind)
    {
        Interlocked.Increment(ref s_watchers[(int)kind]);
        return new OpenWatcher(kind, counted: true);
    }

    internal static void CloseWatcher(WatcherKind kind) => Interlocked.Decrement(ref s_watchers[(int)kind]);

    private static IEnumerable<Measurement<long>> ObserveWatchers()
    {
        for (var kind = 0; kind < KindTags.Length; kind++)
        {
            yield return new Measurement<long>(Volatile.Read(ref s_watchers[kind]), KindTags[kind]);
        }
    }
}

/// <summary>The kinds of watch stream (<see cref="EngineMetrics.KindTag"/>).</summary>
public enum WatcherKind
{
    /// <summary><c>WatchLeaderboard</c>.</summary>
    Board,

    /// <summary><c>WatchAlerts</c>.</summary>
    Alerts,

    /// <summary><c>WatchScreen</c> (the board and alert watches a screen runs inside are not counted apart).</summary>
    Screen,
}

/// <summary>A watch stream counted in <see cref="EngineMetrics.Watchers"/> until disposed; <c>default</c> counts nothing.</summary>
public readonly struct OpenWatcher(WatcherKind kind, bool counted) : IDisposable
{
    public void Dispose()
    {
        if (counted)
        {
            EngineMetrics.CloseWatcher(kind);
        }
    }
}
