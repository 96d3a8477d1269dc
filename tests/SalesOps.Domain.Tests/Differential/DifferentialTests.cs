using System.Diagnostics;
using System.Globalization;
using SalesOps.Domain.Tests.Differential;
using SalesOps.Reference;
using Xunit.Abstractions;

namespace SalesOps.Domain.Tests;

/// <summary>
/// The incremental engine (<see cref="InMemorySalesEngine"/>) against a naive from-scratch reference
/// (<see cref="ReferenceModel"/>, which shares no code with the engine) over thousands of seeded random histories delivered out of order, with duplicates,
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
                "rep left", "refused after a leave", "late item of a departed rep accepted", "orphaned deals at the end", "reassigned after a leave",
                "small de-dup window", "beyond de-dup window", "re-send beyond de-dup window", "duplicate after ids were forgotten",
                "first order taken by an earlier win", "first order no longer won",
                "forecast submitted", "forecast for a region", "forecast after the cut-off", "forecast counted", "forecast out of order",
                "forecast after its period ended", "deal event after its month ended", "forecast accuracy on a board",
                "at risk: stalled", "at risk: overdue", "at risk: slipping", "at risk: only slipping", "at risk: open deal not at risk",
                "push dated before an earlier setting",
                "last year's figure shown", "last year to date pro rata", "behind last year",
                "plan", "plan with a buying platform", "plan with an own ratio", "plan with an own average order", "plan behind", "plan overloaded",
                "target by product line or channel with an actual", "target by customer with an actual", "collections target by customer with an actual",
                "activity target by type with an actual", "week target with an actual", "gross margin target with an actual", "negative gross margin",
            }.Concat(ReferenceModel.Moves.Select(m => $"pipeline {m}")))
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
        var engine = new InMemorySalesEngine(EngineObservation.Settings(sc));
        var reference = new ReferenceModel(sc.Stages, sc.Calendar, sc.Dedup, forecastCutoffDays: sc.ForecastCutoffDays, planMinHistory: sc.PlanMinHistory);

        // The engine's clock for forecasts walks along the history as it is delivered, up to the scenario's "now", so
        // periods end while submissions and late events for them still arrive (docs/semantics.md, "Forecast submissions").
        var clock = DateTimeOffset.MinValue;
        var log = new List<string>();
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        stats["sequences"] = 1;
        stats["events"] = sc.HistoryCount;
        if (sc.Dedup != RefDedup.Documented)
        {
            stats["small de-dup window"] = 1;
        }

        // Each customer's first order as the accepted events stand, to count how often another deal takes its place.
        var firsts = new Dictionary<string, RefDeal>(StringComparer.Ordinal);

        // Deliver; whatever is NotFound the CRM re-sends at the end, round after round.
        var queue = sc.Delivery;
        for (var round = 0; round < MaxResendRounds && queue.Count > 0; round++)
        {
            var resend = new List<SalesEvent>();
            foreach (var e in queue)
            {
                var regionBefore = e is RepMoved m0 && engine.Reps.TryGetValue(m0.RepId, out var r0) ? r0.RegionId : null;
                var creditedBefore = e is RepMoved m1 ? reference.EverCredited(m1.RepId) : null;
                var lateForEnded = e is OpportunityWon or OpportunityReassigned or OpportunityStageChanged or ForecastSubmitted
                    && reference.Ended(RefCalendar.MonthCode(sc.Calendar.LocalDate(e.OccurredAt)), clock);
                var got = engine.Apply(e);
                if (e.OccurredAt > clock && e.OccurredAt <= sc.Now)
                {
                    clock = e.OccurredAt;
                }

                engine.CloseForecastPeriods(clock);
                var dedup = reference.DedupView(e);
                var verdict = reference.Decide(e);
                Count(got.Code.ToString());
                dedup.CountInto(stats);
                if (round > 0)
                {
                    Count("resent");
                }

                if (Comparison.Outcome(sc, e, verdict, dedup, got.Code.ToString(), got.Field, got.Message, log) is { } failure)
                {
                    return $"{header}\n{failure}";
                }

                if (got.IsAccepted && e is OpportunityWon or OpportunityStageChanged or OpportunityLost)
                {
                    var deals = reference.Deals();
                    var now = ReferenceModel.FirstOrders(deals);
                    foreach (var (customer, was) in firsts)
                    {
                        if (now.GetValueOrDefault(customer) is { } first && first.Id != was.Id && first.StageAt < was.StageAt)
                        {
                            Count("first order taken by an earlier win");
                        }
                        else if (deals[was.Id].Stage != ReferenceModel.Won)
                        {
                            Count("first order no longer won");
                        }
                    }

                    firsts = now;
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

                if (got.IsAccepted && lateForEnded)
                {
                    Count(e is ForecastSubmitted ? "forecast after its period ended" : "deal event after its month ended");
                }

                if (got.Code == OutcomeCode.FailedPrecondition && got.Message.Contains("left the company", StringComparison.Ordinal))
                {
                    Count("refused after a leave");
                }

                if (got.IsAccepted && e is ActivityLogged late && reference.LeaveOf(late.RepId) is not null)
                {
                    Count("late item of a departed rep accepted");
                }

                if (e is RepMoved && got.Code == OutcomeCode.FailedPrecondition && creditedBefore >= e.OccurredAt)
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

        engine.CloseForecastPeriods(sc.Now);
        CoverageStats(reference, sc, stats);
        stats["forecast accuracy on a board"] = engine.Regions.Values.SelectMany(r => r.Boards)
            .Where(b => b.Key.Metric == LeaderboardMetric.ForecastAccuracy).Sum(b => (long)b.Value.Count);
        var observed = EngineObservation.Observe(engine, sc);
        var problems = Comparison.Differences(reference, observed, sc.ReportPeriods, sc.Now);
        problems.AddRange(Comparison.AtRiskDifferences(reference, observed, sc.RiskInstants, sc.Risk));
        problems.AddRange(Comparison.PipelineDifferences(reference, observed, (k, n) => stats[k] = stats.GetValueOrDefault(k) + n));
        RiskStats(reference, sc, stats);
        return problems.Count == 0
            ? null
            : $"{header}\n{problems.Count} differences (engine vs reference):\n{string.Join('\n', problems.Take(40))}\n"
              + $"deliveries ({log.Count}):\n{string.Join('\n', log.Take(400))}";
    }

    /// <summary>Counts the at-risk rows of each condition the comparison covered, so the run proves it met all three.</summary>
    private static void RiskStats(ReferenceModel reference, Scenario sc, Dictionary<string, long> stats)
    {
        void Add(string key, long n) => stats[key] = stats.GetValueOrDefault(key) + n;
        foreach (var at in sc.RiskInstants)
        {
            var rows = reference.AtRisk(at, sc.Risk);
            Add("at risk: stalled", rows.Count(r => r.Stalled));
            Add("at risk: overdue", rows.Count(r => r.Overdue));
            Add("at risk: slipping", rows.Count(r => r.Slipping));
            Add("at risk: only slipping", rows.Count(r => r.Slipping && !r.Stalled && !r.Overdue));
            Add("at risk: open deal not at risk", reference.Deals().Values.Count(d => reference.IsOpen(d.Stage)) - rows.Count);
        }

        // A setting of the expected close that arrived after one dated later: the count must place it, not append it.
        var settings = reference.Accepted.Where(e => e is OpportunityOpened || e is OpportunityStageChanged { ExpectedClose: not null }).ToList();
        for (var i = 1; i < settings.Count; i++)
        {
            var id = settings[i] is OpportunityOpened o ? o.OpportunityId : ((OpportunityStageChanged)settings[i]).OpportunityId;
            if (settings.Take(i).Any(p => p.OccurredAt > settings[i].OccurredAt
                && (p is OpportunityOpened po ? po.OpportunityId : ((OpportunityStageChanged)p).OpportunityId) == id))
            {
                Add("push dated before an earlier setting", 1);
            }
        }
    }

    /// <summary>Counts the interesting situations the accepted history contains, so the run can prove it covered them.</summary>
    private static void CoverageStats(ReferenceModel reference, Scenario sc, Dictionary<string, long> stats)
    {
        void Add(string key, long n) => stats[key] = stats.GetValueOrDefault(key) + n;
        var inputs = reference.Inputs();
        foreach (var period in sc.ReportPeriods)
        {
            foreach (var y in reference.Report(TargetScope.Region, ReferenceModel.Company, period, sc.Now, inputs).LastYear)
            {
                Add("last year's figure shown", y.LastYear > 0 ? 1 : 0);
                Add("last year to date pro rata", y.LastYearToDate > 0 && y.LastYearToDate < y.LastYear ? 1 : 0);
                Add("behind last year", y.Behind ? 1 : 0);
            }
        }

        foreach (var ((scope, id, period, metric, dimension), t) in inputs.Targets.Where(kv => sc.ReportPeriods.Contains(kv.Key.Period)))
        {
            var shown = reference.Report(scope, id, period, sc.Now, inputs).Targets
                .Single(r => r.Metric == (dimension.Length == 0 ? metric.ToString() : $"{metric}/{dimension}"));
            var actual = shown.Actual != 0 ? 1 : 0;
            Add("target by product line or channel with an actual", t.Dimension.Kind is DimensionKind.ProductLine or DimensionKind.Channel ? actual : 0);
            Add("target by customer with an actual", t.Dimension.Kind == DimensionKind.Customer ? actual : 0);
            Add("collections target by customer with an actual", t.Dimension.Kind == DimensionKind.Customer && metric == TargetMetric.Collections ? actual : 0);
            Add("activity target by type with an actual", t.Dimension.Kind == DimensionKind.ActivityType ? actual : 0);
            Add("week target with an actual", t.Period.IsWeek ? actual : 0);
            Add("gross margin target with an actual", metric == TargetMetric.GrossMargin ? actual : 0);
        }

        Add("negative gross margin", reference.Deals().Values.Count(d => d.Stage == ReferenceModel.Won && d.Cost > d.Amount));

        foreach (var (scope, id, period, _, _) in inputs.Targets.Keys.Where(k => k.Metric == TargetMetric.Bookings && k.Dimension.Length == 0 && sc.ReportPeriods.Contains(k.Period)))
        {
            if (reference.Report(scope, id, period, sc.Now, inputs).Plan is { } plan)
            {
                Add("plan", 1);
                Add("plan with a buying platform", plan.Buying > 0 ? 1 : 0);
                Add("plan with an own ratio", plan.Ratios.Any(r => r.Observed) ? 1 : 0);
                Add("plan with an own average order", plan.AverageObserved ? 1 : 0);
                Add("plan behind", plan.Behind ? 1 : 0);
                Add("plan overloaded", plan.Overloaded ? 1 : 0);
            }
        }

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

        foreach (var left in accepted.OfType<RepLeft>())
        {
            Add("rep left", 1);
            var late = accepted.Where(e => e.OccurredAt < left.OccurredAt && e is ActivityLogged a && a.RepId == left.RepId);
            Add("item dated before a leave", late.Count());
        }

        Add("orphaned deals at the end", reference.OrphanedDeals().Count);
        foreach (var f in accepted.OfType<ForecastSubmitted>())
        {
            var code = RefCalendar.CodeOf(f.Period);
            Add("forecast submitted", 1);
            Add("forecast for a region", f.Scope == TargetScope.Region ? 1 : 0);
            Add("forecast after the cut-off", f.OccurredAt >= reference.Cutoff(code) ? 1 : 0);
            Add("forecast counted", reference.Counted(f.Scope, f.ScopeId, code)?.EventId == f.EventId ? 1 : 0);
        }

        // A submission accepted before one dated earlier for the same scope and period: kept in date order all the same.
        var seen = new List<ForecastSubmitted>();
        foreach (var f in accepted.OfType<ForecastSubmitted>())
        {
            if (seen.Any(s => s.Scope == f.Scope && s.ScopeId == f.ScopeId && s.Period == f.Period && s.OccurredAt > f.OccurredAt))
            {
                Add("forecast out of order", 1);
            }

            seen.Add(f);
        }
        Add("reassigned after a leave", accepted.Count(e => e is OpportunityReassigned r
            && accepted.OfType<RepLeft>().Any(l => r.OccurredAt >= l.OccurredAt)));

        foreach (var rep in reference.Reps().Values.Where(r => r.Memberships.Count > 1))
        {
            var firstMove = rep.Memberships[1].At;
            if (accepted.Any(e => e is ActivityLogged a && a.RepId == rep.Id && a.OccurredAt < firstMove && a.OccurredAt >= rep.Memberships[0].At))
            {
                Add("history before move", 1);
            }
        }
    }
}
