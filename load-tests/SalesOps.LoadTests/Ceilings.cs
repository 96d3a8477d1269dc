using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// One ceiling: what a single layer does with the load test's events on this machine, without the rest of the engine.
/// </summary>
/// <param name="Name">domain | transport.</param>
/// <param name="What">What ran, in a sentence.</param>
/// <param name="CpuUsPerEvent">CPU time of this process per event (every thread: GC and, for transport, client and server).</param>
/// <param name="AllocatedBytesPerEvent">Managed bytes allocated per event by what is measured.</param>
/// <param name="Threads">How the work ran (one thread, or the driver's streams).</param>
/// <param name="Errors">Events not accepted (a ceiling run must have none: it would measure refusals).</param>
public sealed record CeilingReport(
    string Name,
    string What,
    string Threads,
    WarmupReport Warmup,
    double Seconds,
    long Events,
    double EventsPerSecond,
    double CpuUsPerEvent,
    double CpuCores,
    double AllocatedBytesPerEvent,
    long Errors,
    IReadOnlyList<string> ErrorSamples)
{
    /// <summary>Domain only: proto → domain mapping (the server's ProtoMapper), per event, timed apart from the engine.</summary>
    public double? MapCpuUsPerEvent { get; init; }

    /// <summary>
    /// Transport only: what generating the events costs the driver (<see cref="StreamWorkload.NextBatch"/> on one thread,
    /// measured apart after the run), per event: a part of <see cref="CpuUsPerEvent"/> that is the load generator's, not the transport's.
    /// </summary>
    public double? GenerateCpuUsPerEvent { get; init; }

    /// <summary>Domain only: the alerts the engine raised per event (overtakes on the watched boards, big wins).</summary>
    public double? AlertsPerEvent { get; init; }

    /// <summary>Domain only: the run's boards, whether the engine watched them and whether and how often they were read.</summary>
    public string? Boards { get; init; }

    /// <summary>Domain only: leaderboard rows read in the measured stretches (the same in two builds that rank alike).</summary>
    public long? BoardRowsRead { get; init; }
}

/// <summary>The ceilings of a run (<c>ceilings</c> subcommand), and the engine as a ratio of each (filled in by the load run).</summary>
public sealed record CeilingsReport(DateTime MeasuredAt, string Workload, string Gc, CeilingReport? Domain, CeilingReport? Transport)
{
    /// <summary>A grain call carrying a batch to a grain that does nothing (<c>--orleans-hop</c>); null when not measured.</summary>
    public CeilingReport? OrleansHop { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<CeilingReport> All => new[] { Domain, Transport, OrleansHop }.OfType<CeilingReport>();

    /// <summary>The engine's closed-loop figures over each ceiling's (set by the load run that includes this report).</summary>
    public IReadOnlyList<CeilingRatio> Ratios { get; init; } = [];

    public static CeilingsReport Read(string path) =>
        JsonSerializer.Deserialize<CeilingsReport>(File.ReadAllText(path), Report.Json) ?? throw new InvalidDataException($"{path}: no ceilings report");

    public string Summary()
    {
        var w = new StringWriter();
        foreach (var c in All)
        {
            w.WriteLine($"  ceiling {c.Name,-9} {c.Events:N0} events in {c.Seconds:0.0} s = {c.EventsPerSecond:N0} events/s; {RunPlot.Figure(c.CpuUsPerEvent)} µs CPU per event " +
                        $"({c.CpuCores:0.00} cores), {c.AllocatedBytesPerEvent:N0} B allocated per event; {c.Threads}; errors {c.Errors}" +
                        (c.MapCpuUsPerEvent is { } map ? $"; proto→domain mapping {map:0.##} µs per event (apart)" : "") +
                        (c.GenerateCpuUsPerEvent is { } gen ? $"; of which generating the events {gen:0.##} µs per event (measured apart)" : "") +
                        (c.AlertsPerEvent is { } alerts ? $"; {alerts:0.##} alerts per event" : ""));
            if (c.Boards is { } boards)
            {
                w.WriteLine($"  {"",-17} boards: {boards}; {c.BoardRowsRead:N0} rows read");
            }

            w.WriteLine($"  {"",-17} warm-up {c.Warmup.Seconds:0.#} s, JIT {(c.Warmup.JitSettled switch { true => "settled", false => "still compiling at the bound", null => "not readable" })}" +
                        (c.Warmup.JitMethods is { } m ? $" ({m:N0} methods, {c.Warmup.JitMethodsDuringWarmup:N0} during the warm-up)" : ""));
        }

        foreach (var r in Ratios)
        {
            w.WriteLine($"  engine = {RunPlot.Figure(r.EventsPerSecondRatio)} × {r.Ceiling} ceiling in events/s ({r.EngineEventsPerSecond:N0} vs {r.CeilingEventsPerSecond:N0})" +
                        (r.CpuPerEventRatio is { } cpu ? $"; engine = {RunPlot.Figure(cpu)} × {r.Ceiling} ceiling in CPU per event ({r.EngineCpuUsPerEvent:0.#} vs {RunPlot.Figure(r.CeilingCpuUsPerEvent)} µs)" : ""));
        }

        return w.ToString();
    }
}

/// <summary>
/// The engine over a ceiling: <see cref="EventsPerSecondRatio"/> = engine events/s ÷ ceiling events/s ("engine = 0.23 ×
/// domain ceiling"); <see cref="CpuPerEventRatio"/> = engine server CPU per event ÷ the ceiling's.
/// </summary>
public sealed record CeilingRatio(string Ceiling, double EngineEventsPerSecond, double CeilingEventsPerSecond, double EventsPerSecondRatio,
    double? EngineCpuUsPerEvent, double CeilingCpuUsPerEvent, double? CpuPerEventRatio)
{
    public static IReadOnlyList<CeilingRatio> Of(CeilingsReport ceilings, double engineEventsPerSecond, double? engineCpuUsPerEvent) =>
        ceilings.All.Where(c => c.EventsPerSecond > 0).Select(c => new CeilingRatio(
            c.Name, engineEventsPerSecond, c.EventsPerSecond, Math.Round(engineEventsPerSecond / c.EventsPerSecond, 6),
            engineCpuUsPerEvent, c.CpuUsPerEvent, engineCpuUsPerEvent is { } e && c.CpuUsPerEvent > 0 ? Math.Round(e / c.CpuUsPerEvent, 2) : null)).ToList();
}

/// <summary>
/// The ceilings: the domain alone (<see cref="InMemorySalesEngine"/> on one thread) and the transport alone (a null
/// Ingest server in this process on loopback), both fed the load test's own event mix from <see cref="StreamWorkload"/>.
/// </summary>
public static class Ceilings
{
    /// <summary>Events generated and mapped ahead of each timed stretch of the domain ceiling.</summary>
    private const int DomainChunkBatches = 20;

    /// <summary>Rows of a board read at a tick (<c>--domain-reads ticks</c>), as an office screen's push reads them.</summary>
    public const int BoardReadRows = 100;

    public static async Task<CeilingsReport> RunAsync(Options o, bool domain, bool transport, bool orleansHop, CancellationToken ct)
    {
        var settings = o.Workload("ceil", o.Reps, o.OpenPerRep);
        var d = domain ? RunDomain(o, ct) : null;
        var t = transport ? await RunTransportAsync(o, ct) : null;
        var h = orleansHop ? await LoadTests.OrleansHop.RunAsync(o, ct) : null;
        return new CeilingsReport(DateTime.UtcNow, $"{settings.Reps:N0} reps, {settings.Customers:N0} customers, {settings.Streams} streams × {settings.BatchSize}-event batches, " +
            $"{o.InFlight} in flight, {o.Watchers} watched boards; mix: {settings.Mix}",
            System.Runtime.GCSettings.IsServerGC ? "server" : "workstation" + (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "" : ", concurrent"), d, t)
        {
            OrleansHop = h,
        };
    }

    /// <summary>
    /// The domain ceiling: the company's structure and setup applied untimed, then the measured mix stream after stream,
    /// on one thread. Generation and mapping happen between the timed stretches; the engine's alerts are dropped between
    /// them (what the server hands to the alert screens). The run's boards (the ones its screens watch) are watched by
    /// the engine (<see cref="Options.DomainWatch"/>) and read every <see cref="Options.DomainReadEvery"/> events
    /// (<see cref="Options.DomainTickReads"/>) as asked, the reads inside the timed stretches.
    /// </summary>
    public static CeilingReport RunDomain(Options o, CancellationToken ct)
    {
        var run = new RunEvents(new Company(o.Workload("ceil", o.Reps, o.OpenPerRep)), EventClock.BaseFor(DateTime.UtcNow));
        var company = run.Company;
        var settings = new SalesOps.Grains.EngineOptions().ToSettings(); // the server's defaults
        var engine = new InMemorySalesEngine(settings);
        var errors = new List<string>();
        var errorCount = 0L;
        var currency = settings.CurrencyCode;

        SalesEvent[] Map(V1.Event[] events)
        {
            var mapped = new SalesEvent[events.Length];
            for (var i = 0; i < events.Length; i++)
            {
                mapped[i] = ProtoMapper.ToDomain(events[i], currency, out var error) ?? throw new InvalidOperationException($"{events[i].EventId} does not map: {error}");
            }

            return mapped;
        }

        (string Region, BoardKey Key)[] boards = [];
        long applied = 0, rowsRead = 0;
        void Apply(SalesEvent[] events, bool tickReads)
        {
            foreach (var e in events)
            {
                var outcome = engine.Apply(e);
                if (!outcome.IsAccepted)
                {
                    errorCount++;
                    if (errors.Count < 5)
                    {
                        errors.Add($"{e.EventId}: {outcome}");
                    }
                }

                if (tickReads && ++applied % o.DomainReadEvery == 0)
                {
                    foreach (var (region, key) in boards)
                    {
                        rowsRead += engine.Regions.GetValueOrDefault(region)?.Board(key)?.Top(BoardReadRows).Count ?? 0;
                    }
                }
            }
        }

        foreach (var batch in run.Structure())
        {
            Apply(Map(batch), tickReads: false);
        }

        var streams = Enumerable.Range(0, company.Settings.Streams).Select(run.Stream).ToArray();
        foreach (var stream in streams)
        {
            foreach (var (setup, _) in stream.SetupBatches())
            {
                Apply(Map(setup), tickReads: false);
            }
        }

        // The boards the load run's screens watch: watched, overtakes on them raise alerts, as on the server.
        if (!Period.TryParse(run.Period, out var period))
        {
            throw new InvalidOperationException($"the run's period '{run.Period}' does not parse");
        }

        boards = company.ScreenBoards(o.Watchers)
            .Select(b => (b.Region, new BoardKey(period, b.Bookings ? LeaderboardMetric.Bookings : LeaderboardMetric.Activities)))
            .Distinct().ToArray();
        if (o.DomainWatch)
        {
            foreach (var (region, key) in boards)
            {
                engine.Watch(region, key);
            }
        }

        engine.Alerts.Clear();
        var next = 0;
        var cpu = Process.GetCurrentProcess();
        long events = 0, alerts = 0, allocated = 0, wallTicks = 0, measuredRows = 0;
        double cpuSeconds = 0, mapCpuSeconds = 0;
        var measuring = false;

        void Chunk()
        {
            var chunk = new SalesEvent[DomainChunkBatches][];
            var m0 = CpuSeconds(cpu);
            for (var b = 0; b < chunk.Length; b++)
            {
                chunk[b] = Map(streams[next].NextBatch(company.Settings.BatchSize).Events);
                next = (next + 1) % streams.Length;
            }

            var r0 = rowsRead;
            var c0 = CpuSeconds(cpu);
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            var t0 = Stopwatch.GetTimestamp();
            foreach (var batch in chunk)
            {
                Apply(batch, o.DomainTickReads);
            }

            var t1 = Stopwatch.GetTimestamp();
            var a1 = GC.GetAllocatedBytesForCurrentThread();
            var c1 = CpuSeconds(cpu);
            if (measuring)
            {
                events += chunk.Sum(b => b.Length);
                alerts += engine.Alerts.Count;
                allocated += a1 - a0;
                wallTicks += t1 - t0;
                cpuSeconds += c1 - c0;
                mapCpuSeconds += c0 - m0;
                measuredRows += rowsRead - r0;
            }

            engine.Alerts.Clear();
        }

        // Warm-up on this thread; the JIT count is read once a second beside it.
        var settled = false;
        var warmup = Task.Run(async () =>
        {
            try
            {
                return await JitWarmup.UntilSettledAsync(JitWarmup.InProcess, "this process (System.Runtime.JitInfo)", TimeSpan.FromSeconds(Math.Min(2, o.CeilingWarmupMax)), TimeSpan.FromSeconds(o.CeilingWarmupMax), ct);
            }
            finally
            {
                Volatile.Write(ref settled, true);
            }
        }, ct);
        while (!Volatile.Read(ref settled))
        {
            Chunk();
        }

        var warm = warmup.GetAwaiter().GetResult();
        measuring = true;
        var end = Stopwatch.GetTimestamp() + (long)(o.CeilingDuration * Stopwatch.Frequency);
        do
        {
            ct.ThrowIfCancellationRequested();
            Chunk();
        }
        while (Stopwatch.GetTimestamp() < end);

        var seconds = (double)wallTicks / Stopwatch.Frequency;
        var boardsRead = o.DomainTickReads ? $"read every {o.DomainReadEvery:N0} events (top {BoardReadRows} rows)" : "never read";
        return new CeilingReport(
            "domain", "InMemorySalesEngine.Apply of the load test's event mix (already mapped), the run's boards " +
            (o.DomainWatch ? "watched by the engine" : "not watched") + $" and {boardsRead}", "one thread", warm,
            Math.Round(seconds, 2), events, Math.Round(events / seconds), Math.Round(cpuSeconds / events * 1e6, 2), Math.Round(cpuSeconds / seconds, 2),
            Math.Round((double)allocated / events), errorCount, errors)
        {
            MapCpuUsPerEvent = Math.Round(mapCpuSeconds / events * 1e6, 2),
            AlertsPerEvent = Math.Round((double)alerts / events, 3),
            Boards = $"the {o.Watchers} the run's screens watch ({boards.Length} distinct), " +
                     (o.DomainWatch ? "watched by the engine (overtakes ranked per update)" : "not watched") + $", {boardsRead}",
            BoardRowsRead = measuredRows,
        };
    }

    /// <summary>
    /// The transport ceiling: a null Ingest server (the same protos; every event answered ACCEPTED, nothing done) in this
    /// process on loopback, driven by the load test's <see cref="IngestDriver"/> with the standard run's streams, batches
    /// and batches in flight. Client and server share the process, so its CPU is both.
    /// </summary>
    public static async Task<CeilingReport> RunTransportAsync(Options o, CancellationToken ct)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddRouting();
        builder.Services.AddGrpc(g => g.MaxReceiveMessageSize = 64 * 1024 * 1024);
        await using var app = builder.Build();
        app.UseRouting();
        app.MapGrpcService<NullIngestService>();
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        var run = new RunEvents(new Company(o.Workload("ceil", o.Reps, o.OpenPerRep)), EventClock.BaseFor(DateTime.UtcNow));
        var driver = new IngestDriver(new V1.IngestService.IngestServiceClient(channel), run, new Expected(run.Company.RepIds.Length, run.Company.CustomerIds.Length),
            new ActivityClock(run.Company.RepIds.Length), new ConcurrentDictionary<string, long>(StringComparer.Ordinal), o.BigDeal);

        var settled = 0;
        var warmStats = new PhaseStats("transport-warm-up");
        var warmLoad = driver.ClosedLoopAsync(warmStats, () => Volatile.Read(ref settled) != 0, o.InFlight, long.MaxValue, ct);
        var warm = await JitWarmup.UntilSettledAsync(JitWarmup.InProcess, "this process (System.Runtime.JitInfo)", TimeSpan.FromSeconds(Math.Min(2, o.CeilingWarmupMax)), TimeSpan.FromSeconds(o.CeilingWarmupMax), ct);
        Volatile.Write(ref settled, 1);
        await warmLoad;

        var stats = new PhaseStats("transport");
        var cpu = Process.GetCurrentProcess();
        var c0 = CpuSeconds(cpu);
        var a0 = GC.GetTotalAllocatedBytes(precise: true);
        await driver.ClosedLoopAsync(stats, TimeSpan.FromSeconds(o.CeilingDuration), o.InFlight, long.MaxValue, ct);
        var cpuSeconds = CpuSeconds(cpu) - c0;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - a0;
        await app.StopAsync(ct);

        // The driver's own cost of making the events, for a reader who wants the transport without the generator.
        var workload = new RunEvents(new Company(o.Workload("ceilg", o.Reps, o.OpenPerRep)), EventClock.BaseFor(DateTime.UtcNow)).Stream(0);
        var g0 = CpuSeconds(cpu);
        var generated = 0L;
        var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        while (Stopwatch.GetTimestamp() < until)
        {
            generated += workload.NextBatch(run.Company.Settings.BatchSize).Events.Length;
        }

        var generateUs = (CpuSeconds(cpu) - g0) / generated * 1e6;
        return new CeilingReport(
            "transport", "a null IngestService (same protos, every event ACCEPTED, nothing done) in this process on loopback (h2c), driven by the load test's IngestDriver",
            $"{run.Company.Settings.Streams} streams × {o.InFlight} batches in flight; CPU and allocations are client and server together (one process)", warm,
            Math.Round(stats.Seconds, 2), stats.Events, Math.Round(stats.EventsPerSecond), Math.Round(cpuSeconds / Math.Max(1, stats.Events) * 1e6, 2),
            Math.Round(cpuSeconds / stats.Seconds, 2), Math.Round((double)allocated / Math.Max(1, stats.Events)), stats.Errors, stats.ErrorSamples.Take(5).ToList())
        {
            GenerateCpuUsPerEvent = Math.Round(generateUs, 2),
        };
    }

    private static double CpuSeconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }
}

/// <summary>An Ingest server that does nothing: every event of every batch answered ACCEPTED (what the transport alone costs).</summary>
public sealed class NullIngestService : V1.IngestService.IngestServiceBase
{
    public override async Task Ingest(IAsyncStreamReader<V1.IngestRequest> requestStream, IServerStreamWriter<V1.IngestResponse> responseStream, ServerCallContext context)
    {
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var ack = new V1.IngestResponse { BatchId = batch.BatchId, Accepted = batch.Events.Count };
            foreach (var e in batch.Events)
            {
                ack.Results.Add(new V1.EventResult { EventId = e.EventId, Status = V1.EventStatus.Accepted });
            }

            await responseStream.WriteAsync(ack, context.CancellationToken);
        }
    }
}
