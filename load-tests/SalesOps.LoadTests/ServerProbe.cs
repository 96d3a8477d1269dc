using System.Diagnostics;
using System.Globalization;

namespace SalesOps.LoadTests;

/// <summary>
/// The server process's CPU time and memory, read from Linux <c>/proc</c> (the load generator runs on the same
/// machine). Without a pid every figure is null.
/// </summary>
public sealed class ServerProbe(int? pid)
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
        new(ServerCpuSeconds(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, MachineTicks(), Stopwatch.GetTimestamp());

    /// <summary>
    /// All CPU ticks of the machine and the stolen ones (the first line of <c>/proc/stat</c>): on a virtual machine the
    /// hypervisor gives the cores to other guests for a share of the time, which varies from minute to minute and
    /// moves every throughput figure with it. Null where <c>/proc/stat</c> cannot be read.
    /// </summary>
    private static (long Total, long Steal)? MachineTicks()
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

            return (total, long.Parse(fields[8], CultureInfo.InvariantCulture));
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
            // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>CPU counters at a moment; the difference of two gives the cores used and the share stolen in between.</summary>
public sealed record CpuMark(double? ServerSeconds, double GeneratorSeconds, (long Total, long Steal)? Machine, long Timestamp)
{
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
