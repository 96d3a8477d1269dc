using System.Globalization;

namespace SalesOps.LoadTests;

/// <summary>Command-line settings of a load run. <see cref="Usage"/> lists them.</summary>
public sealed record Options
{
    public string Server { get; init; } = "http://127.0.0.1:7070";
    public int? ServerPid { get; init; }
    public int? DatabasePid { get; init; }
    public string Storage { get; init; } = "memory";
    public int Reps { get; init; } = 5_000;
    public int RepsPerRegion { get; init; } = 50;
    public int Customers { get; init; } = 20_000;
    public int OpenPerRep { get; init; } = 4;
    public int Streams { get; init; } = 8;
    public int BatchSize { get; init; } = 500;
    public int InFlight { get; init; } = 2;
    public int Watchers { get; init; } = 200;
    public int AlertWatchers { get; init; } = 10;
    public int BrowserScreens { get; init; }
    public string? Web { get; init; }
    public int Top { get; init; } = 10;
    public double Warmup { get; init; } = 10;
    public double WarmupMax { get; init; } = 90;
    public string? Ceilings { get; init; }
    public double CeilingDuration { get; init; } = 10;
    public double CeilingWarmupMax { get; init; } = 30;
    public bool OrleansHop { get; init; }

    /// <summary>Domain ceiling: the engine watches the run's <see cref="Watchers"/> boards (overtakes ranked per update, raised as alerts).</summary>
    public bool DomainWatch { get; init; } = true;

    /// <summary>Domain ceiling: those boards are read (top <see cref="Ceilings.BoardReadRows"/> rows) every <see cref="DomainReadEvery"/> events.</summary>
    public bool DomainTickReads { get; init; }

    public int DomainReadEvery { get; init; } = 2_000;
    public int FirstReadRows { get; init; } = 5_000;
    public int FirstReadBoards { get; init; } = 400;
    public double Duration { get; init; } = 30;
    public IReadOnlyList<string> OpenRates { get; init; } = ["half", "50000"];
    public double OpenDuration { get; init; } = 20;
    public int CapacityReps { get; init; }
    public int CapacityOpportunities { get; init; } = 1_000_000;
    public int CapacityEvents { get; init; } = 100_000;
    public int ReadSamples { get; init; } = 2_000;
    public string? Sql { get; init; }
    public string? Redis { get; init; }
    public int SqlCheckpoints { get; init; } = 4;
    public string? Report { get; init; }
    public int Seed { get; init; } = 42;
    public string Tag { get; init; } = NewTag();
    public long BigDeal { get; init; } = 100_000;
    public double SettleTimeout { get; init; } = 120;
    public string? AdminKeyFile { get; init; }

    public const string Usage = """
        SalesOps load test: drives a running server over gRPC like CRM connectors and office screens do.

          --server URL              gRPC endpoint (http://127.0.0.1:7070)
          --server-pid PID          server process, for its CPU and memory figures (Linux /proc)
          --database-pid PID        the database's main process (PostgreSQL's postmaster), for the CPU it and its
                                    children use: in postgres mode the engine's cost per event is the two together
          --storage NAME            label for the report: memory | sqlite | postgres (memory)
          --reps N                  simulated reps (5000), --reps-per-region N (50), --customers N (20000)
          --open-per-rep N          deals each rep opens before the measured phase (4)
          --streams M               concurrent ingest streams, the CRM connectors (8)
          --batch N                 events per batch (500), --in-flight N batches per stream, closed loop (2)
          --watchers K              leaderboard watchers (200), --alert-watchers N (10), --top N rows (10)
          --browser-screens N       office screens shaped as browsers run them (0): each an HTTP/1.1 connection
                                    reading WatchScreen's JSON lines from the web port (--web URL, default the
                                    gRPC port + 10), on one channel per territory
          --warmup S                closed-loop warm-up before the measured phases (JIT, caches), seconds (10);
                                    it goes on until the server's JIT has settled (its Prometheus scrape on the web
                                    port shows no method compiled for a whole second), at most --warmup-max S (90)
          --ceilings PATH           a report of the ceilings subcommand: included in this run's report, and the
                                    engine's closed-loop figures given as a ratio of each ceiling
          --duration S              closed-loop (maximum throughput) phase, seconds (30; 0 skips it)
          --open-rates LIST         open-loop phases at these offered events/s; "half" = half the closed-loop rate
                                    ("half,50000"; "" skips them), --open-duration S each (20)
          --capacity-reps N         capacity phase: a second company of N reps (0 = skip)
          --capacity-opportunities N  open deals it holds (1000000), --capacity-events N mixed events after (100000)
          --read-samples N          leaderboard reads timed per measurement (2000)
          --sql CONNSTRING          run the query-time SQL baseline in this PostgreSQL database
          --redis HOST:PORT         run the Redis sorted-set baseline against this redis-server
          --sql-checkpoints N       SQL read measurements as the data grows (4)
          --report PATH             write the JSON report here
          --seed N, --tag TAG       workload seed (42) and id prefix (random), --big-deal AMOUNT (100000)
          --admin-key-file PATH     authenticate like real clients: with this admin key, create a connector key
                                    (ingest), a screen key (watchers) and a manager key (queries), and use them
                                    (without it, no credentials: the server's development identity)
          --settle-timeout S        how long figures and screens may take to converge after the load (120)

        Ceilings (before the engine phases, in a process of their own; the workload options above apply):
          SalesOps.LoadTests ceilings [options]            the domain and the transport ceilings
          SalesOps.LoadTests domain-ceiling [options]      InMemorySalesEngine alone, one thread, the same event mix
          SalesOps.LoadTests transport-ceiling [options]   a null Ingest server in this process, the same driver
          SalesOps.LoadTests orleans-hop-ceiling [options] a grain call carrying a batch to a grain doing nothing
          --orleans-hop true        the ceilings subcommand measures the Orleans hop too (false)
          --ceiling-duration S      measured seconds of each ceiling (10), after a warm-up that ends once this
                                    process's JIT has settled, at most --ceiling-warmup-max S (30)
          --domain-watch BOOL       the domain's engine watches the run's --watchers boards: overtakes on them
                                    ranked per update and raised as alerts, as on the server (true)
          --domain-reads MODE       none: nobody reads those boards (none); ticks: they are read, top 100 rows,
                                    every --domain-read-every N events (2000: a 20 ms tick at 100,000 events/s)
          --report PATH             write the ceilings' JSON report here

        A cold leaderboard's cost (docs/adr/0034, "Cold boards"), the domain alone, no workload:
          SalesOps.LoadTests first-read [options]          the first read of a cold board, a merge of a third of
                                    its reps into it ranked, and a read after it cooled with a third changed:
                                    median wall µs of --first-read-boards N boards (400) of --first-read-rows N
                                    reps (5000), scores drawn from --seed; --report PATH writes the JSON

        SalesOps.LoadTests plot REPORT.json [OUT.svg] draws a report's plot again (beside it by default).

        Exit code 0 when every acknowledged event shows in the server's figures and nothing failed, 1 otherwise,
        2 for bad arguments.
        """;

    private static string NewTag()
    {
        const string letters = "abcdefghijkmnpqrstuvwxyz";
        return "t" + new string(Enumerable.Range(0, 4).Select(_ => letters[Random.Shared.Next(letters.Length)]).ToArray());
    }

    /// <summary>Parses <c>--name value</c> pairs; throws <see cref="ArgumentException"/> naming a bad one.</summary>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"expected '--name value', got '{name}'");
            }

            var value = args[++i];
            o = name switch
            {
                "--server" => o with { Server = value },
                "--server-pid" => o with { ServerPid = Int(name, value, 1) },
                "--database-pid" => o with { DatabasePid = Int(name, value, 1) },
                "--admin-key-file" => o with { AdminKeyFile = value.Length == 0 ? null : value },
                "--storage" => o with { Storage = value is "memory" or "sqlite" or "postgres" ? value : throw new ArgumentException("--storage must be memory, sqlite or postgres") },
                "--reps" => o with { Reps = Int(name, value, 1) },
                "--reps-per-region" => o with { RepsPerRegion = Int(name, value, 1) },
                "--customers" => o with { Customers = Int(name, value, 1) },
                "--open-per-rep" => o with { OpenPerRep = Int(name, value, 0) },
                "--streams" => o with { Streams = Int(name, value, 1) },
                "--batch" => o with { BatchSize = Int(name, value, 1, Company.MaxBatch) },
                "--in-flight" => o with { InFlight = Int(name, value, 1) },
                "--watchers" => o with { Watchers = Int(name, value, 0) },
                "--alert-watchers" => o with { AlertWatchers = Int(name, value, 0) },
                "--browser-screens" => o with { BrowserScreens = Int(name, value, 0) },
                "--web" => o with { Web = value.Length == 0 ? null : value },
                "--top" => o with { Top = Int(name, value, 1, 100) },
                "--warmup" => o with { Warmup = Num(name, value) },
                "--warmup-max" => o with { WarmupMax = Num(name, value) },
                "--ceilings" => o with { Ceilings = value.Length == 0 ? null : value },
                "--ceiling-duration" => o with { CeilingDuration = Num(name, value) },
                "--ceiling-warmup-max" => o with { CeilingWarmupMax = Num(name, value) },
                "--orleans-hop" => o with { OrleansHop = Bool(name, value) },
                "--domain-watch" => o with { DomainWatch = Bool(name, value) },
                "--domain-reads" => o with { DomainTickReads = value switch { "none" => false, "ticks" => true, _ => throw new ArgumentException("--domain-reads takes none or ticks") } },
                "--domain-read-every" => o with { DomainReadEvery = Int(name, value, 1) },
                "--first-read-rows" => o with { FirstReadRows = Int(name, value, 1) },
                "--first-read-boards" => o with { FirstReadBoards = Int(name, value, 1) },
                "--duration" => o with { Duration = Num(name, value) },
                "--open-rates" => o with { OpenRates = Rates(value) },
                "--open-duration" => o with { OpenDuration = Num(name, value) },
                "--capacity-reps" => o with { CapacityReps = Int(name, value, 0) },
                "--capacity-opportunities" => o with { CapacityOpportunities = Int(name, value, 0) },
                "--capacity-events" => o with { CapacityEvents = Int(name, value, 0) },
                "--read-samples" => o with { ReadSamples = Int(name, value, 1) },
                "--sql" => o with { Sql = value.Length == 0 ? null : value },
                "--redis" => o with { Redis = value.Length == 0 ? null : value },
                "--sql-checkpoints" => o with { SqlCheckpoints = Int(name, value, 1) },
                "--report" => o with { Report = value },
                "--seed" => o with { Seed = Int(name, value, 0) },
                "--tag" => o with { Tag = value.Length is > 0 and <= 16 && value.All(char.IsAsciiLetterOrDigit) ? value : throw new ArgumentException("--tag takes 1-16 letters or digits") },
                "--big-deal" => o with { BigDeal = Int(name, value, 1) },
                "--settle-timeout" => o with { SettleTimeout = Num(name, value) },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }

        if (o.Streams > o.Reps)
        {
            throw new ArgumentException($"--streams ({o.Streams}) must not exceed --reps ({o.Reps}): every stream owns reps");
        }

        return o;
    }

    public WorkloadSettings Workload(string tag, int reps, int openPerRep) => new()
    {
        Tag = tag,
        Seed = Seed,
        Reps = reps,
        RepsPerRegion = RepsPerRegion,
        Customers = Customers,
        OpenPerRep = openPerRep,
        Streams = Math.Min(Streams, reps),
        BatchSize = BatchSize,
    };

    private static int Int(string name, string value, int min, int max = int.MaxValue) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} takes a whole number from {min} to {max}, got '{value}'");

    private static bool Bool(string name, string value) =>
        bool.TryParse(value, out var b) ? b : throw new ArgumentException($"{name} takes true or false, got '{value}'");

    private static double Num(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new ArgumentException($"{name} takes a number of seconds ≥ 0, got '{value}'");

    private static string[] Rates(string value)
    {
        var rates = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var r in rates)
        {
            if (r != "half" && !(int.TryParse(r, CultureInfo.InvariantCulture, out var n) && n > 0))
            {
                throw new ArgumentException($"--open-rates takes events/s or 'half', comma-separated; got '{r}'");
            }
        }

        return rates;
    }
}
