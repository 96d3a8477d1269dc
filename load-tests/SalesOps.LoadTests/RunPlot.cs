using System.Globalization;
using System.Security;
using System.Text;
using SalesOps.LoadTests.Baselines;

namespace SalesOps.LoadTests;

/// <summary>
/// The plot of a run, a self-contained SVG written beside its JSON report: throughput and latency over time (a sample a
/// second, phases shaded), and the closed-loop figures against the peers (SQL, Redis) and the ceilings.
/// </summary>
public static class RunPlot
{
    private const int Width = 1200;
    private const int Left = 80;
    private const int Right = 1160;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly string[] PhaseFills = ["#f2f4f8", "#e6eaf2"];

    public static string Svg(Report report)
    {
        var svg = new StringBuilder();
        const int height = 970;
        svg.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        svg.Append(Inv, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        Text(svg, Left, 28, $"SalesOps load test {report.Tag}: {report.Storage} storage, {report.Reps:N0} reps, {report.Streams} streams × {report.BatchSize}-event batches, " +
            $"{report.Watchers} board + {report.AlertWatchers} alert watchers", 16, "bold");
        Text(svg, Left, 48, $"{report.StartedAt:yyyy-MM-dd HH:mm} UTC · closed loop {report.EventsPerSecond:N0} events/s at {Num(report.ServerCpuUsPerEvent, "0.#")} µs server CPU per event · " +
            $"verification {(report.Verification.Passed ? "passed" : "FAILED")}", 12, fill: "#444");

        var timeline = report.Timeline;
        var tMax = Math.Max(timeline.Count > 0 ? timeline.Max(s => s.T) : 1, report.Phases.Count > 0 ? report.Phases.Max(p => p.EndS) : 1);
        Throughput(svg, report, timeline, tMax, top: 80, bottom: 330);
        Latencies(svg, report, timeline, tMax, top: 380, bottom: 620);
        Bars(svg, "Closed-loop events/s against the peers and the ceilings (log scale)", Left, 680, 540, RateBars(report), log: true, unit: "events/s");
        Bars(svg, "CPU µs per event (lower is cheaper)", 660, 680, 500, CpuBars(report), log: false, unit: "µs");
        Notes(svg, report, 915);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private sealed record Bar(string Label, double Value, string Color, string Note = "");

    private static List<Bar> RateBars(Report r)
    {
        var bars = new List<Bar> { new("SalesOps (engine)", r.EventsPerSecond, "#1f77b4") };
        foreach (var b in new[] { r.Baselines.Sql, r.Baselines.Redis }.OfType<BaselineResult>().Where(b => b.Error is null))
        {
            bars.Add(new Bar(b.Name.StartsWith("PostgreSQL", StringComparison.Ordinal) ? "SQL (PostgreSQL)" : "Redis (one board)", b.EventsPerSecond, "#7f7f7f", Ratio(r.EventsPerSecond, b.EventsPerSecond)));
        }

        foreach (var c in Ceilings(r))
        {
            bars.Add(new Bar($"{c.Name} ceiling", c.EventsPerSecond, "#2ca02c", Ratio(r.EventsPerSecond, c.EventsPerSecond)));
        }

        return bars;
    }

    private static List<Bar> CpuBars(Report r)
    {
        var bars = new List<Bar>();
        if (r.ServerCpuUsPerEvent is { } engine)
        {
            bars.Add(new Bar("SalesOps server", engine, "#1f77b4"));
        }

        foreach (var c in Ceilings(r))
        {
            bars.Add(new Bar(c.Name == "transport" ? "transport (client+server)" : $"{c.Name} ceiling", c.CpuUsPerEvent, "#2ca02c",
                r.ServerCpuUsPerEvent is { } e && c.CpuUsPerEvent > 0 ? $"engine = {Figure(e / c.CpuUsPerEvent)}×" : ""));
        }

        return bars;
    }

    private static IEnumerable<CeilingReport> Ceilings(Report r) => r.Ceilings?.All ?? [];

    private static string Ratio(double engine, double other) => other > 0 ? $"engine = {Figure(engine / other)}×" : "";

    /// <summary>A figure with the digits that matter: 6,114 · 71.9 · 3.3 · 0.54 · 0.0002.</summary>
    public static string Figure(double v) => Math.Abs(v) switch
    {
        >= 100 => v.ToString("N0", Inv),
        >= 10 => v.ToString("0.#", Inv),
        >= 0.1 => v.ToString("0.##", Inv),
        0 => "0",
        _ => v.ToString("G2", Inv),
    };

    private static void Throughput(StringBuilder svg, Report report, IReadOnlyList<TimelineSample> timeline, double tMax, int top, int bottom)
    {
        Text(svg, Left, top - 10, "Events acknowledged per second (a sample a second; phases shaded)", 13, "bold");
        var yMax = NiceMax(timeline.Count > 0 ? timeline.Max(s => s.EventsPerSecond) : 1);
        PhaseBands(svg, report, tMax, top, bottom);
        LinearAxis(svg, top, bottom, yMax, v => v >= 1000 ? string.Create(Inv, $"{v / 1000:0.#}k") : string.Create(Inv, $"{v:0}"));
        TimeAxis(svg, tMax, bottom);
        Polyline(svg, timeline, s => s.EventsPerSecond, tMax, v => Y(v, 0, yMax, top, bottom), "#1f77b4", 2);
        if (report.EventsPerSecond > 0 && report.EventsPerSecond <= yMax)
        {
            var y = Y(report.EventsPerSecond, 0, yMax, top, bottom);
            svg.Append(Inv, $"<line x1=\"{Left}\" x2=\"{Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#1f77b4\" stroke-dasharray=\"4 4\" stroke-width=\"1\"/>\n");
            Text(svg, Right - 4, y - 4, $"closed loop {report.EventsPerSecond:N0}/s", 11, anchor: "end", fill: "#1f77b4");
        }
    }

    private static void Latencies(StringBuilder svg, Report report, IReadOnlyList<TimelineSample> timeline, double tMax, int top, int bottom)
    {
        Text(svg, Left, top - 10, "Latency per second, ms (log scale): ack p50, ack p99, event→push p99", 13, "bold");
        var values = timeline.SelectMany(s => new[] { s.AckP50Ms, s.AckP99Ms, s.PushP99Ms }).OfType<double>().Where(v => v > 0).ToList();
        var lo = Math.Pow(10, Math.Floor(Math.Log10(values.Count > 0 ? Math.Max(0.01, values.Min()) : 0.1)));
        var hi = Math.Pow(10, Math.Ceiling(Math.Log10(values.Count > 0 ? values.Max() : 10)));
        if (hi <= lo)
        {
            hi = lo * 10;
        }

        PhaseBands(svg, report, tMax, top, bottom, labels: false);
        for (var v = lo; v <= hi * 1.001; v *= 10)
        {
            var y = LogY(v, lo, hi, top, bottom);
            svg.Append(Inv, $"<line x1=\"{Left}\" x2=\"{Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n");
            Text(svg, Left - 6, y + 4, v >= 1 ? string.Create(Inv, $"{v:0}") : string.Create(Inv, $"{v:0.###}"), 11, anchor: "end");
        }

        TimeAxis(svg, tMax, bottom);
        Polyline(svg, timeline, s => s.AckP50Ms, tMax, v => LogY(v, lo, hi, top, bottom), "#9ecae1", 1.5);
        Polyline(svg, timeline, s => s.AckP99Ms, tMax, v => LogY(v, lo, hi, top, bottom), "#1f77b4", 2);
        Polyline(svg, timeline, s => s.PushP99Ms, tMax, v => LogY(v, lo, hi, top, bottom), "#d62728", 2);
        var lx = Right - 400;
        foreach (var (label, color) in new[] { ("ack p50", "#9ecae1"), ("ack p99", "#1f77b4"), ("push p99 (watched phases)", "#d62728") })
        {
            svg.Append(Inv, $"<line x1=\"{lx}\" x2=\"{lx + 18}\" y1=\"{top + 12}\" y2=\"{top + 12}\" stroke=\"{color}\" stroke-width=\"3\"/>\n");
            Text(svg, lx + 22, top + 16, label, 11);
            lx += (label.Length * 7) + 34;
        }
    }

    private static void Bars(StringBuilder svg, string title, int x, int top, int width, List<Bar> bars, bool log, string unit)
    {
        Text(svg, x, top - 10, title, 13, "bold");
        if (bars.Count == 0)
        {
            Text(svg, x, top + 20, "no figures", 12, fill: "#888");
            return;
        }

        const int labelWidth = 170;
        const int barHeight = 22;
        const int gap = 10;
        var plotLeft = x + labelWidth;
        var plotWidth = width - labelWidth - 150;
        var max = bars.Max(b => b.Value);
        double lo = 1, hi = 1;
        if (log)
        {
            lo = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(1, bars.Where(b => b.Value > 0).Select(b => b.Value).DefaultIfEmpty(1).Min()))));
            hi = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(lo * 10, max))));
        }
        else
        {
            hi = NiceMax(max);
        }

        double X(double v) => log
            ? plotLeft + (plotWidth * (Math.Log10(Math.Max(v, lo)) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)))
            : plotLeft + (plotWidth * v / hi);

        var bottom = top + (bars.Count * (barHeight + gap));
        var ticks = log ? LogTicks(lo, hi) : Enumerable.Range(0, 5).Select(i => hi * i / 4).ToList();
        foreach (var t in ticks)
        {
            var tx = X(t);
            svg.Append(Inv, $"<line x1=\"{tx:0.#}\" x2=\"{tx:0.#}\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"#ddd\" stroke-width=\"0.5\"/>\n");
            Text(svg, tx, bottom + 14, Short(t), 10, anchor: "middle", fill: "#555");
        }

        for (var i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            var y = top + (i * (barHeight + gap));
            Text(svg, plotLeft - 8, y + 15, b.Label, 12, anchor: "end");
            var w = Math.Max(1, X(b.Value) - plotLeft);
            svg.Append(Inv, $"<rect x=\"{plotLeft}\" y=\"{y}\" width=\"{w:0.#}\" height=\"{barHeight}\" fill=\"{b.Color}\"/>\n");
            var value = unit == "µs" ? $"{Figure(b.Value)} µs" : string.Create(Inv, $"{b.Value:N0}/s");
            Text(svg, plotLeft + w + 6, y + 10, value, 11, "bold");
            if (b.Note.Length > 0)
            {
                Text(svg, plotLeft + w + 6, y + 21, b.Note, 10, fill: "#555");
            }
        }
    }

    private static void Notes(StringBuilder svg, Report r, int top)
    {
        var lines = new List<string>();
        if (r.Ceilings is { } c)
        {
            lines.Add("Ceilings, measured before the run on the same event mix: domain = InMemorySalesEngine alone on one thread; transport = a null Ingest server");
            lines.Add($"with the load test's driver in one process (its CPU is client and server). {c.Workload.Split(';')[0]}.");
        }
        else
        {
            lines.Add("No ceilings in this run (bench.sh measures them first; by hand: the ceilings subcommand, then --ceilings PATH).");
        }

        var warm = r.Warmup is { } w
            ? $"Warm-up {w.Seconds:0.#} s, server JIT {(w.JitSettled switch { true => "settled", false => "still compiling at the bound", null => "not readable" })}. "
            : "";
        lines.Add(warm + "Server CPU per event: everything the server did in the closed-loop phase; the load generator shares the machine's cores.");
        for (var i = 0; i < lines.Count; i++)
        {
            Text(svg, Left, top + (i * 16), lines[i], 11, fill: "#444");
        }
    }

    private static void PhaseBands(StringBuilder svg, Report report, double tMax, int top, int bottom, bool labels = true)
    {
        var phases = report.Phases.Where(p => p.EndS > p.StartS).ToList();
        for (var i = 0; i < phases.Count; i++)
        {
            var p = phases[i];
            var x0 = TX(p.StartS, tMax);
            var x1 = TX(p.EndS, tMax);
            var fill = p.Name == "warm-up" ? "#fdf3e1" : p.Model == "setup" ? "#f4f4f4" : PhaseFills[i % 2];
            svg.Append(Inv, $"<rect x=\"{x0:0.#}\" y=\"{top}\" width=\"{Math.Max(1, x1 - x0):0.#}\" height=\"{bottom - top}\" fill=\"{fill}\"/>\n");
            if (labels && x1 - x0 > p.Name.Length * 6.5)
            {
                Text(svg, (x0 + x1) / 2, top + 14, p.Name, 11, anchor: "middle", fill: "#555");
            }
            else if (labels && x1 - x0 >= 8)
            {
                svg.Append(Inv, $"<text x=\"{(x0 + x1) / 2 - 3:0.#}\" y=\"{top + 6}\" font-size=\"10\" fill=\"#555\" transform=\"rotate(90 {(x0 + x1) / 2 - 3:0.#} {top + 6})\">{Escape(p.Name)}</text>\n");
            }
        }

        svg.Append(Inv, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{Right - Left}\" height=\"{bottom - top}\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.8\"/>\n");
    }

    private static void LinearAxis(StringBuilder svg, int top, int bottom, double max, Func<double, string> label)
    {
        for (var i = 0; i <= 4; i++)
        {
            var v = max * i / 4;
            var y = Y(v, 0, max, top, bottom);
            svg.Append(Inv, $"<line x1=\"{Left}\" x2=\"{Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n");
            Text(svg, Left - 6, y + 4, label(v), 11, anchor: "end");
        }
    }

    private static void TimeAxis(StringBuilder svg, double tMax, int bottom)
    {
        var step = NiceMax(tMax / 8);
        for (var t = 0.0; t <= tMax; t += step)
        {
            Text(svg, TX(t, tMax), bottom + 15, string.Create(Inv, $"{t:0}s"), 10, anchor: "middle", fill: "#555");
        }
    }

    private static void Polyline(StringBuilder svg, IReadOnlyList<TimelineSample> timeline, Func<TimelineSample, double?> value, double tMax, Func<double, double> y, string color, double width)
    {
        // One polyline per run of samples with a value (and per phase): gaps stay gaps.
        var points = new List<string>();
        string? phase = null;
        void Flush()
        {
            if (points.Count == 1)
            {
                var p = points[0].Split(',');
                svg.Append(Inv, $"<circle cx=\"{p[0]}\" cy=\"{p[1]}\" r=\"{width}\" fill=\"{color}\"/>\n");
            }
            else if (points.Count > 1)
            {
                svg.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" stroke-linejoin=\"round\" points=\"{string.Join(' ', points)}\"/>\n");
            }

            points.Clear();
        }

        foreach (var s in timeline)
        {
            if (s.Phase != phase)
            {
                Flush();
                phase = s.Phase;
            }

            if (value(s) is { } v && v > 0)
            {
                points.Add(string.Create(Inv, $"{TX(s.T, tMax):0.#},{y(v):0.#}"));
            }
            else
            {
                Flush();
            }
        }

        Flush();
    }

    private static double TX(double t, double tMax) => Left + ((Right - Left) * t / Math.Max(1, tMax));

    private static double Y(double v, double lo, double hi, int top, int bottom) => bottom - ((bottom - top) * (v - lo) / (hi - lo));

    private static double LogY(double v, double lo, double hi, int top, int bottom) =>
        bottom - ((bottom - top) * (Math.Log10(Math.Clamp(v, lo, hi)) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)));

    private static List<double> LogTicks(double lo, double hi)
    {
        var ticks = new List<double>();
        for (var v = lo; v <= hi * 1.001; v *= 10)
        {
            ticks.Add(v);
        }

        return ticks;
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="v"/>.</summary>
    private static double NiceMax(double v)
    {
        if (v <= 0)
        {
            return 1;
        }

        var p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * p >= v)
            {
                return m * p;
            }
        }

        return 10 * p;
    }

    private static string Short(double v) => v switch
    {
        >= 1e6 => string.Create(Inv, $"{v / 1e6:0.#}M"),
        >= 1e3 => string.Create(Inv, $"{v / 1e3:0.#}k"),
        _ => string.Create(Inv, $"{v:0.##}"),
    };

    private static string Num(double? v, string format) => v is { } x ? x.ToString(format, Inv) : "n/a";

    private static void Text(StringBuilder svg, double x, double y, string text, int size, string weight = "normal", string anchor = "start", string fill = "#222") =>
        svg.Append(Inv, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" font-size=\"{size}\" font-weight=\"{weight}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{Escape(text)}</text>\n");

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
