using System.Diagnostics;
using System.Globalization;
using SalesOps.Domain;
using SalesOps.LoadTests;
using SalesOps.Server.Api;

// The domain alone under the load test's standard event mix (load-tests/SalesOps.LoadTests/Workload.cs): the same
// company (5,000 reps in territories of 50, 20,000 customers), its structure and setup, then mixed events from 8
// streams in batches of 500, mapped to domain events before anything is timed and applied by one thread to an
// InMemorySalesEngine. Reports process CPU time per measured event (the box is shared and wall clock swings).
//
//   dotnet run -c Release --project tests/SalesOps.DomainBench -- [--events 400000] [--warmup 200000] [--reads none|ticks|watch]
//
// --reads none:  nobody reads a board (the engine's unwatched boards).
// --reads ticks: the load test's 200 watched boards (3/4 activities, 1/4 bookings, over the run root, areas and
//                territories) read, top 100 rows, every --tick events (default 2,000: 20 ms at 100,000 events/s).
// --reads watch: the same 200 boards watched by the engine (overtakes ranked per update), and read as with ticks.
//
//   dotnet run -c Release --project tests/SalesOps.DomainBench -- --first-read [--rows 5000] [--boards 400]
//
// The first read of a cold board of --rows reps (activity-like scores: many ties), and the first read after it
// cooled with a tick's changes staged: µs per read (wall clock), the median of --boards boards.
if (args.Contains("--first-read"))
{
    FirstRead(Arg("--rows", 5_000), Arg("--boards", 400));
    return;
}

var events = Arg("--events", 400_000);
var warmup = Arg("--warmup", 200_000);
var tick = Arg("--tick", 2_000);
var reads = ArgText("--reads", "none");

var baseUtc = new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
var company = new Company(new WorkloadSettings { Tag = "b" });
var run = new RunEvents(company, baseUtc);
var setup = new List<SalesEvent>();
foreach (var batch in run.Structure())
{
    setup.AddRange(Map(batch));
}

var streams = Enumerable.Range(0, company.Settings.Streams).Select(run.Stream).ToArray();
foreach (var s in streams)
{
    foreach (var (batch, _) in s.SetupBatches())
    {
        setup.AddRange(Map(batch));
    }
}

var measured = new List<SalesEvent>(warmup + events);
for (var i = 0; measured.Count < warmup + events; i++)
{
    measured.AddRange(Map(streams[i % streams.Length].NextBatch(company.Settings.BatchSize).Events));
}

var engine = new InMemorySalesEngine(new EngineSettings { MaxFutureSkew = TimeSpan.FromDays(3650) });
var period = Period.TryParse($"{baseUtc:yyyy-MM}", out var p) ? p : throw new InvalidOperationException("period");
var scopes = new[] { company.RootRegion }.Concat(company.Areas).Concat(company.Leaves).ToArray();
var boards = Enumerable.Range(0, 200)
    .Select(i => (Region: scopes[i % scopes.Length], Key: new BoardKey(period, i % 4 == 3 ? LeaderboardMetric.Bookings : LeaderboardMetric.Activities)))
    .Distinct().ToArray();

var refused = 0;
foreach (var e in setup)
{
    refused += engine.Apply(e).IsAccepted ? 0 : 1;
}

if (reads == "watch")
{
    foreach (var (region, key) in boards)
    {
        engine.Watch(region, key);
    }
}

long rows = 0;
void ReadBoards()
{
    foreach (var (region, key) in boards)
    {
        rows += engine.Regions[region].Board(key)?.Top(100).Count ?? 0;
    }
}

void ApplyRange(int from, int to)
{
    for (var i = from; i < to; i++)
    {
        refused += engine.Apply(measured[i]).IsAccepted ? 0 : 1;
        if (reads != "none" && i % tick == tick - 1)
        {
            ReadBoards();
        }
    }
}

ApplyRange(0, warmup);
GC.Collect();
var process = Process.GetCurrentProcess();
process.Refresh();
var cpu0 = process.TotalProcessorTime;
var wall = Stopwatch.StartNew();
ApplyRange(warmup, warmup + events);
wall.Stop();
process.Refresh();
var cpu = process.TotalProcessorTime - cpu0;

var alerts = engine.Alerts.Count(a => a.Kind == AlertKind.Overtake);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"reads={reads} events={events} warmup={warmup} cpu_us_per_event={cpu.TotalMicroseconds / events:F2} wall_us_per_event={wall.Elapsed.TotalMicroseconds / events:F2} refused={refused} overtakes={alerts} rows_read={rows}"));

IEnumerable<SalesEvent> Map(IEnumerable<SalesOps.Contracts.V1.Event> batch)
{
    foreach (var e in batch)
    {
        yield return ProtoMapper.ToDomain(e, "USD", out var error) ?? throw new InvalidOperationException($"unmappable event {e.EventId}: {error}");
    }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

string ArgText(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static void FirstRead(int rows, int boards)
{
    var random = new Random(42);
    var ids = Enumerable.Range(0, rows).Select(i => $"br{i}").ToArray();
    var order = new RepOrder(ids);
    var first = new List<double>();
    var again = new List<double>();
    var merge = new List<double>();
    for (var b = 0; b < boards; b++)
    {
        var board = new Leaderboard(order);
        foreach (var id in ids)
        {
            board.Stage(id, random.Next(400));
        }

        first.Add(Timed(() => board.Top(100)));

        // A tick's changes on a hot board: about a third of the reps, merged.
        for (var i = 0; i < rows / 3; i++)
        {
            board.Stage(ids[random.Next(rows)], random.Next(400));
        }

        merge.Add(Timed(() => board.Top(100)));

        // Cooled (unread between two sweeps), changed, read again: the old ranking is sorted too, for movement.
        board.Cool();
        board.Cool();
        for (var i = 0; i < rows / 3; i++)
        {
            board.Stage(ids[random.Next(rows)], random.Next(400));
        }

        again.Add(Timed(() => board.Top(100)));
    }

    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"rows={rows} boards={boards} first_read_us={Median(first):F0} merge_third_us={Median(merge):F0} reread_after_cool_us={Median(again):F0}"));
}

static double Timed(Func<object> read)
{
    // Wall clock per read (process CPU time is too coarse for one read): the median over many boards drops the
    // reads another process interrupted.
    var start = Stopwatch.GetTimestamp();
    GC.KeepAlive(read());
    return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}
