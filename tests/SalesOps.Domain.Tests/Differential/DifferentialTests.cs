using System.Diagnostics;
using System.Globalization;
using System.Text;
using SalesOps.Domain.Tests.Differential;
using Xunit.Abstractions;

namespace SalesOps.Domain.Tests;

/// <summary>
/// The incremental engine (<see cref="InMemorySalesEngine"/>) against a naive from-scratch reference
/// (<see cref="ReferenceModel"/>) over thousands of seeded random histories delivered out of order, with duplicates,
/// re-sends and invalid events. Every outcome, every rep's and region's counters, every leaderboard, every customer
/// and derived report figures must agree.
/// Reproduce one seed: <c>SALESOPS_DIFF_SEED=123 dotnet test tests/SalesOps.Domain.Tests --filter DifferentialTests</c>;
/// run more: <c>SALESOPS_DIFF_COUNT=20000</c>.
/// </summary>
public sealed class DifferentialTests
{
    private const int DefaultSequences = 2_000;
    private const int MaxResendRounds = 8;

    private readonly ITestOutputHelper _output;

    public DifferentialTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomOutOfOrderDeliveries_MatchFromScratchReference()
    {
        var seeds = Seeds();
        var results = new SeedResult[seeds.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results[i] = Run(seeds[i]));
        clock.Stop();

        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in results)
        {
            foreach (var (k, v) in r.Stats)
            {
                totals[k] = totals.GetValueOrDefault(k) + v;
            }
        }

        _output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{seeds.Count} sequences in {clock.Elapsed.TotalSeconds:F1} s; {string.Join(", ", totals.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))}"));

        var failures = results.Where(r => r.Failure is not null).OrderBy(r => r.Seed).ToList();
        Assert.True(
            failures.Count == 0,
            failures.Count == 0 ? "" : $"{failures.Count} of {seeds.Count} seeds disagree (seeds {string.Join(", ", failures.Take(20).Select(f => f.Seed))}).\n{failures[0].Failure}");

        if (seeds.Count >= 1_000)
        {
            // The generator must actually exercise every path, or agreement proves little.
            foreach (var path in new[]
            {
                "Accepted", "Duplicate", "InvalidArgument", "NotFound", "FailedPrecondition", "move accepted", "move rejected back-dated",
                "reopened after win", "reassigned after win", "history before move", "lww stale stage", "events", "resent",
            })
            {
                Assert.True(totals.GetValueOrDefault(path) > 0, $"the generator never produced '{path}'");
            }

            Assert.True(totals["events"] / seeds.Count >= 60, "sequences should average at least 60 events");
        }
    }

    private static List<int> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_DIFF_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var only))
        {
            return [only];
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_DIFF_COUNT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : DefaultSequences;
        return Enumerable.Range(1, count).ToList();
    }

    private sealed record SeedResult(int Seed, string? Failure, Dictionary<string, long> Stats);

    private static SeedResult Run(int seed)
    {
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            return new SeedResult(seed, RunChecked(seed, stats), stats);
        }
        catch (Exception ex)
        {
            return new SeedResult(seed, $"seed {seed}: exception {ex}", stats);
        }
    }

    private static string? RunChecked(int seed, Dictionary<string, long> stats)
    {
        var sc = ScenarioGenerator.Create(seed);
        var header = $"seed {seed} (calendar {sc.CalendarName}, {sc.Stages.OpenCount} open stages; reproduce with SALESOPS_DIFF_SEED={seed})";
        var engine = new InMemorySalesEngine(new EngineSettings { Stages = sc.Stages, Calendar = sc.Calendar });
        var reference = new ReferenceModel(sc.Stages, sc.Calendar);
        var log = new List<string>();
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        stats["sequences"] = 1;
        stats["events"] = sc.HistoryCount;

        // Deliver; whatever is NotFound the CRM re-sends at the end, round after round.
        var queue = sc.Delivery;
        for (var round = 0; round < MaxResendRounds && queue.Count > 0; round++)
        {
            var resend = new List<SalesEvent>();
            foreach (var e in queue)
            {
                var regionBefore = e is RepMoved m0 && engine.Reps.TryGetValue(m0.RepId, out var r0) ? r0.RegionId : null;
                var got = engine.Apply(e);
                var (code, field) = reference.Decide(e);
                log.Add($"#{log.Count} {Describe(e)} -> engine {got.Code} {got.Field} | reference {code} {field}");
                Count(got.Code.ToString());
                if (round > 0)
                {
                    Count("resent");
                }

                var fieldChecked = code is OutcomeCode.NotFound or OutcomeCode.InvalidArgument
                    || (code == OutcomeCode.FailedPrecondition && field == "occurred_at");
                if (got.Code != code || (fieldChecked && got.Field != field))
                {
                    return $"{header}\nOutcome differs at delivery #{log.Count - 1}: engine {got.Code} '{got.Field}' ({got.Message}), reference {code} '{field}'\n"
                        + $"event: {e}\nlast deliveries:\n{string.Join('\n', log.TakeLast(25))}";
                }

                if (sc.InvalidFields.TryGetValue(e, out var badField) && (got.Code != OutcomeCode.InvalidArgument || got.Field != badField))
                {
                    return $"{header}\nInvalid event gave {got.Code} '{got.Field}', expected InvalidArgument '{badField}': {e}";
                }

                if (got.Code == OutcomeCode.NotFound)
                {
                    Count($"NotFound in round {round}");
                    resend.Add(e);
                }

                if (e is RepMoved && got.Code == OutcomeCode.Accepted)
                {
                    Count("move accepted");
                }

                if (e is RepMoved && got.Code == OutcomeCode.FailedPrecondition && engine.Reps[((RepMoved)e).RepId].MaxCreditedAt >= e.OccurredAt)
                {
                    Count("move rejected back-dated");
                }

                if (got.IsAccepted && e is RepMoved moved && regionBefore != engine.Reps[moved.RepId].RegionId)
                {
                    Count("rep changed region");
                }
            }

            queue = resend;
        }

        CoverageStats(reference, stats);
        var problems = new List<string>();
        CompareState(sc, engine, reference, problems);
        return problems.Count == 0
            ? null
            : $"{header}\n{problems.Count} differences (engine vs reference):\n{string.Join('\n', problems.Take(40))}\n"
              + $"deliveries ({log.Count}):\n{string.Join('\n', log.Take(400))}";
    }

    private static void CompareState(Scenario sc, InMemorySalesEngine engine, ReferenceModel reference, List<string> problems)
    {
        var (repCounters, regionCounters) = reference.Counters();
        var deals = reference.ReplayDeals();
        var reps = reference.Reps();
        var parents = reference.RegionParents();

        // Opportunities (diagnostics first: a wrong deal explains wrong counters).
        var engineDeals = engine.Opportunities.Values.Where(o => o.IsOpened).ToDictionary(o => o.Id, StringComparer.Ordinal);
        SameKeys("opportunities", engineDeals.Keys, deals.Keys, problems);
        foreach (var d in deals.Values)
        {
            if (!engineDeals.TryGetValue(d.Id, out var o))
            {
                continue;
            }

            if (o.OwnerRepId != d.Owner || o.Amount != d.Amount || o.StageIndex != d.Stage || o.ExpectedClose != d.ExpectedClose
                || o.ReachedLevel != d.Level || (!reference.IsOpen(d.Stage) && o.StageAt != d.StageAt))
            {
                problems.Add($"opportunity {d.Id}: engine owner {o.OwnerRepId} amount {o.Amount} stage {o.StageIndex}@{o.StageAt:O} close {o.ExpectedClose} level {o.ReachedLevel}; "
                    + $"reference owner {d.Owner} amount {d.Amount} stage {d.Stage}@{d.StageAt:O} close {d.ExpectedClose} level {d.Level}");
            }
        }

        // Reps: membership and counters.
        var engineReps = engine.Reps.Values.Where(r => r.IsJoined).ToDictionary(r => r.Id, StringComparer.Ordinal);
        SameKeys("reps", engineReps.Keys, reps.Keys, problems);
        foreach (var r in engine.Reps.Values.Where(r => !r.IsJoined && r.Figures().Count > 0))
        {
            problems.Add($"rep {r.Id} never joined but has figures");
        }

        foreach (var (id, rep) in reps)
        {
            if (!engineReps.TryGetValue(id, out var er))
            {
                continue;
            }

            if (er.RegionId != rep.CurrentRegion)
            {
                problems.Add($"rep {id}: engine region {er.RegionId}, reference {rep.CurrentRegion}");
            }

            CompareFigures($"rep {id}", er.Figures(), repCounters[id], problems);
        }

        // Regions, including the company root.
        var engineRegions = engine.Regions.Values.Where(r => r.IsDefined).ToDictionary(r => r.Id, StringComparer.Ordinal);
        SameKeys("regions", engineRegions.Keys, parents.Keys, problems);
        foreach (var (id, parent) in parents)
        {
            if (!engineRegions.TryGetValue(id, out var region))
            {
                continue;
            }

            if (region.ParentId != parent)
            {
                problems.Add($"region {id}: engine parent '{region.ParentId}', reference '{parent}'");
            }

            CompareFigures($"region {id}", region.Figures, regionCounters[id], problems);
        }

        // Leaderboards: every region × every board present on either side.
        var boards = reference.Leaderboards(repCounters);
        foreach (var (regionId, expected) in boards)
        {
            if (!engineRegions.TryGetValue(regionId, out var region))
            {
                continue;
            }

            foreach (var key in expected.Keys.Union(region.Boards.Keys))
            {
                var want = expected.GetValueOrDefault(key) ?? [];
                var board = region.Board(key);
                var got = board is null ? [] : board.Top(board.Count).Select(e => (e.Rank, e.RepId, e.Score)).ToList();
                if (!got.SequenceEqual(want))
                {
                    problems.Add($"board {regionId} {key.Period} {key.Metric}: engine [{Rows(got)}], reference [{Rows(want)}]");
                }
            }
        }

        // Customers.
        var customers = reference.Customers();
        var engineCustomers = engine.Customers.Values.Where(c => c.IsRegistered).ToDictionary(c => c.Id, StringComparer.Ordinal);
        SameKeys("customers", engineCustomers.Keys, customers.Keys, problems);
        foreach (var (id, want) in customers)
        {
            if (engineCustomers.TryGetValue(id, out var c))
            {
                var got = new RefCustomer(c.OrderCount, c.LifetimeValue, c.LastOrder, c.Collections, c.LastContact);
                if (got != want)
                {
                    problems.Add($"customer {id}: engine {got}, reference {want}");
                }
            }
        }

        if (problems.Count > 0)
        {
            return;
        }

        // Derived figures: FigureReport over the engine's counters vs the reference's direct formulas.
        var targets = reference.Targets();
        var below = parents.Keys.ToDictionary(
            r => r,
            r => parents.Keys.Where(x => ReferenceModel.Chain(x, parents).Contains(r)).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
        var repFigures = engineReps.ToDictionary(kv => kv.Key, kv => kv.Value.Figures(), StringComparer.Ordinal);
        foreach (var period in sc.ReportPeriods)
        {
            foreach (var (id, region) in engineRegions)
            {
                var inside = below[id];
                var want = reference.Direct((_, regionId) => inside.Contains(regionId), TargetScope.Region, id, period, deals, reps, targets);
                var got = FigureReport.Build(region.Figures, region.Targets, sc.Stages, sc.Calendar, period, sc.Now);
                CompareReport($"region {id} {period}", got, want, sc, period, problems);
            }

            foreach (var (id, rep) in engineReps)
            {
                var want = reference.Direct((repId, _) => repId == id, TargetScope.Rep, id, period, deals, reps, targets);
                var got = FigureReport.Build(repFigures[id], rep.Targets, sc.Stages, sc.Calendar, period, sc.Now);
                CompareReport($"rep {id} {period}", got, want, sc, period, problems);
            }
        }
    }

    private static void CompareReport(string scope, FigureReport got, DirectReport want, Scenario sc, Period period, List<string> problems)
    {
        var diffs = new List<string>();
        void Check<T>(string name, T engine, T reference)
        {
            if (!EqualityComparer<T>.Default.Equals(engine, reference))
            {
                diffs.Add($"{name}: {engine} vs {reference}");
            }
        }

        void Near(string name, double engine, double reference)
        {
            if (Math.Abs(engine - reference) > 1e-9 * Math.Max(1, Math.Abs(reference)))
            {
                diffs.Add($"{name}: {engine} vs {reference}");
            }
        }

        static double Ratio(double a, double b) => b == 0 ? 0 : a / b;

        Check("open count", got.OpenCount, want.OpenCount);
        Check("open amount", got.OpenAmount, want.OpenAmount);
        Check("weighted pipeline", got.WeightedPipeline, want.Weighted);
        Check("bookings", got.Bookings, want.Bookings);
        Check("won", got.WonCount, want.Won);
        Check("lost", got.LostCount, want.Lost);
        Check("lost amount", got.LostAmount, want.LostAmount);
        Check("collections", got.Collections, want.Collections);
        Check("forecast", got.Forecast, want.Forecast);
        Check("commit", got.CommitForecast, want.Commit);
        Check("best case", got.BestCaseForecast, want.BestCase);
        Check("pipeline forecast", got.PipelineForecast, want.Pipeline);
        Check("activity total", got.ActivityTotal, want.ActivityTotal);
        if (!got.MinutesByTimeCategory.SequenceEqual(want.Minutes))
        {
            diffs.Add($"minutes: {string.Join(',', got.MinutesByTimeCategory)} vs {string.Join(',', want.Minutes)}");
        }

        Near("win rate", got.WinRate, Ratio(want.Won, want.Won + want.Lost));
        Near("average deal", got.AverageDealSize, Ratio(want.Bookings, want.Won));
        Near("average cycle days", got.AverageCycleDays, Ratio(want.CycleSeconds / 86_400.0, want.Won));
        for (var i = 0; i < sc.Stages.OpenCount; i++)
        {
            var s = got.Stages[i];
            Check($"stage {i} count", s.Count, want.StageCount[i]);
            Check($"stage {i} amount", s.Amount, want.StageAmount[i]);
            Check($"stage {i} reached", s.Reached, want.Reached[i]);
            Near($"stage {i} conversion", s.ConversionToNext, Ratio(want.Reached[i + 1], want.Reached[i]));
        }

        if (!got.Targets.Select(t => (t.Metric, t.Actual, t.MustAchieve, t.Stretch)).SequenceEqual(want.Targets))
        {
            diffs.Add($"targets: {string.Join(';', got.Targets.Select(t => $"{t.Metric}:{t.Actual}/{t.MustAchieve}/{t.Stretch}"))} vs "
                + string.Join(';', want.Targets.Select(t => $"{t.Metric}:{t.Actual}/{t.Must}/{t.Stretch}")));
        }

        var elapsed = sc.Calendar.ElapsedShare(period, sc.Now);
        foreach (var (t, w) in got.Targets.Zip(want.Targets))
        {
            Near($"{t.Metric} must attainment", t.MustAttainment, (double)w.Actual / w.Must);
            Near($"{t.Metric} stretch attainment", t.StretchAttainment, (double)w.Actual / w.Stretch);
            var expected = w.Must * elapsed;
            Near($"{t.Metric} pace", t.Pace, expected <= 0 ? 0 : w.Actual / expected);
            Check($"{t.Metric} behind", t.BehindPace, elapsed > 0 && elapsed < 1 && w.Actual < Math.Floor(expected));
        }

        if (diffs.Count > 0)
        {
            problems.Add($"report {scope}: {string.Join("; ", diffs)}");
        }
    }

    private static void CompareFigures(string scope, FigureSet engine, Dictionary<FigureKey, long> reference, List<string> problems)
    {
        var expected = new FigureSet();
        expected.AddAll(reference);
        if (!engine.ContentEquals(expected))
        {
            problems.AddRange(engine.Differences(expected).OrderBy(d => d, StringComparer.Ordinal).Select(d => $"{scope} figures {d}"));
        }
    }

    private static void SameKeys(string what, IEnumerable<string> engine, IEnumerable<string> reference, List<string> problems)
    {
        var e = engine.ToHashSet(StringComparer.Ordinal);
        var r = reference.ToHashSet(StringComparer.Ordinal);
        if (!e.SetEquals(r))
        {
            problems.Add($"{what}: engine only [{string.Join(", ", e.Except(r))}], reference only [{string.Join(", ", r.Except(e))}]");
        }
    }

    private static string Rows(IEnumerable<(int Rank, string RepId, double Score)> rows) =>
        string.Join(", ", rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Rank}:{r.RepId}={r.Score}")));

    /// <summary>Counts the interesting situations the accepted history contains, so the run can prove it covered them.</summary>
    private static void CoverageStats(ReferenceModel reference, Dictionary<string, long> stats)
    {
        void Add(string key, long n) => stats[key] = stats.GetValueOrDefault(key) + n;
        var accepted = reference.Accepted;
        var byDeal = accepted.Where(e => e is OpportunityWon or OpportunityStageChanged or OpportunityReassigned).ToList();
        foreach (var won in accepted.OfType<OpportunityWon>())
        {
            if (byDeal.Any(e => e is OpportunityStageChanged s && s.OpportunityId == won.OpportunityId && s.OccurredAt > won.OccurredAt))
            {
                Add("reopened after win", 1);
            }

            if (byDeal.Any(e => e is OpportunityReassigned r && r.OpportunityId == won.OpportunityId && r.OccurredAt > won.OccurredAt))
            {
                Add("reassigned after win", 1);
            }
        }

        var stageEvents = accepted.Where(e => e is OpportunityStageChanged or OpportunityWon or OpportunityLost).ToList();
        for (var i = 1; i < stageEvents.Count; i++)
        {
            var e = stageEvents[i];
            var id = e switch
            {
                OpportunityStageChanged s => s.OpportunityId,
                OpportunityWon w => w.OpportunityId,
                _ => ((OpportunityLost)e).OpportunityId,
            };
            if (stageEvents.Take(i).Any(p => p.OccurredAt > e.OccurredAt && p switch
            {
                OpportunityStageChanged s => s.OpportunityId == id,
                OpportunityWon w => w.OpportunityId == id,
                OpportunityLost l => l.OpportunityId == id,
                _ => false,
            }))
            {
                Add("lww stale stage", 1);
            }
        }

        foreach (var rep in reference.Reps().Values.Where(r => r.Memberships.Count > 1))
        {
            var firstMove = rep.Memberships[1].At;
            if (accepted.Any(e => e is ActivityLogged a && a.RepId == rep.Id && a.OccurredAt < firstMove && a.OccurredAt >= rep.Memberships[0].At))
            {
                Add("history before move", 1);
            }
        }
    }

    private static string Describe(SalesEvent e)
    {
        var sb = new StringBuilder();
        sb.Append(e.GetType().Name).Append(' ').Append(e.EventId.Length > 20 ? e.EventId[..20] + "…" : e.EventId).Append(' ')
            .Append(e.OccurredAt.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)).Append(' ');
        sb.Append(e switch
        {
            RegionDefined r => $"{r.RegionId} parent='{r.ParentRegionId}' name='{r.Name}'",
            RepJoined j => $"{j.RepId} in {j.RegionId}",
            RepMoved m => $"{m.RepId} -> {m.RegionId}",
            CustomerRegistered c => c.CustomerId,
            OpportunityOpened o => $"{o.OpportunityId} owner={o.OwnerRepId} cust={o.CustomerId} amount={o.Amount} stage={o.StageId} close={o.ExpectedClose}",
            OpportunityStageChanged s => $"{s.OpportunityId} stage={s.StageId} close={s.ExpectedClose}",
            OpportunityAmountChanged a => $"{a.OpportunityId} amount={a.Amount}",
            OpportunityReassigned r => $"{r.OpportunityId} -> {r.NewOwnerRepId}",
            OpportunityWon w => $"{w.OpportunityId} amount={w.Amount}",
            OpportunityLost l => l.OpportunityId,
            ActivityLogged a => $"{a.RepId} cust='{a.CustomerId}' {a.Type} {a.DurationMinutes}min {a.TimeCategory}",
            PaymentReceived p => $"{p.RepId} cust={p.CustomerId} amount={p.Amount}",
            TargetSet t => $"{t.Scope} {t.ScopeId} {t.Period} {t.Metric} {t.MustAchieve}/{t.Stretch}",
            _ => "",
        });
        return sb.ToString();
    }
}
