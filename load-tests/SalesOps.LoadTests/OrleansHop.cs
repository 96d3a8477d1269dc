using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Server.Api;

namespace SalesOps.LoadTests;

/// <summary>A grain that does nothing with a batch: what one Orleans hop carrying it costs.</summary>
public interface INullBatchGrain : IGrainWithIntegerKey
{
    /// <summary>The engine's own shape of a batch hop (<c>IRepBookGrain.ApplyAsync</c>): events in, one outcome per event out.</summary>
    Task<EventOutcome[]> ApplyAsync(SalesEvent[] events);
}

public sealed class NullBatchGrain : Grain, INullBatchGrain
{
    private EventOutcome[] _accepted = [];

    public Task<EventOutcome[]> ApplyAsync(SalesEvent[] events)
    {
        if (_accepted.Length != events.Length)
        {
            _accepted = Enumerable.Repeat(EventOutcome.Accepted, events.Length).ToArray();
        }

        return Task.FromResult(_accepted);
    }
}

/// <summary>
/// The Orleans-hop ceiling: a silo in this process (localhost clustering, free ports), the load test's batches mapped
/// to domain events once, then as many callers as the standard run has batches in flight (streams × in-flight) each
/// calling its own <see cref="INullBatchGrain"/> with a batch in a loop. Per event: the hop divided by the batch size.
/// </summary>
public static class OrleansHop
{
    public static async Task<CeilingReport> RunAsync(Options o, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: "ceiling", clusterId: "ceiling"));
        using var host = builder.Build();
        await host.StartAsync(ct);
        var grains = host.Services.GetRequiredService<IGrainFactory>();

        // The same events as the other ceilings, mapped once: the hop, not generation or mapping, is measured.
        var run = new RunEvents(new Company(o.Workload("ceilo", o.Reps, o.OpenPerRep)), EventClock.BaseFor(DateTime.UtcNow));
        var callers = run.Company.Settings.Streams * o.InFlight;
        var batches = Enumerable.Range(0, callers).Select(i => run.Stream(i % run.Company.Settings.Streams).NextBatch(run.Company.Settings.BatchSize).Events
            .Select(e => ProtoMapper.ToDomain(e, "USD", out _) ?? throw new InvalidOperationException($"{e.EventId} does not map")).ToArray()).ToArray();

        var stop = 0;
        long events = 0;
        var loops = Enumerable.Range(0, callers).Select(i => Task.Run(async () =>
        {
            var grain = grains.GetGrain<INullBatchGrain>(i);
            while (Volatile.Read(ref stop) == 0)
            {
                var outcomes = await grain.ApplyAsync(batches[i]);
                Interlocked.Add(ref events, outcomes.Length);
            }
        }, ct)).ToList();

        var warm = await JitWarmup.UntilSettledAsync(JitWarmup.InProcess, "this process (System.Runtime.JitInfo)",
            TimeSpan.FromSeconds(Math.Min(2, o.CeilingWarmupMax)), TimeSpan.FromSeconds(o.CeilingWarmupMax), ct);
        // Timed on a thread of its own: the callers keep the thread pool busy, and a timer there fires late.
        var (seconds, measured, cpuSeconds, allocated) = await Task.Factory.StartNew(() =>
        {
            var cpu = Process.GetCurrentProcess();
            var c0 = cpu.TotalProcessorTime.TotalSeconds;
            var a0 = GC.GetTotalAllocatedBytes(precise: true);
            var e0 = Interlocked.Read(ref events);
            var t0 = Stopwatch.GetTimestamp();
            Thread.Sleep(TimeSpan.FromSeconds(o.CeilingDuration));
            var result = (Stopwatch.GetElapsedTime(t0).TotalSeconds, Interlocked.Read(ref events) - e0, 0.0, GC.GetTotalAllocatedBytes(precise: true) - a0);
            cpu.Refresh();
            result.Item3 = cpu.TotalProcessorTime.TotalSeconds - c0;
            Volatile.Write(ref stop, 1);
            return result;
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll(loops);
        await host.StopAsync(ct);

        return new CeilingReport(
            "orleans-hop", $"a grain call carrying a {run.Company.Settings.BatchSize}-event batch (SalesEvent[] in, EventOutcome[] out, the engine's ApplyAsync shape) " +
            "to a grain that does nothing, in a silo in this process (local calls: arguments deep-copied, not serialised)",
            $"{callers} callers (streams × in flight), one grain each", warm, Math.Round(seconds, 2), measured, Math.Round(measured / seconds),
            Math.Round(cpuSeconds / Math.Max(1, measured) * 1e6, 3), Math.Round(cpuSeconds / seconds, 2), Math.Round((double)allocated / Math.Max(1, measured)), 0, []);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
