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

    /// <summary>A point to measure CPU from: (server CPU seconds, this process's CPU seconds, wall clock).</summary>
    public CpuMark Mark() => new(ServerCpuSeconds(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, Stopwatch.GetTimestamp());

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

/// <summary>CPU seconds at a moment; the difference of two gives the cores used in between.</summary>
public sealed record CpuMark(double? ServerSeconds, double GeneratorSeconds, long Timestamp)
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
}
