using System.Diagnostics;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// Reads the server's figures after the load and compares them with the acknowledged events: every rep of the run,
/// the run's root region and its areas. Figures further along the grain chain catch up asynchronously, so each
/// comparison is retried until it holds or the timeout passes.
/// </summary>
public static class Verifier
{
    public static async Task<int> CheckAsync(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period, TimeSpan timeout, List<string> failures)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var newCustomers = expected.NewCustomers();
        var repChecks = Enumerable.Range(0, company.RepIds.Length)
            .Select(r => new Check<Totals>($"rep {company.RepIds[r]}", Want(expected, newCustomers, [r], rep: true),
                async () => Totals.Of((await query.GetRepAsync(new V1.GetRepRequest { RepId = company.RepIds[r], Period = period })).Figures, expected.SoftwareTarget[r])));
        var regionChecks = new[] { company.RootRegion }.Concat(company.Areas)
            .Select(region => new Check<Totals>($"region {region}", Want(expected, newCustomers, Enumerable.Range(0, company.RepIds.Length).Where(r => company.InScope(region, r))),
                async () => Totals.Of((await query.GetRegionAsync(new V1.GetRegionRequest { RegionId = region, Period = period })).Figures)));
        var checks = repChecks.Concat<ICheck>(regionChecks).Concat(ForecastChecks(query, company, expected, period))
            .Concat(PlanningChecks(query, company, expected, period)).Concat(DirectionChecks(query, company, expected, period))
            .Concat(DealActivityChecks(query, company, expected, period))
            .Concat(PipelineChecks(query, company, expected, period)).ToList();

        var open = checks;
        while (true)
        {
            var results = new string?[open.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, open.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
                results[i] = await open[i].MismatchAsync());
            var failing = open.Where((_, i) => results[i] is not null).ToList();
            if (failing.Count == 0)
            {
                return checks.Count;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                failures.AddRange(results.Where(r => r is not null).Take(10)!);
                failures.Add($"{failing.Count} of {checks.Count} rep and region figures still differ from the acknowledged events after {timeout.TotalSeconds:0} s");
                return checks.Count;
            }

            open = failing;
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Every rep with acknowledged forecast submissions: the server lists each of them for the month, and its latest is
    /// the last acknowledged.
    /// </summary>
    private static IEnumerable<ICheck> ForecastChecks(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period) =>
        Enumerable.Range(0, company.RepIds.Length).Where(r => expected.Forecasts[r] > 0).Select(r => new Check<Submissions>(
            $"forecast submissions of {company.RepIds[r]}",
            new Submissions(expected.Forecasts[r], expected.LastCommit[r]),
            async () =>
            {
                var f = await query.GetForecastSubmissionsAsync(
                    new V1.GetForecastSubmissionsRequest { Scope = V1.TargetScope.Rep, ScopeId = company.RepIds[r], Period = period });
                return new Submissions(f.Submissions.Count, f.Latest?.Commit.MinorUnits);
            }));

    private sealed record Submissions(long Count, long? LatestCommit);

    /// <summary>
    /// The run root's month target against its reps' (every rep has one: the coverage row counts them all and sums the
    /// last acknowledged), and every rep with planning inputs: the suggested target of next year shows the last ones.
    /// </summary>
    private static IEnumerable<ICheck> PlanningChecks(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period)
    {
        var reps = Enumerable.Range(0, company.RepIds.Length).Where(r => expected.TargetMust[r] > 0).ToList();
        yield return new Check<Coverage>(
            $"coverage of {company.RootRegion}'s target by its reps'",
            new Coverage(reps.Count, reps.Sum(r => expected.TargetMust[r])),
            async () =>
            {
                var f = (await query.GetRegionAsync(new V1.GetRegionRequest { RegionId = company.RootRegion, Period = period })).Figures;
                var row = f.TargetCoverage.SingleOrDefault(c => c.Basis == V1.CoverageBasis.Reps);
                return new Coverage(row?.Parts ?? 0, row?.PartsMustAchieve ?? 0);
            });
        var nextYear = $"{int.Parse(period[..4], System.Globalization.CultureInfo.InvariantCulture) + 1:D4}";
        foreach (var r in Enumerable.Range(0, company.RepIds.Length).Where(r => expected.Inputs[r] is not null))
        {
            var want = expected.Inputs[r]!;
            yield return new Check<Suggestion?>(
                $"suggested {nextYear} target of {company.RepIds[r]}",
                new Suggestion(want.LastYear, want.Plan, want.GrowthBasisPoints, want.NewPoints, want.Suggested),
                async () =>
                {
                    var f = (await query.GetRepAsync(new V1.GetRepRequest { RepId = company.RepIds[r], Period = nextYear })).Figures;
                    return f.SuggestedTargets.SingleOrDefault(s => s.Metric == V1.TargetMetric.Bookings) is { } s
                        ? new Suggestion(s.LastYearActual, s.LongTermPlan, s.IndustryGrowthBp, s.NewGrowthPoints, s.Suggested)
                        : null;
                });
        }
    }

    private sealed record Coverage(int Reps, long MustAchieve);

    private sealed record Suggestion(long LastYear, long Plan, int GrowthBasisPoints, long NewPoints, long Suggested);

    private static Totals Want(Expected e, (long[] Count, long[] Amount) newCustomers, IEnumerable<int> reps, bool rep = false)
    {
        var t = new Totals();
        foreach (var r in reps)
        {
            t = t with
            {
                Activities = t.Activities + e.Activities[r], Bookings = t.Bookings + e.Bookings[r], Won = t.Won + e.Won[r], Lost = t.Lost + e.Lost[r],
                LostAmount = t.LostAmount + e.LostAmount[r], Collections = t.Collections + e.Collections[r],
                OpenCount = t.OpenCount + e.OpenCount[r], OpenAmount = t.OpenAmount + e.OpenAmount[r],
                NewCustomers = t.NewCustomers + newCustomers.Count[r], NewCustomerBookings = t.NewCustomerBookings + newCustomers.Amount[r],
                GrossMargin = t.GrossMargin + e.GrossMargin[r],
            };
        }

        // A rep's check also reads the actual of its "software" bookings target (a target by dimension).
        if (rep && e.SoftwareTarget[reps.First()])
        {
            t = t with { SoftwareBookings = e.SoftwareBookings[reps.First()] };
        }

        return t;
    }

    /// <summary>
    /// Every rep's activity direction (docs/semantics.md, "Activity direction and quality"): activities naming key accounts
    /// and other customers, count and minutes as acknowledged; new plus existing is the same activities (their split
    /// depends on win instants across streams, which the client does not track).
    /// </summary>
    private static IEnumerable<ICheck> DirectionChecks(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period) =>
        Enumerable.Range(0, company.RepIds.Length).Select(r => new Check<Direction>(
            $"activity direction of {company.RepIds[r]}",
            new Direction(
                expected.KeyAccountActivities[r],
                expected.OtherAccountActivities[r],
                (expected.KeyAccountActivities[r].Count + expected.OtherAccountActivities[r].Count, expected.KeyAccountActivities[r].Minutes + expected.OtherAccountActivities[r].Minutes)),
            async () =>
            {
                var report = (await query.GetActivityReportAsync(new V1.GetActivityReportRequest { Scope = V1.TargetScope.Rep, ScopeId = company.RepIds[r], Period = period })).Report;
                (long, long) Of(params V1.CustomerGroup[] groups) =>
                    (report.Groups.Where(g => groups.Contains(g.Group)).Sum(g => g.Count), report.Groups.Where(g => groups.Contains(g.Group)).Sum(g => g.Minutes));
                return new Direction(
                    Of(V1.CustomerGroup.KeyAccount), Of(V1.CustomerGroup.OtherAccount), Of(V1.CustomerGroup.NewCustomer, V1.CustomerGroup.ExistingCustomer));
            }));

    /// <summary>
    /// The month's pipeline over time of every rep and of the run root (GetPipelineHistory), from the day before the
    /// month to today: it starts empty (the run's company is new), ends with the open deals closing in the month that
    /// the acknowledged events leave, counts every deal opened into it as created, and balances.
    /// </summary>
    private static IEnumerable<ICheck> PipelineChecks(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period)
    {
        var first = DateOnly.ParseExact(period + "-01", "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Check<Waterfall> Of(string subject, V1.TargetScope scope, string id, IEnumerable<int> reps)
        {
            var months = reps.Select(r => expected.MonthPipeline[r]).ToList();
            return new Check<Waterfall>(
                $"{subject} pipeline of {period}",
                new Waterfall(0, 0, months.Sum(m => m.Created), months.Sum(m => m.Amount), months.Sum(m => m.Count), true),
                async () =>
                {
                    // Today is read when asked: a check retried after midnight asks up to the new day.
                    var today = DateOnly.FromDateTime(DateTime.UtcNow);
                    var w = (await query.GetPipelineHistoryAsync(new V1.GetPipelineHistoryRequest
                    {
                        Scope = scope, ScopeId = id, Period = period,
                        FromDate = Date(first.AddDays(-1)), ToDate = Date(today),
                    })).Waterfall;
                    var signed = w.Terms.Sum(t => t.Move is >= V1.PipelineMove.Created and <= V1.PipelineMove.Increased ? t.Amount : -t.Amount);
                    var created = w.Terms.Single(t => t.Move == V1.PipelineMove.Created).Count;
                    return new Waterfall(w.StartAmount, w.StartCount, created, w.EndAmount, w.EndCount, w.StartAmount + signed == w.EndAmount);
                });
        }

        static Google.Type.Date Date(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };
        var all = Enumerable.Range(0, company.RepIds.Length).ToList();
        return all.Select(r => Of($"rep {company.RepIds[r]}", V1.TargetScope.Rep, company.RepIds[r], [r]))
            .Append(Of($"region {company.RootRegion}", V1.TargetScope.Region, company.RootRegion, all.Where(r => company.InScope(company.RootRegion, r))));
    }

    /// <summary>
    /// Every rep's activities by product line and win rate by activity load (ADR 0023): the activities it logged against
    /// deals, by the deal's product line, and the deals it won and lost by the activities logged against them.
    /// </summary>
    private static IEnumerable<ICheck> DealActivityChecks(V1.QueryService.QueryServiceClient query, Company company, Expected expected, string period) =>
        Enumerable.Range(0, company.RepIds.Length).Select(r => new Check<string>(
            $"activities by product line and win rate by activity load of {company.RepIds[r]}",
            DealActivities(
                expected.ProductLineActivities[r].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Count, p.Value.Minutes)),
                expected.WonByLoad[r],
                expected.LostByLoad[r]),
            async () =>
            {
                var report = (await query.GetActivityReportAsync(new V1.GetActivityReportRequest { Scope = V1.TargetScope.Rep, ScopeId = company.RepIds[r], Period = period })).Report;
                return DealActivities(
                    report.ProductLines.Select(p => (p.ProductLine, p.Count, p.Minutes)),
                    report.Quality.ByLoad.Select(b => b.Won).ToArray(),
                    report.Quality.ByLoad.Select(b => b.Lost).ToArray());
            }));

    private static string DealActivities(IEnumerable<(string Line, long Count, long Minutes)> lines, long[] won, long[] lost) =>
        $"lines {string.Join(";", lines.Select(l => $"{l.Line}:{l.Count}/{l.Minutes}"))} won [{string.Join(",", won)}] lost [{string.Join(",", lost)}]";

    private sealed record Waterfall(long StartAmount, long StartCount, long Created, long EndAmount, long EndCount, bool Balances);

    private sealed record Direction((long Count, long Minutes) KeyAccount, (long Count, long Minutes) OtherAccount, (long Count, long Minutes) NewAndExisting);

    private sealed record Totals(
        long Activities = 0, long Bookings = 0, long Won = 0, long Lost = 0, long LostAmount = 0, long Collections = 0, long OpenCount = 0, long OpenAmount = 0,
        long NewCustomers = 0, long NewCustomerBookings = 0, long GrossMargin = 0, long? SoftwareBookings = null)
    {
        /// <param name="software">Read the actual of the rep's "software" product-line bookings target too.</param>
        public static Totals Of(V1.Figures f, bool software = false) =>
            new(f.ActivityTotal, f.Bookings, f.WonCount, f.LostCount, f.LostAmount, f.Collections, f.OpenCount, f.OpenAmount, f.NewCustomers, f.NewCustomerBookings,
                f.GrossMargin,
                software
                    ? f.Targets.SingleOrDefault(t => t.Dimension is { Kind: V1.TargetDimensionKind.ProductLine, Value: "software" })?.Actual ?? -1
                    : null);
    }

    private interface ICheck
    {
        Task<string?> MismatchAsync();
    }

    private sealed record Check<T>(string Subject, T Want, Func<Task<T>> Read) : ICheck
    {
        public async Task<string?> MismatchAsync()
        {
            try
            {
                var got = await Read();
                return EqualityComparer<T>.Default.Equals(got, Want) ? null : $"{Subject}: server reports {got}, the acknowledged events give {Want}";
            }
            catch (Grpc.Core.RpcException ex)
            {
                return $"{Subject}: {ex.StatusCode} {ex.Status.Detail}";
            }
        }
    }
}
