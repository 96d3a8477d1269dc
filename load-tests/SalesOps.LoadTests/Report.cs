using System.Text.Json;
using System.Text.Json.Serialization;
using SalesOps.LoadTests.Baselines;

namespace SalesOps.LoadTests;

/// <summary>One load phase as reported.</summary>
public sealed record PhaseReport(
    string Name,
    string Model,
    double? OfferedRate,
    double Seconds,
    long Events,
    double EventsPerSecond,
    long Errors,
    long BatchesNotSent,
    Percentiles AckLatencyMs,
    Percentiles PushLatencyMs,
    Percentiles AlertLatencyMs,
    long Pushes,
    double? ServerCpuCores,
    double? ServerCpuUsPerEvent,
    double GeneratorCpuCores,
    double? MachineStealPercent,
    double? ServerRssMb)
{
    /// <summary>
    /// Server CPU time per acknowledged event (µs): unlike events/s it hardly moves when the hypervisor steals cores,
    /// so it is the figure to compare two builds by. It includes everything the server did meanwhile (pushes, alerts,
    /// region ticks), and the 100,000 events/s target on two cores is a budget of at most 20 µs.
    /// </summary>
    public static double? CpuUsPerEvent(double? serverCores, double eventsPerSecond) =>
        serverCores is { } c && eventsPerSecond > 0 ? Math.Round(c / eventsPerSecond * 1e6, 1) : null;

    /// <summary>
    /// The database's CPU (postgres mode: PostgreSQL's processes), in cores and per acknowledged event: with the
    /// server's, what a durable event costs the machine.
    /// </summary>
    public double? DatabaseCpuCores { get; init; }

    public double? DatabaseCpuUsPerEvent { get; init; }

    /// <summary>The machine's cores busy during the phase (all processes), of the cores it has.</summary>
    public double? MachineBusyCores { get; init; }

    /// <summary>When the phase started and ended, in seconds from the run's start (the timeline's clock).</summary>
    public double StartS { get; init; }

    public double EndS { get; init; }
}

/// <summary>
/// One second of a phase: events acknowledged per second, the ack latency percentiles of the batches acknowledged in
/// that second, the push p99 of the updates received in it, and the cores used. <see cref="T"/> counts from the run's start.
/// </summary>
public sealed record TimelineSample(double T, string Phase, double EventsPerSecond, double? AckP50Ms, double? AckP99Ms, double? PushP99Ms,
    double? ServerCpuCores, double GeneratorCpuCores);

/// <summary>The capacity phase: a second company holding many open deals.</summary>
public sealed record CapacityReport(
    int Reps,
    long OpenOpportunities,
    double LoadSeconds,
    double LoadEventsPerSecond,
    double? ServerRssBeforeMb,
    double? ServerRssMb,
    double? ServerPeakRssMb,
    Percentiles LeaderboardReadMs,
    ReadSample? SqlLeaderboard,
    double? SqlOverSalesOps);

/// <summary>Our figure beside a peer's; ratio = how many times better ours is (above 1 = ours better).</summary>
public sealed record Comparison(string Figure, string Unit, double SalesOps, string Peer, double PeerValue, double Ratio);

public sealed record PeerBaselines(BaselineResult? Sql, BaselineResult? Redis, IReadOnlyList<Comparison> Comparisons);

public sealed record Verification(bool Passed, int Checks, IReadOnlyList<string> Failures);

/// <summary>The JSON report (snake_case). The headline figures come from the closed-loop phase, push latency from the last open-loop phase.</summary>
public sealed record Report(
    string Tool,
    DateTime StartedAt,
    string Storage,
    string Server,
    string Tag,
    int Reps,
    int Streams,
    int BatchSize,
    int Watchers,
    int AlertWatchers,
    string EventMix,
    double EventsPerSecond,
    Percentiles AckLatencyMs,
    Percentiles PushLatencyMs,
    double? WatcherLagMs,
    long AlertsReceived,
    long AlertResumes,
    long AlertGaps,
    long AlertsMissed,
    long Errors,
    double? ServerPeakRssMb,
    double? ServerCpuCores,
    double? ServerCpuUsPerEvent,
    double? MachineStealPercent,
    Percentiles LeaderboardReadMs,
    IReadOnlyList<PhaseReport> Phases,
    CapacityReport? Capacity,
    PeerBaselines Baselines,
    Verification Verification)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The browser-shaped screens (<c>--browser-screens</c>); null when none ran.</summary>
    public BrowserScreensReport? BrowserScreens { get; init; }

    /// <summary>How the warm-up ended (the server's JIT settled, or the bound); null without a warm-up.</summary>
    public WarmupReport? Warmup { get; init; }

    /// <summary>The ceilings measured before the run (<c>--ceilings</c>), with the engine as a ratio of each; null when none.</summary>
    public CeilingsReport? Ceilings { get; init; }

    /// <summary>A sample a second of every phase: the run's throughput and latency over time (the plot's lines).</summary>
    public IReadOnlyList<TimelineSample> Timeline { get; init; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The human summary printed at the end.</summary>
    public string Summary()
    {
        var w = new StringWriter();
        w.WriteLine();
        w.WriteLine($"== SalesOps load test {Tag}: {Storage} storage, {Reps:N0} reps, {Streams} streams × {BatchSize}-event batches, {Watchers} board + {AlertWatchers} alert watchers");
        foreach (var p in Phases)
        {
            var offered = p.OfferedRate is { } r ? $" offered {r:N0}/s," : "";
            w.WriteLine($"  {p.Name,-14} {p.Model,-6}{offered} {p.Events:N0} events in {p.Seconds:0.0} s = {p.EventsPerSecond:N0} events/s, errors {p.Errors}" +
                        (p.BatchesNotSent > 0 ? $", {p.BatchesNotSent} batches not sent (generator at its in-flight cap)" : ""));
            w.WriteLine($"  {"",-14} ack   {p.AckLatencyMs}");
            if (p.PushLatencyMs.Count > 0)
            {
                w.WriteLine($"  {"",-14} push  {p.PushLatencyMs}");
            }

            if (p.AlertLatencyMs.Count > 0)
            {
                w.WriteLine($"  {"",-14} alert {p.AlertLatencyMs}");
            }

            w.WriteLine($"  {"",-14} cpu   server {Cores(p.ServerCpuCores)}{(p.ServerCpuUsPerEvent is { } us ? $" ({us:0.#} µs per event)" : "")}, " +
                        (p.DatabaseCpuCores is { } db ? $"database {db:0.00} cores{(p.DatabaseCpuUsPerEvent is { } dbus ? $" ({dbus:0.#} µs per event)" : "")}, " : "") +
                        $"load generator {p.GeneratorCpuCores:0.00} cores; machine busy {Cores(p.MachineBusyCores)} of {Environment.ProcessorCount}, " +
                        $"CPU stolen {Percent(p.MachineStealPercent)}; server RSS {Mb(p.ServerRssMb)}");
        }

        w.WriteLine($"  leaderboard read (gRPC GetLeaderboard, top 10): {LeaderboardReadMs}");
        w.WriteLine($"  watchers converged {(WatcherLagMs is { } lag ? $"{lag:N0} ms" : "never")} after the last ack; {AlertsReceived:N0} alerts received, " +
                    $"{AlertResumes} alert-stream resumes after RESOURCE_EXHAUSTED, {AlertGaps} gaps past the server's retention ({AlertsMissed:N0} alerts missed); " +
                    $"server peak RSS {Mb(ServerPeakRssMb)}");
        if (BrowserScreens is { } browsers)
        {
            w.WriteLine($"  browser-shaped screens: {browsers.Screens:N0} over HTTP/1.1 on {browsers.Channels} channels, connected in {browsers.ConnectedAfterMs:N0} ms; " +
                        $"{browsers.Messages:N0} JSON lines ({browsers.Bytes / 1e6:N1} MB), {browsers.Alerts:N0} alerts, {browsers.Reconnects} reconnects, {browsers.Failures} failed requests");
        }

        if (Capacity is { } c)
        {
            w.WriteLine($"  capacity: {c.Reps:N0} reps, {c.OpenOpportunities:N0} open deals loaded in {c.LoadSeconds:0} s ({c.LoadEventsPerSecond:N0} events/s); server RSS {Mb(c.ServerRssMb)} (before: {Mb(c.ServerRssBeforeMb)}), peak {Mb(c.ServerPeakRssMb)}");
            w.WriteLine($"            leaderboard read {c.LeaderboardReadMs}");
            if (c.SqlLeaderboard is { } s)
            {
                w.WriteLine($"            SQL leaderboard at {s.Opportunities:N0} opportunities: p50 {s.P50Ms:0.###} ms, p99 {s.P99Ms:0.###} ms → {c.SqlOverSalesOps:0.#}× ours");
            }
        }

        foreach (var b in new[] { Baselines.Sql, Baselines.Redis }.OfType<BaselineResult>())
        {
            w.WriteLine($"  baseline {b.Name}: {b.Events:N0} events in {b.Seconds:0.0} s = {b.EventsPerSecond:N0} events/s{(b.Error is null ? "" : $"; ERROR {b.Error}")}");
            foreach (var read in b.Reads)
            {
                w.WriteLine($"      {read.Query,-28} at {read.Opportunities,9:N0} deals / {read.Activities,9:N0} activities: p50 {read.P50Ms,8:0.###} ms, p99 {read.P99Ms,8:0.###} ms");
            }
        }

        foreach (var cmp in Baselines.Comparisons)
        {
            w.WriteLine($"  {cmp.Figure}: SalesOps {cmp.SalesOps:N3} {cmp.Unit} vs {cmp.Peer} {cmp.PeerValue:N3} {cmp.Unit} → {cmp.Ratio:0.##}×");
        }

        if (Ceilings is { } ceilings)
        {
            w.Write(ceilings.Summary());
        }

        w.WriteLine(Verification.Passed
            ? $"  verification: passed ({Verification.Checks:N0} figure checks, every board converged, no errors)"
            : $"  verification: FAILED\n    {string.Join("\n    ", Verification.Failures)}");
        return w.ToString();
    }

    private static string Mb(double? mb) => mb is { } v ? $"{v:N0} MB" : "n/a";

    private static string Percent(double? p) => p is { } v ? $"{v:0.#}%" : "n/a";

    private static string Cores(double? c) => c is { } v ? $"{v:0.00} cores" : "n/a";
}
