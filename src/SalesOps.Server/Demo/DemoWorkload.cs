using System.Globalization;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Api;

namespace SalesOps.Server.Demo;

public sealed class DemoOptions
{
    public const string Section = "Demo";

    public bool Enabled { get; set; }
    public int Reps { get; set; } = 300;
    public int EventsPerSecond { get; set; } = 200;
    public int Seed { get; set; } = 7;
}

/// <summary>
/// <c>--demo</c>: loads a realistic company (12 regions, a few hundred reps, customers, opportunities and targets)
/// through the same ingestor the gRPC API uses, then keeps events flowing and logs the company leaderboard every
/// few seconds so a newcomer sees it move.
/// </summary>
public sealed partial class DemoWorkload(
    IOptions<DemoOptions> options,
    EventIngestor ingestor,
    IGrainFactory grains,
    EngineSettings settings,
    EngineClock clock,
    RepDirectory reps,
    ILogger<DemoWorkload> logger) : BackgroundService
{
    private static readonly (string Id, string Name, string Parent)[] Regions =
    [
        ("east", "East China", ""), ("north", "North China", ""), ("south", "South China", ""), ("west", "West China", ""),
        ("shanghai", "Shanghai", "east"), ("hangzhou", "Hangzhou", "east"), ("nanjing", "Nanjing", "east"),
        ("beijing", "Beijing", "north"), ("tianjin", "Tianjin", "north"),
        ("guangzhou", "Guangzhou", "south"), ("shenzhen", "Shenzhen", "south"),
        ("chengdu", "Chengdu", "west"),
    ];

    private static readonly string[] Products = ["platform", "analytics", "services", "hardware"];
    private static readonly string[] Channels = ["direct", "partner", "online"];

    private readonly List<(string Id, string Owner, int Stage)> _open = new();
    /// <summary>Events that follow one already sent (a newcomer's join and deal handovers after a rep leaves).</summary>
    private readonly Queue<SalesEvent> _follow = new();
    private int _hires;
    private long _nextId;
    private int _nextOpportunity;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        var random = new Random(o.Seed);
        var reps = Enumerable.Range(1, Math.Max(1, o.Reps)).Select(i => $"rep-{i:D4}").ToArray();
        var customers = Enumerable.Range(1, reps.Length * 2).Select(i => $"cust-{i:D5}").ToArray();
        try
        {
            await LoadCompanyAsync(random, reps, customers, stoppingToken);
            await RunAsync(random, reps, customers, Math.Max(1, o.EventsPerSecond), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task LoadCompanyAsync(Random random, string[] reps, string[] customers, CancellationToken ct)
    {
        var now = clock.Now;
        var (month, quarter, year) = settings.Calendar.PeriodsOf(now);
        var batch = new List<SalesEvent>();
        foreach (var (id, name, parent) in Regions)
        {
            batch.Add(new RegionDefined(NextId(), now, id, name, parent));
        }

        var leaves = Regions.Where(r => r.Parent.Length > 0).Select(r => r.Id).ToArray();
        for (var i = 0; i < reps.Length; i++)
        {
            batch.Add(new RepJoined(NextId(), now, reps[i], PersonName(i), leaves[i % leaves.Length], (RepRole)(i % 7 == 0 ? 1 : 0), (RepStyle)(i % 3 == 0 ? 1 : 0)));
        }

        // Every fifth customer a key account, so GetActivityReport shows both account groups (docs/semantics.md,
        // "Activity direction and quality"); one of them is later downgraded, moving its activities to the other accounts.
        for (var i = 0; i < customers.Length; i++)
        {
            batch.Add(new CustomerRegistered(NextId(), now, customers[i], $"Customer {customers[i][5..]}", KeyAccount: i % 5 == 0));
        }

        foreach (var rep in reps)
        {
            var monthly = random.Next(20, 60) * 10_000L;
            batch.Add(new TargetSet(NextId(), now, TargetScope.Rep, rep, month, TargetMetric.Bookings, monthly, monthly * 13 / 10));
            batch.Add(new TargetSet(NextId(), now, TargetScope.Rep, rep, quarter, TargetMetric.Bookings, monthly * 3, monthly * 39 / 10));
            batch.Add(new TargetSet(NextId(), now, TargetScope.Rep, rep, year, TargetMetric.Bookings, monthly * 12, monthly * 156 / 10));

            // The rep's forecast call for the month, somewhere between 60% and 110% of the target.
            var commit = monthly * random.Next(60, 111) / 100;
            batch.Add(new ForecastSubmitted(NextId(), now, TargetScope.Rep, rep, month, commit, commit * 13 / 10, rep, ""));
        }

        batch.Add(new TargetSet(NextId(), now, TargetScope.Region, RegionState.CompanyId, month, TargetMetric.Bookings, reps.Length * 400_000L, reps.Length * 520_000L));

        // Every region's month target in step with its reps, so team slides can rank regions by their share of it.
        foreach (var (id, _, _) in Regions)
        {
            var members = Enumerable.Range(0, reps.Length).Count(i => leaves[i % leaves.Length] == id || Regions.Any(r => r.Id == leaves[i % leaves.Length] && r.Parent == id));
            if (members > 0)
            {
                batch.Add(new TargetSet(NextId(), now, TargetScope.Region, id, month, TargetMetric.Bookings, members * 400_000L, members * 520_000L));
            }
        }

        // Next year's reference variables for the company: last year's actual left to the engine, 6% industry growth,
        // the long-term plan's figure and a new product line's expected bookings.
        batch.Add(new PlanningInputsRecorded(
            NextId(), now, TargetScope.Region, RegionState.CompanyId, Period.OfYear(year.Year + 1), TargetMetric.Bookings, null, reps.Length * 5_000_000L, 600, reps.Length * 300_000L));
        for (var i = 0; i < reps.Length * 4; i++)
        {
            batch.Add(OpenOpportunity(random, reps, customers, now));
        }

        for (var i = 0; i < batch.Count; i += 1_000)
        {
            ct.ThrowIfCancellationRequested();
            await ingestor.IngestBatchAsync(batch.Skip(i).Take(1_000).ToList());
        }

        LogLoaded(logger, Regions.Length, reps.Length, customers.Length, _open.Count);
    }

    private async Task RunAsync(Random random, string[] reps, string[] customers, int eventsPerSecond, CancellationToken ct)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var perTick = Math.Max(1, eventsPerSecond / 10);
        var ticks = 0L;
        var sent = 0L;
        while (await tick.WaitForNextTickAsync(ct))
        {
            var now = clock.Now;
            var batch = new List<SalesEvent>(perTick);
            for (var i = 0; i < perTick; i++)
            {
                batch.Add(NextEvent(random, reps, customers, now));
            }

            try
            {
                await ingestor.IngestBatchAsync(batch);
                sent += batch.Count;
                if (++ticks % 50 == 0)
                {
                    await LogLeaderboardAsync(sent, now);
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // The demo must not take the server down with it; it tries again on the next tick.
                LogTickFailed(logger, ex);
            }
        }
    }

    private SalesEvent NextEvent(Random random, string[] reps, string[] customers, DateTimeOffset now)
    {
        if (_follow.TryDequeue(out var next))
        {
            return next;
        }

        var roll = random.Next(100);
        if (roll == 0 && random.Next(20) == 0)
        {
            return Turnover(random, reps, now);
        }

        if (roll == 1 && random.Next(50) == 0)
        {
            // A customer promoted to key account, or one no longer treated as one (ADR 0022).
            var i = random.Next(customers.Length);
            return new CustomerKeyAccountChanged(NextId(), now, customers[i], KeyAccount: i % 5 != 0);
        }

        if (roll < 60 || _open.Count == 0)
        {
            var customer = random.Next(3) == 0 ? "" : customers[random.Next(customers.Length)];
            var activity = new ActivityLogged(NextId(), now, reps[random.Next(reps.Length)], customer, (ActivityType)random.Next(5), random.Next(5, 90), (TimeCategory)random.Next(4));

            // One in three for an open deal: by product line and in the deal's activity load (ADR 0023).
            return _open.Count > 0 && random.Next(3) == 0 ? activity with { OpportunityId = _open[random.Next(_open.Count)].Id } : activity;
        }

        if (roll < 72)
        {
            return OpenOpportunity(random, reps, customers, now);
        }

        var index = random.Next(_open.Count);
        var (id, owner, stage) = _open[index];
        if (roll >= 97)
        {
            return new PaymentReceived(NextId(), now, owner, customers[random.Next(customers.Length)], random.Next(1, 50) * 1_000L);
        }

        if (roll < 88 && stage + 1 < settings.Stages.OpenCount)
        {
            _open[index] = (id, owner, stage + 1);
            return new OpportunityStageChanged(NextId(), now, id, settings.Stages.Stages[stage + 1].Id, null);
        }

        _open.RemoveAt(index);
        return roll < 95 ? new OpportunityWon(NextId(), now, id, 0) : new OpportunityLost(NextId(), now, id, "competitor");
    }

    /// <summary>
    /// Staff turnover, about every 2,000 events: a rep leaves (docs/semantics.md, "A rep leaves"), a newcomer joins
    /// the same region under a new id, and the leaver's open deals are handed over to them; the rep drops off the
    /// current boards, and their deals are orphaned until the handovers go through.
    /// </summary>
    private RepLeft Turnover(Random random, string[] reps, DateTimeOffset now)
    {
        var i = random.Next(reps.Length);
        var leaver = reps[i];
        var newcomer = $"rep-{i + 1:D4}-{++_hires}";
        reps[i] = newcomer;
        var leaves = Regions.Where(r => r.Parent.Length > 0).Select(r => r.Id).ToArray();
        _follow.Enqueue(new RepJoined(NextId(), now, newcomer, PersonName(reps.Length + _hires), leaves[i % leaves.Length], RepRole.Direct, RepStyle.Hunter));
        for (var d = 0; d < _open.Count; d++)
        {
            if (_open[d].Owner == leaver)
            {
                _open[d] = _open[d] with { Owner = newcomer };
                _follow.Enqueue(new OpportunityReassigned(NextId(), now, _open[d].Id, newcomer));
            }
        }

        return new RepLeft(NextId(), now, leaver, "resigned");
    }

    /// <summary>The demo's big-deal threshold unless one is configured: exactly its big deals (<see cref="BigDealOdds"/>) are celebrated.</summary>
    public const long BigDealThreshold = 500_000;

    /// <summary>One opened deal in this many is big (5,000–25,000 in the currency); the others are 100–1,950.</summary>
    private const int BigDealOdds = 400;

    private OpportunityOpened OpenOpportunity(Random random, string[] reps, string[] customers, DateTimeOffset now)
    {
        var id = $"opp-{++_nextOpportunity:D6}";
        var owner = reps[random.Next(reps.Length)];
        var stage = random.Next(3);
        _open.Add((id, owner, stage));
        var close = settings.Calendar.LocalDate(now).AddDays(random.Next(5, 80));
        return new OpportunityOpened(
            NextId(), now, id, owner, customers[random.Next(customers.Length)],
            random.Next(BigDealOdds) == 0 ? random.Next(5, 26) * 100_000L : random.Next(2, 40) * 5_000L,
            Products[random.Next(Products.Length)], Channels[random.Next(Channels.Length)], close, settings.Stages.Stages[stage].Id);
    }

    private async Task LogLeaderboardAsync(long sent, DateTimeOffset now)
    {
        var month = settings.Calendar.PeriodsOf(now).Month;
        var board = await grains.GetGrain<IRegionGrain>(RegionState.CompanyId).GetLeaderboardAsync(month.Code, (byte)LeaderboardMetric.Bookings, 5, "", 0);
        var profiles = await reps.ProfilesAsync(board.Top.Select(r => r.RepId).ToList());
        var top = string.Join(
            "  ",
            board.Top.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"#{r.Rank} {profiles[i].Name} {AlertText.Money((long)r.Score, settings.CurrencyCode)}")));
        LogBoard(logger, sent, month, top);
    }

    /// <summary>
    /// A made-up display name, every other one Chinese (the playbook's source documents are Chinese, and screens must
    /// render such names); distinct for every rep (a number follows the name from the 801st rep on).
    /// </summary>
    private static string PersonName(int i)
    {
        string[] family = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
        string[] given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英"];
        string[] first = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hugo", "Isla", "Jonas", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"];
        string[] last = ["Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka", "Weber"];
        var j = i / 2;
        var (a, b) = (j % 20, j / 20 % 20);
        var name = i % 2 == 0 ? family[a] + given[b] : $"{first[a]} {last[b]}";
        return i < 800 ? name : $"{name} {i / 800 + 1}";
    }

    private string NextId() => $"demo-{Interlocked.Increment(ref _nextId):D12}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo company loaded: {Regions} regions, {Reps} reps, {Customers} customers, {Opportunities} open opportunities")]
    private static partial void LogLoaded(ILogger logger, int regions, int reps, int customers, int opportunities);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo tick failed; continuing")]
    private static partial void LogTickFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo: {Sent} live events sent. Company bookings {Period}: {Top}")]
    private static partial void LogBoard(ILogger logger, long sent, Period period, string top);
}
