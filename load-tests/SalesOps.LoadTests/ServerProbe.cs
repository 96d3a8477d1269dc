using System.Diagnostics;
using System.Globalization;

namespace SalesOps.LoadTests;

/// <summary>
/// The server process's CPU time and memory, read from Linux <c>/proc</c> (the load generator runs on the same
/// machine), and the database's CPU time when its main process is given. Without a pid every figure of that process is null.
/// </summary>
public sealed class ServerProbe(int? pid, int? databasePid = null)
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    public bool Available => pid is { } p && File.Exists($"/proc/{p}/stat");

    /// <summary>Resident memory now and its peak (VmRSS, VmHWM), in MB.</summary>
    public (double Rss, double Peak)? Memory()
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            var lines = File.ReadAllLines($"/proc/{pid}/status");
            double Kb(string key) => double.Parse(lines.First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return (Math.Round(Kb("VmRSS:") / 1024, 1), Math.Round(Kb("VmHWM:") / 1024, 1));
        }
        catch (IOException)
        {
            return null; // the process ended
        }
    }

    /// <summary>A point to measure CPU from: server and generator CPU seconds, the machine's CPU ticks, wall clock.</summary>
    public CpuMark Mark() =>
        new(ServerCpuSeconds(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, MachineTicks(), Stopwatch.GetTimestamp())
        {
            DatabaseSeconds = DatabaseCpuSeconds(),
        };

    /// <summary>
    /// All CPU ticks of the machine, the stolen ones and the idle ones (the first line of <c>/proc/stat</c>): on a
    /// virtual machine the hypervisor gives the cores to other guests for a share of the time, which varies from minute
    /// to minute and moves every throughput figure with it; the idle ticks tell whether the machine's cores were all in
    /// use (the run is bound by CPU) or not (by something else). Null where <c>/proc/stat</c> cannot be read.
    /// </summary>
    private static MachineTicks? MachineTicks()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is null || fields.Length < 9 || fields[0] != "cpu")
            {
                return null;
            }

            // user nice system idle iowait irq softirq steal (guest time is already inside user)
            var total = 0L;
            for (var i = 1; i <= 8; i++)
            {
                total += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }

            return new MachineTicks(total, long.Parse(fields[8], CultureInfo.InvariantCulture),
                long.Parse(fields[4], CultureInfo.InvariantCulture) + long.Parse(fields[5], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private double? ServerCpuSeconds()
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            var fields = StatFields(pid!.Value);
            return (Field(fields, 11) + Field(fields, 12)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds of the database's main process and its children (PostgreSQL's backends and background workers): the
    /// live children's own time, and the main process's own time plus what it collected from children that have ended.
    /// </summary>
    private double? DatabaseCpuSeconds()
    {
        if (databasePid is not { } main || !File.Exists($"/proc/{main}/stat"))
        {
            return null;
        }

        try
        {
            // A backend that ends between this read and the scan below is missed for this mark (milliseconds' worth).
            var mainFields = StatFields(main);
            var ticks = Field(mainFields, 11) + Field(mainFields, 12) + Field(mainFields, 13) + Field(mainFields, 14);
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child) || child == main)
                {
                    continue;
                }

                try
                {
                    var fields = StatFields(child);
                    if (Field(fields, 1) == main)
                    {
                        ticks += Field(fields, 11) + Field(fields, 12);
                    }
                }
                catch (IOException)
                {
                    // the process ended meanwhile: its time is in the main process's collected children's time now
                }
            }

            return ticks / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The fields of <c>/proc/PID/stat</c> after the command name (which may contain spaces): state is [0], the parent
    /// [1], utime and stime [11] and [12], the ended children's utime and stime [13] and [14].
    /// </summary>
    private static string[] StatFields(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static long Field(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
}

/// <summary>The machine's CPU ticks since boot: all of them, the stolen ones, and the idle ones (idle and waiting for I/O).</summary>
public readonly record struct MachineTicks(long Total, long Steal, long Idle);

/// <summary>CPU counters at a moment; the difference of two gives the cores used and the share stolen in between.</summary>
public sealed record CpuMark(double? ServerSeconds, double GeneratorSeconds, MachineTicks? Machine, long Timestamp)
{
    /// <summary>The database's CPU seconds (<see cref="ServerProbe"/>), when its process is known.</summary>
    public double? DatabaseSeconds { get; init; }

    /// <summary>The database's cores used since <paramref name="start"/>; null without its process.</summary>
    public double? DatabaseCoresSince(CpuMark start)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        return wall > 0 && DatabaseSeconds is { } d && start.DatabaseSeconds is { } d0 ? Math.Round((d - d0) / wall, 2) : null;
    }

    /// <summary>
    /// The machine's cores busy since <paramref name="start"/> (neither idle nor stolen), of <see cref="Environment.ProcessorCount"/>:
    /// near all of them, the run was bound by CPU; well below, by latency or a serial step.
    /// </summary>
    public double? MachineBusyCoresSince(CpuMark start) =>
        Machine is { } m && start.Machine is { } m0 && m.Total > m0.Total
            ? Math.Round(Environment.ProcessorCount * (double)((m.Total - m0.Total) - (m.Idle - m0.Idle) - (m.Steal - m0.Steal)) / (m.Total - m0.Total), 2)
            : null;

    public (double? Server, double Generator) CoresSince(CpuMark start)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;
        if (wall <= 0)
        {
            return (null, 0);
        }

        double? server = ServerSeconds is { } s && start.ServerSeconds is { } s0 ? Math.Round((s - s0) / wall, 2) : null;
        return (server, Math.Round((GeneratorSeconds - start.GeneratorSeconds) / wall, 2));
    }

    /// <summary>Percent of the machine's CPU time the hypervisor gave to other guests since <paramref name="start"/>.</summary>
    public double? StealPercentSince(CpuMark start) =>
        Machine is { } m && start.Machine is { } m0 && m.Total > m0.Total
            ? Math.Round(100.0 * (m.Steal - m0.Steal) / (m.Total - m0.Total), 1)
            : null;
}
