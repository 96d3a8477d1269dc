namespace SalesOps.Domain;

/// <summary>
/// Headcount for the per-capita trend (docs/semantics.md, "Pipeline over time"): a rep counts in a region's team for
/// a month when, at the end of that month, their membership standing then is that region or one below it and they have
/// not left. Kept as additive month counters (<see cref="Figure.Headcount"/>): +1 in the month of the local date a
/// membership begins, -1 in the month it ends (the next membership, or the leave), so the headcount of a month is the
/// sum of the counters of that month and every earlier one, and it rolls up by addition like every counter.
/// </summary>
public static class TeamHeadcount
{
    /// <summary>
    /// Sends the change of the rep's headcount counters made by <paramref name="change"/> (a join, move or leave, which
    /// changes the memberships or the leave): the counters after minus before, to the rep's own historical counters and
    /// to each region's delta.
    /// </summary>
    public static void Apply(RepState rep, Action change, CompanyCalendar calendar, FigureSet own, RepEffects effects)
    {
        var net = new Dictionary<(string Region, Period Month), long>();
        Counters(rep, calendar, -1, net);
        change();
        Counters(rep, calendar, 1, net);
        foreach (var ((region, month), value) in net)
        {
            if (value != 0)
            {
                var key = new FigureKey(Figure.Headcount, month, 0, 0);
                own.Add(key, value);
                effects.DeltaFor(region).Add(key, value);
            }
        }
    }

    private static void Counters(RepState rep, CompanyCalendar calendar, int sign, Dictionary<(string, Period), long> into)
    {
        var memberships = rep.Memberships;
        var left = rep.Left?.At;
        for (var i = 0; i < memberships.Count; i++)
        {
            var (stamp, region) = memberships[i];
            if (left is { } l && stamp.At >= l)
            {
                break;
            }

            DateTimeOffset? end = i + 1 < memberships.Count ? memberships[i + 1].Stamp.At : null;
            if (left is { } leave && (end is null || leave < end))
            {
                end = leave;
            }

            Add(into, region, calendar.PeriodsOf(stamp.At).Month, sign);
            if (end is { } e)
            {
                Add(into, region, calendar.PeriodsOf(e).Month, -sign);
            }
        }
    }

    private static void Add(Dictionary<(string, Period), long> into, string region, Period month, long value)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(into, (region, month), out _);
        slot += value;
    }
}
