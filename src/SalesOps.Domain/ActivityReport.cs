namespace SalesOps.Domain;

/// <summary>Activities naming a customer of one group, in a period.</summary>
public sealed record ActivityGroupFigure(CustomerGroup Group, long Count, long Minutes);

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
    double WinRate);

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
            calls, visits, proposals, won, lost, Ratio(calls, visits), Ratio(visits, proposals), Ratio(proposals, won), Ratio(won, won + lost));
        return new ActivityReport(period, count, minutes, groups, count - named, minutes - namedMinutes, quality);
    }

    private static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;
}
