using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using SalesOps.LoadTests.Baselines;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        if (args.Length > 0 && args[0] == "webhooks")
        {
            return await WebhookDriver.RunAsync(args[1..], CancellationToken.None);
        }

        if (args.Length is 2 or 3 && args[0] == "plot")
        {
            // Draws a report's plot again (an older report, or after the plot changed): plot REPORT.json [OUT.svg].
            var report = System.Text.Json.JsonSerializer.Deserialize<Report>(await File.ReadAllTextAsync(args[1]), Report.Json)!;
            var svg = args.Length == 3 ? args[2] : Path.ChangeExtension(args[1], ".svg");
            await File.WriteAllTextAsync(svg, RunPlot.Svg(report));
            Console.WriteLine($"plot written to {svg}");
            return 0;
        }

        var command = args.Length > 0 && args[0] is "ceilings" or "domain-ceiling" or "transport-ceiling" or "orleans-hop-ceiling" or "first-read" ? args[0] : null;
        if (command is not null && args.Length > 1 && args[1] is "-h" or "--help")
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        Options options;
        try
        {
            options = Options.Parse(command is null ? args : args[1..]);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"load test: {ex.Message}");
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        if (command == "first-read")
        {
            var firstRead = FirstRead.Run(options);
            Console.WriteLine($"== first read of cold boards ({firstRead.Boards:N0} boards of {firstRead.Rows:N0} reps)");
            Console.WriteLine(firstRead.Summary());
            await WriteJsonAsync(options.Report, firstRead, "first read");
            return 0;
        }

        if (command is not null)
        {
            return await CeilingsAsync(command, options, cancel);
        }

        try
        {
            var report = await new LoadRun(options).RunAsync(cancel.Token);
            Console.WriteLine(report.Summary());
            if (options.Report is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllTextAsync(path, report.ToJson());
                Console.WriteLine($"report written to {path}");
                var plot = Path.ChangeExtension(path, ".svg");
                await File.WriteAllTextAsync(plot, RunPlot.Svg(report));
                Console.WriteLine($"plot written to {plot}");
            }

            return report.Verification.Passed ? 0 : 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("load test: cancelled");
            return 1;
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or HttpRequestException)
        {
            Console.Error.WriteLine($"load test: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The ceilings subcommands: what the domain alone and the transport alone do with the same events.</summary>
    private static async Task<int> CeilingsAsync(string command, Options options, CancellationTokenSource cancel)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var ceilings = await Ceilings.RunAsync(options, command is "ceilings" or "domain-ceiling", command is "ceilings" or "transport-ceiling",
                command == "orleans-hop-ceiling" || (command == "ceilings" && options.OrleansHop), cancel.Token);
            Console.WriteLine($"== ceilings ({ceilings.Workload}; {ceilings.Gc} GC), {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s in all");
            Console.Write(ceilings.Summary());
            await WriteJsonAsync(options.Report, ceilings, "ceilings");

            var errors = ceilings.All.Where(c => c.Errors > 0).ToList();
            foreach (var c in errors)
            {
                Console.Error.WriteLine($"ceiling {c.Name}: {c.Errors} events not accepted: {string.Join("; ", c.ErrorSamples)}");
            }

            return errors.Count == 0 ? 0 : 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("ceilings: cancelled");
            return 1;
        }
    }

    /// <summary>Writes a subcommand's report as JSON when <c>--report</c> asked for one.</summary>
    private static async Task WriteJsonAsync<T>(string? path, T report, string what)
    {
        if (path is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(report, Report.Json));
        Console.WriteLine($"{what} written to {path}");
    }
}

/// <summary>
/// One load run: the capacity phase when asked (first, so the memory it reports is that company's alone, and the
/// throughput phases then run on a server that already holds it, as a production one would), the load phases,
/// verification, the baselines.
/// </summary>
public sealed class LoadRun(Options o)
{
    /// <summary>
    /// Open loop: batches a stream may have unacknowledged before a due batch counts as not sent (bounds the backlog
    /// a server slower than the offered rate builds, and so the drain after the phase).
    /// </summary>
    private const int OpenLoopCap = 8;

    /// <summary>The closed-loop phase of the main company: the headline events/s.</summary>
    private const string MaxThroughput = "max-throughput";

    private readonly ServerProbe _probe = new(o.ServerPid, o.DatabasePid);
    private readonly List<string> _failures = new();
    private readonly List<PhaseReport> _phases = new();
    private readonly List<TimelineSample> _timeline = new();
    private readonly long _runStarted = Stopwatch.GetTimestamp();

    public async Task<Report> RunAsync(CancellationToken ct)
    {
        var startedAt = DateTime.UtcNow;
        var identities = await Identities.CreateAsync(o, ct);
        using var ingestChannel = Channel(identities.Connector);
        using var queryChannel = Channel(identities.Manager);
        using var watchChannel = Channel(identities.Screen);
        var ingest = new V1.IngestService.IngestServiceClient(ingestChannel);
        var query = new V1.QueryService.QueryServiceClient(queryChannel);
        var watch = new V1.WatchService.WatchServiceClient(watchChannel);
        await WaitForServerAsync(query, ct);
        var capacity = o.CapacityReps > 0 ? await CapacityAsync(ingest, query, startedAt, ct) : null;

        var run = new RunEvents(new Company(o.Workload(o.Tag, o.Reps, o.OpenPerRep)), EventClock.BaseFor(startedAt));
        var company = run.Company;
        Log($"run {o.Tag}: {company.Settings.Reps:N0} reps in {company.Leaves.Length} territories under {company.Areas.Length} areas, " +
            $"{company.Settings.Customers:N0} customers, period {run.Period}; mix: {company.Settings.Mix}");
        var expected = new Expected(company.RepIds.Length, company.CustomerIds.Length);
        var clock = new ActivityClock(company.RepIds.Length);
        var bigDeals = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var driver = new IngestDriver(ingest, run, expected, clock, bigDeals, o.BigDeal);

        await PhaseAsync("structure", "setup", null, null, s => driver.StructureAsync(s, ct));
        await PhaseAsync("setup", "setup", null, null, s => driver.SetupAsync(s, o.InFlight, ct));

        using var screens = new Screens(company, run.Period, o.Watchers, o.AlertWatchers, o.Top, bigDeals);
        await screens.StartAsync(watch, clock, TimeSpan.FromSeconds(60));
        Log($"{o.Watchers} leaderboard and {o.AlertWatchers} alert watchers attached");
        using var browsers = new BrowserScreens(o, identities.Screen);
        if (o.BrowserScreens > 0)
        {
            var adminKey = o.AdminKeyFile is null ? null : (await File.ReadAllTextAsync(o.AdminKeyFile, ct)).Trim();
            await browsers.StartAsync(company, adminKey, TimeSpan.FromSeconds(120), ct);
            Log($"{o.BrowserScreens} browser-shaped screens attached over HTTP/1.1 ({browsers.Report().ConnectedAfterMs:N0} ms to connect them all)");
        }


        WarmupReport? warmup = null;
        if (o.Warmup > 0)
        {
            // Reported as a phase of its own, never as the headline: the server's JIT tiers up and its caches fill. It
            // ends once the server's JIT has settled (no method compiled for a whole second), at least --warmup and at
            // most --warmup-max seconds (docs/adr/0035).
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var metrics = new Uri(WebBase(), "/metrics");
            await PhaseAsync("warm-up", "closed", null, null, async s =>
            {
                var done = 0;
                var load = driver.ClosedLoopAsync(s, () => Volatile.Read(ref done) != 0, o.InFlight, long.MaxValue, ct);
                try
                {
                    warmup = await JitWarmup.UntilSettledAsync(JitWarmup.FromPrometheus(http, metrics), $"the server's {metrics} ({JitWarmup.PrometheusJitMetric})",
                        TimeSpan.FromSeconds(o.Warmup), TimeSpan.FromSeconds(Math.Max(o.Warmup, o.WarmupMax)), ct);
                }
                finally
                {
                    Volatile.Write(ref done, 1);
                    await load;
                }
            });
            Log($"warm-up ended after {warmup!.Seconds:0.#} s: server JIT {(warmup.JitSettled switch { true => "settled", false => "still compiling at --warmup-max", null => "count not readable" })}" +
                (warmup.JitMethods is { } m ? $" ({m:N0} methods compiled, {warmup.JitMethodsDuringWarmup:N0} during the warm-up; per second: {string.Join(' ', warmup.JitMethodsPerSecond)})" : ""));
        }

        double closedRate = 0;
        if (o.Duration > 0)
        {
            var closed = await PhaseAsync(MaxThroughput, "closed", null, screens,
                s => driver.ClosedLoopAsync(s, TimeSpan.FromSeconds(o.Duration), o.InFlight, long.MaxValue, ct));
            closedRate = closed.EventsPerSecond;
        }

        foreach (var rate in o.OpenRates)
        {
            if (rate == "half" && closedRate == 0)
            {
                continue; // no closed-loop phase to halve
            }

            var offered = rate == "half" ? Math.Max(100, Math.Round(closedRate / 2 / 100) * 100) : double.Parse(rate, CultureInfo.InvariantCulture);

            await PhaseAsync($"open-{offered / 1000:0.#}k", "open", offered, screens,
                s => driver.OpenLoopAsync(s, offered, TimeSpan.FromSeconds(o.OpenDuration), OpenLoopCap, ct));
        }

        screens.Stats.Measuring = false;
        var settle = TimeSpan.FromSeconds(o.SettleTimeout);
        Log("load stopped; waiting for every screen and figure to show the acknowledged events");
        var lag = await screens.ConvergeAsync(company, expected, settle, _failures);
        var checks = await Verifier.CheckAsync(query, company, expected, run.Period, settle, _failures);
        Log($"verified {checks:N0} rep and region figures, watchers converged in {(lag is { } l ? $"{l:N0} ms" : "—")}");
        var reads = await TimeLeaderboardAsync(query, company.RootRegion, run.Period);
        await screens.StopAsync();
        if (screens.Stats.Failures > 0)
        {
            _failures.AddRange(screens.Stats.FailureSamples.Take(5));
            _failures.Add($"{screens.Stats.Failures} watch stream failures");
        }

        BaselineResult? sql = null;
        BaselineResult? redis = null;
        if (o.Sql is { } cs)
        {
            Log("query-time SQL baseline: replaying the same events into PostgreSQL");
            sql = await SqlBaseline.RunAsync(run, driver.MeasuredBatches, cs, o.SqlCheckpoints, Log, ct);
        }

        if (o.Redis is { } endpoint)
        {
            Log("Redis sorted-set baseline: replaying the same events");
            redis = await RedisBaseline.RunAsync(run, driver.MeasuredBatches, endpoint, Log, ct);
        }

        if (capacity is not null && o.Sql is { } cs2)
        {
            capacity = await SqlCapacityAsync(capacity, cs2, ct);
        }

        foreach (var b in new[] { sql, redis }.OfType<BaselineResult>().Where(b => b.Error is not null))
        {
            _failures.Add($"baseline {b.Name} failed: {b.Error}");
        }

        var headline = _phases.FirstOrDefault(p => p.Name == MaxThroughput) ?? _phases.Last();
        var pushPhase = _phases.LastOrDefault(p => p.Model == "open") ?? headline;
        var errors = _phases.Sum(p => p.Errors);
        if (errors > 0)
        {
            _failures.Add($"{errors} events were not accepted: {string.Join("; ", _errorSamples.Take(5))}");
        }

        var browserReport = browsers.Report();
        await browsers.StopAsync();
        var ceilings = o.Ceilings is { } ceilingsPath ? CeilingsReport.Read(ceilingsPath) : null;
        if (ceilings is not null)
        {
            ceilings = ceilings with { Ratios = CeilingRatio.Of(ceilings, headline.EventsPerSecond, headline.ServerCpuUsPerEvent) };
        }

        return new Report(
            "SalesOps.LoadTests", startedAt, o.Storage, o.Server, o.Tag, o.Reps, company.Settings.Streams, o.BatchSize, o.Watchers, o.AlertWatchers,
            company.Settings.Mix.ToString(), Math.Round(headline.EventsPerSecond), headline.AckLatencyMs, pushPhase.PushLatencyMs, lag,
            screens.Stats.Alerts, screens.Stats.Resumes, screens.Stats.Gaps, screens.Stats.Missed, errors,
            _probe.Memory()?.Peak, headline.ServerCpuCores, headline.ServerCpuUsPerEvent, headline.MachineStealPercent, reads, _phases, capacity,
            new PeerBaselines(sql, redis, Compare(headline, reads, sql, redis)),
            new Verification(_failures.Count == 0, checks + (capacity is null ? 0 : _capacityChecks), _failures))
        {
            BrowserScreens = o.BrowserScreens > 0 ? browserReport : null,
            Warmup = warmup,
            Ceilings = ceilings,
            Timeline = _timeline,
        };
    }

    private readonly List<string> _errorSamples = new();
    private int _capacityChecks;
    private RunEvents? _capacityRun;
    private long[]? _capacityBatches;

    /// <summary>A second company with many open deals: how much memory holding them takes, and how fast its board reads.</summary>
    private async Task<CapacityReport> CapacityAsync(V1.IngestService.IngestServiceClient ingest, V1.QueryService.QueryServiceClient query, DateTime startedAt, CancellationToken ct)
    {
        var before = _probe.Memory();
        var perRep = (o.CapacityOpportunities + o.CapacityReps - 1) / o.CapacityReps;
        var run = new RunEvents(new Company(o.Workload(o.Tag + "k", o.CapacityReps, perRep)), EventClock.BaseFor(startedAt));
        var expected = new Expected(run.Company.RepIds.Length, run.Company.CustomerIds.Length);
        var driver = new IngestDriver(ingest, run, expected, new ActivityClock(run.Company.RepIds.Length), new ConcurrentDictionary<string, long>(), o.BigDeal);
        Log($"capacity: {o.CapacityReps:N0} reps opening {perRep} deals each ({(long)perRep * o.CapacityReps:N0}), then {o.CapacityEvents:N0} mixed events");
        await PhaseAsync("capacity-structure", "setup", null, null, s => driver.StructureAsync(s, ct));
        var load = await PhaseAsync("capacity-load", "closed", null, null, s => driver.SetupAsync(s, o.InFlight, ct));
        var perStream = Math.Max(1, o.CapacityEvents / o.BatchSize / run.Company.Settings.Streams);
        await PhaseAsync("capacity-mixed", "closed", null, null, s => driver.ClosedLoopAsync(s, TimeSpan.FromHours(1), o.InFlight, perStream, ct));
        _capacityChecks = await Verifier.CheckAsync(query, run.Company, expected, run.Period, TimeSpan.FromSeconds(o.SettleTimeout), _failures);
        var memory = _probe.Memory();
        var reads = await TimeLeaderboardAsync(query, run.Company.RootRegion, run.Period);
        _capacityRun = run;
        _capacityBatches = driver.MeasuredBatches;
        return new CapacityReport(o.CapacityReps, expected.OpenCount.Sum(), load.Seconds, Math.Round(load.EventsPerSecond), before?.Rss, memory?.Rss, memory?.Peak, reads, null, null);
    }

    private async Task<CapacityReport> SqlCapacityAsync(CapacityReport capacity, string connectionString, CancellationToken ct)
    {
        Log($"query-time SQL at capacity: loading the capacity company's events into PostgreSQL");
        var load = await SqlBaseline.RunAsync(_capacityRun!, _capacityBatches!, connectionString, 1, Log, ct);
        if (load.Error is not null)
        {
            _failures.Add($"SQL capacity baseline failed: {load.Error}");
            return capacity;
        }

        try
        {
            var sample = await SqlBaseline.TimeLeaderboardAsync(_capacityRun!, connectionString, Math.Min(o.ReadSamples, 50), ct);
            return capacity with { SqlLeaderboard = sample, SqlOverSalesOps = Ratio(sample.P50Ms, capacity.LeaderboardReadMs.P50) };
        }
        catch (NpgsqlException ex)
        {
            _failures.Add($"SQL capacity leaderboard read failed: {ex.Message}");
            return capacity;
        }
    }

    private static List<Comparison> Compare(PhaseReport headline, Percentiles reads, BaselineResult? sql, BaselineResult? redis)
    {
        var list = new List<Comparison>();
        foreach (var b in new[] { sql, redis }.OfType<BaselineResult>().Where(b => b.Error is null))
        {
            list.Add(new Comparison($"ingest vs {b.Name} writes", "events/s", headline.EventsPerSecond, b.Name, b.EventsPerSecond, Ratio(headline.EventsPerSecond, b.EventsPerSecond)));
            // The same read as ours: the bookings top 10 of the run's root region, at the largest data size measured.
            if (b.Reads.LastOrDefault(r => r.Query.StartsWith("leaderboard bookings top 10", StringComparison.Ordinal)) is { } read)
            {
                list.Add(new Comparison($"leaderboard read p50 vs {b.Name} ({read.Query})", "ms", reads.P50, b.Name, read.P50Ms, Ratio(read.P50Ms, reads.P50)));
            }
        }

        return list;
    }

    private static double Ratio(double numerator, double denominator) => denominator > 0 ? Math.Round(numerator / denominator, 2) : 0;

    /// <summary>Runs a phase with a progress line every two seconds and records it.</summary>
    private async Task<PhaseStats> PhaseAsync(string name, string model, double? offered, Screens? screens, Func<PhaseStats, Task> run)
    {
        var measured = screens is not null;
        if (measured)
        {
            screens!.Stats.BeginPhase();
        }

        var mark = _probe.Mark();
        var started = Stopwatch.GetTimestamp();
        var stats = new PhaseStats(name);
        var task = run(stats);
        var lastEvents = 0L;
        var last = mark;
        var tick = 0;

        // A sample a second for the run's timeline (and its plot); a progress line every two.
        void Sample(CpuMark point, long events)
        {
            var rate = (events - lastEvents) / Stopwatch.GetElapsedTime(last.Timestamp, point.Timestamp).TotalSeconds;
            var (secondServer, secondGenerator) = point.CoresSince(last);
            var ack = stats.Ack.TakeInterval();
            var push = measured ? screens!.Stats.Push.TakeInterval() : Percentiles.Empty;
            _timeline.Add(new TimelineSample(
                RunSeconds(point.Timestamp), name, Math.Round(rate),
                ack.Count > 0 ? ack.P50 : null, ack.Count > 0 ? ack.P99 : null, push.Count > 0 ? push.P99 : null, secondServer, secondGenerator));
            (lastEvents, last) = (events, point);
        }

        while (await Task.WhenAny(task, Task.Delay(1000)) != task)
        {
            var point = _probe.Mark();
            var events = stats.Events;
            var rate = (events - lastEvents) / Stopwatch.GetElapsedTime(last.Timestamp, point.Timestamp).TotalSeconds;
            Sample(point, events);
            if (++tick % 2 != 0)
            {
                continue;
            }

            var cpu = point.CoresSince(mark);
            Log($"[{name} {Stopwatch.GetElapsedTime(started).TotalSeconds,5:0}s] {events,11:N0} events acked, {rate,9:N0}/s now, errors {stats.Errors}, " +
                $"ack p99 {stats.Ack.Summary().P99:0.#} ms" +
                (measured ? $", push p99 {screens!.Stats.Push.Summary().P99:0.#} ms ({screens.Stats.Push.Count:N0})" : "") +
                $", server {(cpu.Server is { } c ? $"{c:0.0} cores" : "n/a")}, {(_probe.Memory() is { } m ? $"{m.Rss:N0} MB" : "")}" +
                (point.DatabaseCoresSince(mark) is { } database ? $", database {database:0.0} cores" : "") +
                (point.MachineBusyCoresSince(mark) is { } busy ? $", machine {busy:0.0} of {Environment.ProcessorCount} busy" : "") +
                (point.StealPercentSince(mark) is { } steal ? $", {steal:0}% stolen" : ""));
        }

        await task;
        var end = _probe.Mark();
        if (tick == 0)
        {
            // A phase shorter than a second gets one sample. A longer one's last part-second is left out: it is mostly the
            // drain of the batches in flight (acknowledged, none sent), a rate no second of the phase had.
            Sample(end, stats.Events);
        }

        var (serverCores, generatorCores) = end.CoresSince(mark);
        foreach (var sample in stats.ErrorSamples)
        {
            if (_errorSamples.Count < 20)
            {
                _errorSamples.Add($"[{name}] {sample}");
            }
        }

        var report = new PhaseReport(name, model, offered, Math.Round(stats.Seconds, 2), stats.Events, Math.Round(stats.EventsPerSecond), stats.Errors, stats.BatchesNotSent,
            stats.Ack.Summary(), measured ? screens!.Stats.Push.Summary() : Percentiles.Empty, measured ? screens!.Stats.Alert.Summary() : Percentiles.Empty,
            measured ? screens!.Stats.Updates : 0, serverCores, PhaseReport.CpuUsPerEvent(serverCores, stats.EventsPerSecond), generatorCores,
            end.StealPercentSince(mark), _probe.Memory()?.Rss)
        {
            StartS = RunSeconds(started),
            EndS = RunSeconds(end.Timestamp),
            DatabaseCpuCores = end.DatabaseCoresSince(mark),
            DatabaseCpuUsPerEvent = PhaseReport.CpuUsPerEvent(end.DatabaseCoresSince(mark), stats.EventsPerSecond),
            MachineBusyCores = end.MachineBusyCoresSince(mark),
        };
        _phases.Add(report);
        Log($"{name}: {stats.Events:N0} events in {stats.Seconds:0.0} s = {stats.EventsPerSecond:N0} events/s, errors {stats.Errors}; ack {stats.Ack.Summary()}" +
            (measured ? $"; push {report.PushLatencyMs}" : ""));
        return stats;
    }

    private async Task<Percentiles> TimeLeaderboardAsync(V1.QueryService.QueryServiceClient query, string region, string period)
    {
        await WaitForQuietServerAsync();
        var request = new V1.GetLeaderboardRequest { ScopeRegionId = region, Period = period, Metric = V1.LeaderboardMetric.Bookings, Top = 10 };
        var summary = await Latency.MeasureAsync(o.ReadSamples, () => query.GetLeaderboardAsync(request).ResponseAsync);
        Log($"leaderboard reads of {region}: {summary}");
        return summary;
    }

    /// <summary>
    /// Reads are timed on a server that has finished the work the load left behind (roll-ups and pushes run after the
    /// acknowledgements), as the SQL reads are timed with the writers paused: waits until the server uses less than
    /// a fifth of a core over half a second, at most 20 s. Without a server pid there is nothing to wait for.
    /// </summary>
    private async Task WaitForQuietServerAsync()
    {
        if (!_probe.Available)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var mark = _probe.Mark();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(500);
            var now = _probe.Mark();
            var (server, _) = now.CoresSince(mark);
            mark = now;
            if (server is null or < 0.2)
            {
                break;
            }
        }

        Log($"server quiet after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s; timing reads");
    }

    /// <summary>Seconds from the run's start to <paramref name="timestamp"/> (the timeline's clock).</summary>
    private double RunSeconds(long timestamp) => Math.Round(Stopwatch.GetElapsedTime(_runStarted, timestamp).TotalSeconds, 2);

    /// <summary>The server's web port (--web, or the gRPC port + 10 as the server defaults it).</summary>
    private Uri WebBase()
    {
        if (o.Web is { } web)
        {
            return new Uri(web);
        }

        var grpc = new Uri(o.Server);
        return new UriBuilder(grpc) { Port = grpc.Port + 10 }.Uri;
    }

    /// <summary>A channel that sends <paramref name="apiKey"/> (none when null) with every call.</summary>
    private GrpcChannel Channel(string? apiKey) => GrpcChannel.ForAddress(o.Server, new GrpcChannelOptions
    {
        // Hundreds of watch streams: more than one HTTP/2 connection's 100 concurrent streams.
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        MaxReceiveMessageSize = 64 * 1024 * 1024,
        Credentials = apiKey is null ? null : Identities.Credentials(apiKey),
        UnsafeUseInsecureChannelCallCredentials = apiKey is not null,
    });

    private static async Task WaitForServerAsync(V1.QueryService.QueryServiceClient query, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
            }
        }
    }

    private static void Log(string line) => Console.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");
}
