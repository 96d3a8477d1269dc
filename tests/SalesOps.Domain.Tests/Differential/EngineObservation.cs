using SalesOps.Reference;

namespace SalesOps.Domain.Tests.Differential;

/// <summary>
/// Translates what an engine shows (its counters, reports, stage indexes) into the reference's vocabulary. Compiled
/// into both the in-process and the grain differential tests; the reference itself never sees an engine type.
/// </summary>
internal static class EngineObservation
{
    public static EngineSettings Settings(Scenario sc) => new()
    {
        Stages = sc.Stages,
        Calendar = CompanyCalendar.FromId(sc.CalendarName),
        Dedup = new DedupWindow(sc.Dedup.MaxAge, sc.Dedup.MaxCount),
        AtRisk = new AtRiskRules(sc.Risk.DefaultStallDays, sc.Risk.StallDaysByStage, sc.Risk.PushLimit),
        ForecastCutoffDays = sc.ForecastCutoffDays,
        Planning = new PlanningSettings { MinHistory = sc.PlanMinHistory },
    };

    /// <summary>An engine's at-risk row in the reference's vocabulary.</summary>
    public static RefAtRisk AtRisk(string deal, string owner, string stage, DealRisk r) => new(
        deal,
        owner,
        stage,
        r.DaysInStage,
        r.ExpectedClose,
        r.Pushes,
        (r.Conditions & RiskConditions.Stalled) != 0,
        (r.Conditions & RiskConditions.Overdue) != 0,
        (r.Conditions & RiskConditions.Slipping) != 0);

    /// <summary>A target's metric, and its dimension as the reference names it ("Kind=Value").</summary>
    private static string Name(TargetFigure t, Func<string, string>? unkey) =>
        t.Dimension.IsNone ? t.Metric.ToString()
        : $"{t.Metric}/{t.Dimension.Kind}={(t.Dimension.Kind == DimensionKind.Customer && unkey is not null ? unkey(t.Dimension.Value ?? "") : t.Dimension.Value)}";

    public static List<Period> Periods(Scenario sc) =>
        sc.ReportPeriods.Select(p => Period.TryParse(p, out var period) ? period : throw new ArgumentException(p)).ToList();

    /// <summary>Every counter in the reference's names; <paramref name="unkey"/> maps an engine id (a customer's) back.</summary>
    public static Dictionary<CounterKey, long> Counters(FigureSet set, Func<string, string>? unkey = null)
    {
        var counters = new Dictionary<CounterKey, long>();
        foreach (var (key, value) in set)
        {
            // A movement's key packs its kind and day into A and B; the reference names them apart.
            var (a, b) = key.Figure is Figure.PipelineMoveAmount or Figure.PipelineMoveCount
                ? PipelineMoves.Decode(key) is var (move, day) ? ((int)move, day.DayNumber) : default
                : (key.A, key.B);
            counters[new CounterKey(key.Figure.ToString(), key.Period.ToString(), a, b)] = value;
        }

        foreach (var (key, value) in set.Dimensions)
        {
            var id = key.Kind == DimensionKind.Customer && unkey is not null ? unkey(key.Value) : key.Value;
            counters[new CounterKey(ReferenceModel.Fig.Of(key.Figure.ToString(), key.Kind, id), key.Period.ToString(), key.A, key.B)] = value;
        }

        return counters;
    }

    public static string StageId(StageTable stages, int index) => stages.Stages[index].Id;

    public static List<RefRow> Rows(IEnumerable<(int Rank, string RepId, double Score)> rows) =>
        rows.Select(r => new RefRow(r.Rank, r.RepId, r.Score)).ToList();

    public static string Metric(LeaderboardMetric metric) => metric.ToString();

    /// <summary>An engine's figure report and activity report (<paramref name="figures"/> for its period) in the reference's form.</summary>
    public static RefReport Report(FigureReport r, FigureSet figures, Func<string, string>? unkey = null) => Report(r, unkey) with { Activity = Activity(ActivityReport.Build(figures, r.Period)) };

    public static RefActivity Activity(ActivityReport a)
    {
        var count = new long[5];
        var minutes = new long[5];
        foreach (var g in a.Groups)
        {
            count[(int)g.Group] = g.Count;
            minutes[(int)g.Group] = g.Minutes;
        }

        var q = a.Quality;
        return new RefActivity(
            count, minutes, a.WithoutCustomerCount, a.WithoutCustomerMinutes, q.Calls, q.Visits, q.Proposals, q.CallsPerVisit, q.VisitsPerProposal, q.ProposalsPerOrder,
            q.ByLoad.Select(b => b.Won).ToArray(), q.ByLoad.Select(b => b.Lost).ToArray(), RefActivity.Builder.Lines(a.ProductLines.Select(p => (p.ProductLine, p.Count, p.Minutes))));
    }

    /// <summary>A report in the reference's terms; <paramref name="unkey"/> maps an engine id (a customer's) back.</summary>
    public static RefReport Report(FigureReport r, Func<string, string>? unkey = null) => new(
        r.OpenCount,
        r.OpenAmount,
        r.WeightedPipeline,
        r.Stages.Select(s => s.Count).ToArray(),
        r.Stages.Select(s => s.Amount).ToArray(),
        r.Stages.Select(s => s.Reached).ToArray(),
        r.Stages.Select(s => s.ConversionToNext).ToArray(),
        r.Bookings,
        r.WonCount,
        r.LostCount,
        r.LostAmount,
        r.Collections,
        r.WinRate,
        r.AverageDealSize,
        r.AverageCycleDays,
        r.Forecast,
        r.CommitForecast,
        r.BestCaseForecast,
        r.PipelineForecast,
        r.ActivityTotal,
        new SortedDictionary<(int, int), long>(r.Activities.ToDictionary(a => ((int)a.Type, (int)a.Category), a => a.Count)),
        r.MinutesByTimeCategory.ToArray(),
        r.Targets.Select(t => new RefTarget(Name(t, unkey), t.Actual, t.MustAchieve, t.Stretch, t.MustAttainment, t.StretchAttainment, t.Pace, t.BehindPace)).ToList(),
        r.SamePeriodLastYear.Select(y => new RefYearOnYear(y.Figure.ToString(), y.Actual, y.LastYear, y.LastYearToDate, y.Growth, y.Behind)).ToList(),
        r.NewCustomers,
        r.NewCustomerBookings,
        r.RepeatBookings,
        r.Plan is not { } p ? null : new RefPlan(
            p.Target,
            p.Booked,
            p.WorkPlatform,
            p.BuyingPlatform,
            p.Gap,
            p.AverageOrder,
            p.AverageOrderObserved,
            p.Orders,
            [(p.ProposalsPerOrder.Value, p.ProposalsPerOrder.Observed), (p.VisitsPerProposal.Value, p.VisitsPerProposal.Observed), (p.CallsPerVisit.Value, p.CallsPerVisit.Observed)],
            p.WorkingDaysLeft,
            p.WorkingDaysGone,
            p.Activities.Select(a => new RefPlanActivity(a.Type.ToString(), a.Needed, a.Logged, a.NeededPerDay, a.NeededPerWeek, a.LoggedPerDay)).ToList(),
            p.Behind,
            p.Load,
            p.Overloaded),
        r.GrossMargin)
    {
        Coverage = r.Coverage.Select(c => new RefCoverage(
            c.Dimension.IsNone ? c.Metric.ToString() : $"{c.Metric}/{c.Dimension.Kind}={(c.Dimension.Kind == DimensionKind.Customer && unkey is not null ? unkey(c.Dimension.Value ?? "") : c.Dimension.Value)}", c.Basis.ToString(), c.MustAchieve, c.Stretch, c.Parts, c.PartsMustAchieve, c.PartsStretch, c.MustGap, c.StretchGap, c.Uncovered)).ToList(),
        Suggestions = r.Suggestions.Select(s => new RefSuggestion(
            s.Metric.ToString(), s.LastYearActual, s.LastYearRecorded, s.LongTermPlan, s.IndustryGrowthBasisPoints, s.NewGrowthPoints, s.Grown, s.Suggested, s.MustAchieve, s.Difference)).ToList(),
    };

    public static RefForecast Forecast(ForecastView v) => new(
        v.Submissions.Select(s => new RefSubmission(s.EventId, s.At, s.Commit, s.BestCase, s.SubmittedBy, s.Note)).ToList(),
        v.Actual,
        v.SystemForecast,
        v.Ended,
        v.Score is { } score ? Accuracy(score) : null,
        v.History.Select(Accuracy).ToList());

    /// <summary>A waterfall and trend in the reference's vocabulary: movements by their documented names.</summary>
    public static RefPipelineView Pipeline(PipelineWaterfall w, IReadOnlyList<TrendMonth> trend) => new(
        new RefWaterfall(w.StartAmount, w.StartCount, w.Terms.Select(t => new RefTerm(ReferenceModel.Moves[(int)t.Move], t.Amount, t.Count)).ToList(), w.EndAmount, w.EndCount),
        trend.Select(m => new RefTrendMonth(m.Month.ToString(), m.Opened, m.Bookings, m.WonCount, m.Headcount, m.BookingsPerRep)).ToList());

    /// <summary>What GetPipelineHistory computes from a scope's counters.</summary>
    public static RefPipelineView Pipeline(FigureSet figures, string period, DateOnly from, DateOnly to)
    {
        var p = Period.TryParse(period, out var parsed) ? parsed : throw new ArgumentException(period);
        return Pipeline(PipelineOverTime.Waterfall(figures, p, from, to), PipelineOverTime.Trend(figures, Period.Containing(to).Month));
    }

    private static RefAccuracy Accuracy(ForecastScore s) => new(s.Period.ToString(), s.Counted.EventId, s.Counted.Commit, s.Actual, s.AccuracyPercent);

    /// <summary>The whole state of an in-process engine.</summary>
    public static ObservedState Observe(InMemorySalesEngine engine, Scenario sc)
    {
        var stages = sc.Stages;
        var calendar = engine.Settings.Calendar;
        var observed = new ObservedState
        {
            Report = (isRep, id, period) =>
            {
                var p = Period.TryParse(period, out var parsed) ? parsed : throw new ArgumentException(period);
                return isRep
                    ? Report(FigureReport.Build(engine.Reps[id].Figures(), engine.Reps[id].Targets, engine.Settings, TargetScope.Rep, p, sc.Now, engine.Reps[id].Inputs), engine.Reps[id].Figures())
                    : Report(FigureReport.Build(engine.Regions[id].Figures, engine.Regions[id].Targets, engine.Settings, TargetScope.Region, p, sc.Now, engine.Regions[id].Inputs), engine.Regions[id].Figures);
            },
            AtRisk = now => engine.AtRiskOpportunities(now).Select(o => AtRisk(o.Deal.Id, o.Deal.OwnerRepId, StageId(stages, o.Deal.StageIndex), o.Risk)).ToList(),
            Forecast = (isRep, id, period) =>
            {
                var p = Period.TryParse(period, out var parsed) ? parsed : throw new ArgumentException(period);
                var (book, figures) = isRep ? (engine.Reps[id].Forecasts, engine.Reps[id].Figures()) : (engine.Regions[id].Forecasts, engine.Regions[id].Figures);
                return Forecast(ForecastView.Build(book, figures, stages, p, sc.Now, engine.Settings.Forecasts));
            },
            Pipeline = (isRep, id, period, from, to) => Pipeline(isRep ? engine.Reps[id].Figures() : engine.Regions[id].Figures, period, from, to),
        };
        foreach (var o in engine.Opportunities.Values.Where(o => o.IsOpened))
        {
            observed.Deals[o.Id] = new ObservedDeal(o.OwnerRepId, o.Amount, StageId(stages, o.StageIndex), o.ExpectedClose, o.StageAt, o.ReachedLevel);
        }

        foreach (var r in engine.Reps.Values.Where(r => r.IsJoined))
        {
            observed.Reps[r.Id] = new ObservedRep(r.RegionId, Counters(r.Figures()));
        }

        foreach (var r in engine.Regions.Values.Where(r => r.IsDefined))
        {
            observed.Regions[r.Id] = new ObservedRegion(r.ParentId, Counters(r.Figures));
            foreach (var (key, board) in r.Boards)
            {
                observed.Boards[new RefBoard(r.Id, key.Period.ToString(), Metric(key.Metric))] =
                    Rows(board.Top(board.Count).Select(e => (e.Rank, e.RepId, e.Score)));
            }
        }

        foreach (var c in engine.Customers.Values.Where(c => c.IsRegistered))
        {
            observed.Customers[c.Id] = new RefCustomer(c.OrderCount, c.LifetimeValue, c.LastOrder, c.Collections, c.LastContact);
        }

        observed.Orphans.AddRange(engine.OrphanedOpportunities().Select(o => (o.Id, o.OwnerRepId)));

        // Reps that never joined must hold nothing.
        foreach (var r in engine.Reps.Values.Where(r => !r.IsJoined && r.Figures().Count > 0))
        {
            observed.Reps["(never joined) " + r.Id] = new ObservedRep("", Counters(r.Figures()));
        }

        return observed;
    }
}
