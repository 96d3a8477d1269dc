namespace SalesOps.Domain;

/// <summary>Activities naming a customer of one group, in a period.</summary>
public sealed record ActivityGroupFigure(CustomerGroup Group, long Count, long Minutes);

/// <summary>Activities logged against deals of one product line, in a period (ADR 0023).</summary>
public sealed record ActivityProductLineFigure(string ProductLine, long Count, long Minutes);

/// <summary>
/// Deals closed in a period with an activity load in one bucket (<see cref="ActivityLoad"/>): won, lost and won ÷ (won +
/// lost), 0 without closed deals. <see cref="MaxActivities"/> is null for the last, open-ended bucket.
/// </summary>
public sealed record ActivityLoadFigure(int MinActivities, int? MaxActivities, long Won, long Lost, double WinRate);

/// <summary>
/// Conversion from activity to result in a period: the activities of the planning funnel's types, the deals won and lost,
/// and the ratios between them (0 when the divisor is 0). The planning funnel reads the same ratios over its twelve-month
/// history to plan (<see cref="PlanningFunnel"/>); these are the period's own.
/// </summary>
public sealed record ActivityQuality(
    long Calls,
    long Visits,
    long Proposals,
    long Won,
    long Lost,
    double CallsPerVisit,
    double VisitsPerProposal,
    double ProposalsPerOrder,
    double WinRate)
{
    /// <summary>Win rate by activity load: every bucket of <see cref="ActivityLoad"/>, in order.</summary>
    public IReadOnlyList<ActivityLoadFigure> ByLoad { get; init; } = [];
}

/// <summary>
/// Activity direction and quality of one scope (rep, region or company) for one period (docs/semantics.md, "Activity
/// direction and quality"): count and minutes by customer group — key accounts against the rest, new against existing
/// customers, and what named no customer — and the conversion ratios.
/// </summary>
public sealed record ActivityReport(
    Period Period,
    long Count,
    long Minutes,
    IReadOnlyList<ActivityGroupFigure> Groups,
    long WithoutCustomerCount,
    long WithoutCustomerMinutes,
    ActivityQuality Quality)
{
    /// <summary>Activities logged against deals, by the deals' product lines (ordinal order); none for a week.</summary>
    public IReadOnlyList<ActivityProductLineFigure> ProductLines { get; init; } = [];

    private static readonly CustomerGroup[] AllGroups = Enum.GetValues<CustomerGroup>();

    /// <summary>The report of a scope's counters for <paramref name="period"/>.</summary>
    public static ActivityReport Build(FigureSet f, Period period)
    {
        var count = TargetBook.ActivityTotal(f, period);
        long minutes = 0;
        for (short c = 0; c < 5; c++)
        {
            minutes += f.Get(Figure.ActivityMinutes, period, 0, c);
        }

        var groups = new ActivityGroupFigure[AllGroups.Length];
        for (var i = 0; i < AllGroups.Length; i++)
        {
            var g = (short)AllGroups[i];
            groups[i] = new ActivityGroupFigure(AllGroups[i], f.Get(Figure.CustomerActivityCount, period, g), f.Get(Figure.CustomerActivityMinutes, period, g));
        }

        // Every activity naming a customer is in exactly one account group, so the rest named none.
        var named = groups[0].Count + groups[1].Count;
        var namedMinutes = groups[0].Minutes + groups[1].Minutes;

        Period[] only = [period];
        var calls = PlanningFunnel.Logged(f, ActivityType.Call, only);
        var visits = PlanningFunnel.Logged(f, ActivityType.Visit, only);
        var proposals = PlanningFunnel.Logged(f, ActivityType.Proposal, only);
        var won = f.Get(Figure.WonCount, period);
        var lost = f.Get(Figure.LostCount, period);
        var quality = new ActivityQuality(
            calls, visits, proposals, won, lost, Ratio(calls, visits), Ratio(visits, proposals), Ratio(proposals, won), Ratio(won, won + lost))
        {
            ByLoad = ByLoad(f, period, won, lost),
        };
        return new ActivityReport(period, count, minutes, groups, count - named, minutes - namedMinutes, quality) { ProductLines = ByProductLine(f, period) };
    }

    /// <summary>
    /// Every load bucket's won and lost deals of the period. Bucket 0 (no activity before the close) is not counted
    /// anywhere: it is the period's won and lost deals less those of the other buckets.
    /// </summary>
    private static ActivityLoadFigure[] ByLoad(FigureSet f, Period period, long won, long lost)
    {
        var buckets = new ActivityLoadFigure[ActivityLoad.BucketCount];
        for (var b = ActivityLoad.BucketCount - 1; b >= 0; b--)
        {
            var (w, l) = b == 0
                ? (won, lost)
                : (f.Get(Figure.ClosedByActivityLoad, period, (short)b, ActivityLoad.Won), f.Get(Figure.ClosedByActivityLoad, period, (short)b, ActivityLoad.Lost));
            (won, lost) = (won - w, lost - l);
            int? max = b + 1 < ActivityLoad.BucketCount ? ActivityLoad.LowerEdges[b + 1] - 1 : null;
            buckets[b] = new ActivityLoadFigure(ActivityLoad.LowerEdges[b], max, w, l, Ratio(w, w + l));
        }

        return buckets;
    }

    private static ActivityProductLineFigure[] ByProductLine(FigureSet f, Period period)
    {
        var lines = new SortedDictionary<string, (long Count, long Minutes)>(StringComparer.Ordinal);
        foreach (var (k, v) in f.Dimensions)
        {
            if (k.Kind == DimensionKind.ProductLine && k.Period == period && k.Figure is Figure.ActivityCount or Figure.ActivityMinutes)
            {
                var (count, minutes) = lines.GetValueOrDefault(k.Value);
                lines[k.Value] = k.Figure == Figure.ActivityCount ? (count + v, minutes) : (count, minutes + v);
            }
        }

        return lines.Select(l => new ActivityProductLineFigure(l.Key, l.Value.Count, l.Value.Minutes)).ToArray();
    }

    private static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;
}
