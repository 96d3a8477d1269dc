namespace SalesOps.Domain;

public sealed record StageFigure(string StageId, string Name, int ProbabilityPercent, long Count, long Amount, long Reached, double ConversionToNext);

public sealed record ActivityFigure(ActivityType Type, TimeCategory Category, long Count);

/// <summary>A target in a report with its actual, attainment and pace; <see cref="Dimension"/> none for the whole metric.</summary>
public sealed record TargetFigure(
    TargetMetric Metric,
    long Actual,
    long MustAchieve,
    long Stretch,
    double MustAttainment,
    double StretchAttainment,
    double ElapsedShare,
    double Pace,
    bool BehindPace)
{
    public TargetDimension Dimension { get; init; }
}

/// <summary>
/// The live figures of one scope (rep, region or company) for one period, derived from its counters. Formulas:
/// weighted pipeline = Σ amount × stage probability; forecast = bookings + Σ open amount expected to close in the
/// period × probability; commit = bookings + open amount in commit stages; best case = commit + best-case stages;
/// pipeline forecast = best case + pipeline stages; win rate = won ÷ (won + lost); average deal = bookings ÷ won;
/// average cycle = Σ cycle seconds ÷ won ÷ 86,400; conversion(stage i) = reached(i+1) ÷ reached(i);
/// attainment = actual ÷ target; pace = actual ÷ (must-achieve × elapsed share); same period last year: see
/// <see cref="YearOnYearFigure"/>; new customers and new-customer bookings = the count and amount of first orders won in
/// the period; repeat bookings = bookings − new-customer bookings; the planning funnel: see <see cref="PlanningFunnel"/>;
/// gross margin = Σ (amount − cost) over deals won in the period that carry a cost; targets by dimension: see
/// <see cref="TargetRules"/>; top-down against bottom-up: see <see cref="TargetSums.Coverage"/>; suggested targets: see
/// <see cref="SuggestedTarget"/>.
/// </summary>
public sealed record FigureReport(
    Period Period,
    IReadOnlyList<StageFigure> Stages,
    long OpenCount,
    long OpenAmount,
    decimal WeightedPipeline,
    long Bookings,
    long WonCount,
    long LostCount,
    long LostAmount,
    long Collections,
    double WinRate,
    double AverageDealSize,
    double AverageCycleDays,
    decimal Forecast,
    long CommitForecast,
    long BestCaseForecast,
    long PipelineForecast,
    IReadOnlyList<ActivityFigure> Activities,
    long ActivityTotal,
    IReadOnlyList<long> MinutesByTimeCategory,
    IReadOnlyList<TargetFigure> Targets,
    IReadOnlyList<YearOnYearFigure> SamePeriodLastYear,
    long NewCustomers,
    long NewCustomerBookings,
    long RepeatBookings,
    PlanningFunnel? Plan,
    IReadOnlyList<TargetCoverage> Coverage,
    IReadOnlyList<SuggestedTarget> Suggestions)
{
    /// <summary>Gross margin of deals won in the period (Σ amount − cost over won deals that carry a cost).</summary>
    public long GrossMargin { get; init; }

    /// <summary>The report of a rep's or a region's (<paramref name="scope"/>) counters, targets and recorded reference variables.</summary>
    public static FigureReport Build(FigureSet f, TargetBook targets, EngineSettings settings, TargetScope scope, Period period, DateTimeOffset now, PlanningInputsBook? inputs = null)
    {
        var stages = settings.Stages;
        var calendar = settings.Calendar;
        var stageFigures = new List<StageFigure>(stages.OpenCount);
        long openCount = 0, openAmount = 0;
        for (short i = 0; i < stages.OpenCount; i++)
        {
            var count = f.Get(Figure.PipelineCount, Period.None, i);
            var amount = f.Get(Figure.PipelineAmount, Period.None, i);
            var reached = f.Get(Figure.Reached, Period.None, i);
            var next = f.Get(Figure.Reached, Period.None, (short)(i + 1));
            openCount += count;
            openAmount += amount;
            var s = stages.Stages[i];
            stageFigures.Add(new StageFigure(s.Id, s.Name, s.ProbabilityPercent, count, amount, reached, Ratio(next, reached)));
        }

        var weighted = stages.Weighted(i => f.Get(Figure.PipelineAmount, Period.None, (short)i));
        var bookings = f.Get(Figure.Bookings, period);
        var won = f.Get(Figure.WonCount, period);
        var lost = f.Get(Figure.LostCount, period);
        var forecast = SystemForecast(f, stages, period);
        long commit = bookings, bestCase = 0, pipeline = 0;
        for (short i = 0; i < stages.OpenCount; i++)
        {
            var amount = f.Get(Figure.OpenByClose, period, i);
            switch (stages.Stages[i].Category)
            {
                case ForecastCategory.Commit:
                    commit += amount;
                    break;
                case ForecastCategory.BestCase:
                    bestCase += amount;
                    break;
                default:
                    pipeline += amount;
                    break;
            }
        }

        var activities = new List<ActivityFigure>();
        var minutes = new long[5];
        for (short t = 0; t < 5; t++)
        {
            for (short c = 0; c < 5; c++)
            {
                var n = f.Get(Figure.ActivityCount, period, t, c);
                if (n != 0)
                {
                    activities.Add(new ActivityFigure((ActivityType)t, (TimeCategory)c, n));
                }
            }

            minutes[t] = f.Get(Figure.ActivityMinutes, period, 0, t);
        }

        var targetFigures = TargetFigures(f, targets, period, calendar.ElapsedShare(period, now));

        return new FigureReport(
            period,
            stageFigures,
            openCount,
            openAmount,
            weighted,
            bookings,
            won,
            lost,
            f.Get(Figure.LostAmount, period),
            f.Get(Figure.Collections, period),
            Ratio(won, won + lost),
            Ratio(bookings, won),
            won == 0 ? 0 : f.Get(Figure.CycleSeconds, period) / 86_400.0 / won,
            forecast,
            commit,
            commit + bestCase,
            commit + bestCase + pipeline,
            activities,
            TargetBook.ActivityTotal(f, period),
            minutes,
            targetFigures,
            YearOnYear.Compare(f, period, calendar, now, settings.BehindLastYearShare),
            f.Get(Figure.NewCustomers, period),
            f.Get(Figure.NewCustomerBookings, period),
            bookings - f.Get(Figure.NewCustomerBookings, period),
            PlanningFunnel.Build(f, targets, settings, period, now, scope == TargetScope.Rep),
            TargetSums.Coverage(f, targets, period, scope == TargetScope.Region),
            inputs is null ? [] : SuggestedTarget.For(inputs, f, targets, period))
        {
            GrossMargin = f.Get(Figure.GrossMargin, period),
        };
    }

    /// <summary>
    /// The targets of <paramref name="period"/> with their actuals, ordered by metric, then the whole metric before its
    /// dimensions, then dimension kind and value (ordinal).
    /// </summary>
    public static List<TargetFigure> TargetFigures(FigureSet f, TargetBook targets, Period period, double elapsed)
    {
        var list = new List<TargetFigure>();
        foreach (var (key, t) in targets.All)
        {
            if (key.Period != period)
            {
                continue;
            }

            list.Add(Standing(key.Metric, TargetBook.Actual(f, key), t, elapsed) with { Dimension = key.Dimension });
        }

        list.Sort(static (a, b) =>
        {
            var c = a.Metric.CompareTo(b.Metric);
            c = c != 0 ? c : a.Dimension.Kind.CompareTo(b.Dimension.Kind);
            return c != 0 ? c : string.CompareOrdinal(a.Dimension.Value, b.Dimension.Value);
        });
        return list;
    }

    /// <summary>
    /// The whole metric's figure in the period against the scope's target for it (an office screen's progress bar);
    /// must-achieve, stretch, attainments and pace are 0 when no target is set.
    /// </summary>
    public static TargetFigure Progress(FigureSet f, TargetBook targets, Period period, TargetMetric metric, double elapsed) =>
        Standing(metric, TargetBook.Actual(f, period, metric), targets.Get(period, metric) ?? default, elapsed);

    private static TargetFigure Standing(TargetMetric metric, long actual, TargetLevels t, double elapsed)
    {
        var expected = t.MustAchieve * elapsed;
        return new TargetFigure(
            metric,
            actual,
            t.MustAchieve,
            t.Stretch,
            Ratio(actual, t.MustAchieve),
            Ratio(actual, t.Stretch),
            elapsed,
            expected <= 0 ? 0 : actual / expected,
            elapsed is > 0 and < 1 && actual < Math.Floor(expected));
    }

    /// <summary>The system's own forecast of a period: bookings + Σ open amount expected to close in it × probability.</summary>
    public static decimal SystemForecast(FigureSet f, StageTable stages, Period period) =>
        f.Get(Figure.Bookings, period) + stages.Weighted(i => f.Get(Figure.OpenByClose, period, (short)i));

    private static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;
}
