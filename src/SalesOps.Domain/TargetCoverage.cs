namespace SalesOps.Domain;

/// <summary>What a target is compared with: the bottom-up sum of which targets (docs/semantics.md, "Top-down against bottom-up").</summary>
public enum CoverageBasis : byte
{
    /// <summary>The direct child regions' own targets (regions and the company only).</summary>
    ChildRegions = 0,

    /// <summary>The targets of every rep currently in the region or below it (regions and the company only).</summary>
    Reps = 1,

    /// <summary>The scope's own targets for the quarters of a year.</summary>
    Quarters = 2,

    /// <summary>The scope's own targets for the months of a year or quarter.</summary>
    Months = 3,
}

/// <summary>
/// A target set top-down beside the sum of the targets it was split into: its children's, its reps', or its own
/// quarters' or months', for the same metric and dimension. <see cref="MustGap"/> = must-achieve − Σ parts'
/// must-achieve: positive is what the split leaves uncovered.
/// </summary>
/// <param name="Parts">How many parts have a target (child regions, reps, quarters or months).</param>
/// <param name="Uncovered">The parts' must-achieve sum is below the target's must-achieve.</param>
/// <param name="Dimension">The target's dimension (none for a whole metric).</param>
public sealed record TargetCoverage(
    TargetMetric Metric,
    CoverageBasis Basis,
    long MustAchieve,
    long Stretch,
    int Parts,
    long PartsMustAchieve,
    long PartsStretch,
    long MustGap,
    long StretchGap,
    bool Uncovered,
    TargetDimension Dimension = default);

/// <summary>
/// The bottom-up sums of targets as additive counters, so that they roll up like every figure: a rep's targets are
/// current items of the rep (<see cref="Figure.RepTargets"/>, moving with the rep to every region above it), a region's
/// own targets go to its parent only (<see cref="Figure.ChildRegionTargets"/>, not passed further up).
/// Counter A is the metric, B the slot: each level is kept as a high and a low part
/// (<c>level = high × 2^24 + low</c>), so that a sum of any number of targets up to 10^15 cannot wrap before
/// 2^37 targets are counted (the parts are at most 2^26 and 2^24 each), and is read back exactly; B = 4 counts the parts.
/// A target by dimension is summed in dimension counters of the same figures, A and B alike.
/// </summary>
public static class TargetSums
{
    public const short MustHigh = 0;
    public const short MustLow = 1;
    public const short StretchHigh = 2;
    public const short StretchLow = 3;
    public const short Count = 4;
    private const int Shift = 24;
    private const long LowMask = (1L << Shift) - 1;

    /// <summary>Adds to <paramref name="set"/> the change of one part from <paramref name="before"/> to <paramref name="after"/> (null: no target).</summary>
    public static void Change(FigureSet set, Figure figure, TargetKey key, TargetLevels? before, TargetLevels? after)
    {
        if (before == after)
        {
            return;
        }

        if (before is { } b)
        {
            Add(set, figure, key, b, -1);
        }

        if (after is { } a)
        {
            Add(set, figure, key, a, 1);
        }
    }

    private static void Add(FigureSet set, Figure figure, TargetKey key, TargetLevels levels, int sign)
    {
        Slot(set, figure, key, MustHigh, sign * (levels.MustAchieve >> Shift));
        Slot(set, figure, key, MustLow, sign * (levels.MustAchieve & LowMask));
        Slot(set, figure, key, StretchHigh, sign * (levels.Stretch >> Shift));
        Slot(set, figure, key, StretchLow, sign * (levels.Stretch & LowMask));
        Slot(set, figure, key, Count, sign);
    }

    private static void Slot(FigureSet set, Figure figure, TargetKey key, short slot, long delta)
    {
        var m = (short)key.Metric;
        if (key.Dimension.IsNone)
        {
            set.Add(new FigureKey(figure, key.Period, m, slot), delta);
        }
        else
        {
            set.Add(new DimensionFigureKey(figure, key.Period, key.Dimension.Kind, key.Dimension.Value ?? "", m, slot), delta);
        }
    }

    private static long Slot(FigureSet set, Figure figure, TargetKey key, short slot) =>
        key.Dimension.IsNone
            ? set.Get(figure, key.Period, (short)key.Metric, slot)
            : set.Get(new DimensionFigureKey(figure, key.Period, key.Dimension.Kind, key.Dimension.Value ?? "", (short)key.Metric, slot));

    /// <summary>
    /// Brings what the rep counts in the bottom-up sums for <paramref name="key"/> in line with its target: the target
    /// in force while the rep is with the company, or for a period that ended before the leave date (like the boards);
    /// none otherwise. What the rep counted is read from its own current counters, which is exactly what its regions
    /// received, so a rep restored from a snapshot written before these sums existed starts from nothing instead of
    /// retracting what was never sent.
    /// </summary>
    public static void Follow(RepState rep, TargetKey key, RepEffects effects)
    {
        if (!Summed(key))
        {
            return;
        }

        var counted = rep.Left is { } left && key.Period.EndDay > left.On ? null : rep.Targets.Get(key);
        var sent = Part(rep.Current, Figure.RepTargets, key);
        if (counted == sent)
        {
            return;
        }

        var delta = effects.DeltaFor(rep.RegionId);
        Change(delta, Figure.RepTargets, key, sent, counted);
        Change(rep.Current, Figure.RepTargets, key, sent, counted);
    }

    /// <summary>
    /// Brings what a region counts in its parent's <see cref="Figure.ChildRegionTargets"/> in line with its own target,
    /// writing the change for the parent into <paramref name="forParent"/>. What was sent is kept in the region's own
    /// <see cref="Figure.SentTargets"/> counters (the company, which has no parent, sends nothing).
    /// </summary>
    public static void Follow(RegionState region, TargetKey key, FigureSet forParent)
    {
        if (region.ParentId.Length == 0 || !Summed(key))
        {
            return;
        }

        var target = region.Targets.Get(key);
        var sent = Part(region.Figures, Figure.SentTargets, key);
        if (target == sent)
        {
            return;
        }

        Change(forParent, Figure.ChildRegionTargets, key, sent, target);
        Change(region.Figures, Figure.SentTargets, key, sent, target);
    }

    /// <summary>
    /// Whether a target counts in the bottom-up sums: one for a year, quarter or month, for a whole metric or by
    /// dimension. Week targets are compared with nothing (a month is not a whole number of weeks; docs/semantics.md).
    /// </summary>
    public static bool Summed(TargetKey key) => key.Period.Kind is PeriodKind.Year or PeriodKind.Quarter or PeriodKind.Month;

    /// <summary>The one part a scope counted under <paramref name="figure"/>, or null when it counted none.</summary>
    private static TargetLevels? Part(FigureSet f, Figure figure, TargetKey key)
    {
        var (parts, must, stretch) = Read(f, figure, key);
        return parts == 0 ? null : new TargetLevels(must, stretch);
    }

    /// <summary>The parts counted and their must-achieve and stretch sums (2^63 − 1 at most, never wrapped).</summary>
    public static (int Parts, long Must, long Stretch) Read(FigureSet f, Figure figure, TargetKey key) =>
    (
        (int)Math.Clamp(Slot(f, figure, key, Count), 0, int.MaxValue),
        Join(Slot(f, figure, key, MustHigh), Slot(f, figure, key, MustLow)),
        Join(Slot(f, figure, key, StretchHigh), Slot(f, figure, key, StretchLow)));

    private static long Join(long high, long low) => Clamp(((Int128)high << Shift) + low);

    internal static long Clamp(Int128 v) => v > long.MaxValue ? long.MaxValue : v < 0 ? 0 : (long)v;

    /// <summary>
    /// The coverage of every target the scope has for <paramref name="period"/>: for a region (<paramref name="isRegion"/>)
    /// against its child regions and its reps, when at least one of them has a target for the same period, metric and
    /// dimension; for any scope, a year against its quarters and months and a quarter against its months, when at least
    /// one of those has a target. In metric order, the whole metric before its dimensions (by kind, then value in
    /// ordinal order), then basis order.
    /// </summary>
    public static List<TargetCoverage> Coverage(FigureSet f, TargetBook targets, Period period, bool isRegion)
    {
        var list = new List<TargetCoverage>();
        if (period.Kind is not (PeriodKind.Year or PeriodKind.Quarter or PeriodKind.Month))
        {
            return list;
        }

        var keys = targets.All.Where(t => t.Key.Period == period).Select(t => t.Key).ToList();
        keys.Sort(static (x, y) =>
        {
            var c = x.Metric.CompareTo(y.Metric);
            if (c == 0)
            {
                c = x.Dimension.Kind.CompareTo(y.Dimension.Kind);
            }

            return c != 0 ? c : string.CompareOrdinal(x.Dimension.Value, y.Dimension.Value);
        });
        foreach (var key in keys)
        {
            var top = targets.Get(key)!.Value;
            if (isRegion)
            {
                Row(CoverageBasis.ChildRegions, Read(f, Figure.ChildRegionTargets, key));
                Row(CoverageBasis.Reps, Read(f, Figure.RepTargets, key));
            }

            if (period.Kind == PeriodKind.Year)
            {
                Row(CoverageBasis.Quarters, Own(targets, Enumerable.Range(1, 4).Select(q => Period.OfQuarter(period.Year, q)), key));
            }

            if (period.Kind != PeriodKind.Month)
            {
                Row(CoverageBasis.Months, Own(targets, period.Months, key));
            }

            void Row(CoverageBasis basis, (int Parts, long Must, long Stretch) sum)
            {
                if (sum.Parts <= 0)
                {
                    return;
                }

                list.Add(new TargetCoverage(
                    key.Metric, basis, top.MustAchieve, top.Stretch, sum.Parts, sum.Must, sum.Stretch,
                    top.MustAchieve - sum.Must, top.Stretch - sum.Stretch, sum.Must < top.MustAchieve, key.Dimension));
            }
        }

        return list;
    }

    private static (int Parts, long Must, long Stretch) Own(TargetBook targets, IEnumerable<Period> parts, TargetKey key)
    {
        var count = 0;
        Int128 must = 0, stretch = 0;
        foreach (var p in parts)
        {
            if (targets.Get(key with { Period = p }) is { } t)
            {
                count++;
                must += t.MustAchieve;
                stretch += t.Stretch;
            }
        }

        return (count, Clamp(must), Clamp(stretch));
    }
}

/// <summary>
/// Tracks which targets of one scope are uncovered by a bottom-up split and raises a <see cref="AlertKind.PlanUncovered"/>
/// alert when one becomes uncovered (edge-triggered, like <see cref="PaceTracker"/>); re-armed when covered again or when
/// the split is gone.
/// </summary>
public sealed class CoverageTracker
{
    private readonly HashSet<(TargetKey Target, CoverageBasis Basis)> _uncovered = new();

    public IReadOnlyCollection<(TargetKey Target, CoverageBasis Basis)> Uncovered => _uncovered;

    /// <summary>The uncovered set in enumeration order; compacts it (see <see cref="Snapshots"/>).</summary>
    internal List<CoverageEntry> ToMemento() =>
        Snapshots.Compact(_uncovered)
            .Select(u => new CoverageEntry(u.Target.Period.Code, u.Target.Metric, u.Basis, u.Target.Dimension.Kind, u.Target.Dimension.IsNone ? null : u.Target.Dimension.Value))
            .ToList();

    /// <summary>Restores the uncovered set of a snapshot into this empty tracker (null: none).</summary>
    internal void Restore(List<CoverageEntry>? entries)
    {
        foreach (var e in entries ?? [])
        {
            var target = new TargetKey(new Period(e.Period), e.Metric, TargetDimension.Of(e.DimensionKind, e.DimensionValue));
            if (!_uncovered.Add((target, e.Basis)))
            {
                throw new InvalidDataException($"Corrupt snapshot: uncovered plan {target} {e.Basis} is listed twice.");
            }
        }
    }

    /// <summary>Compares every target of the scope with its splits and alerts the ones that became uncovered.</summary>
    public List<Alert> Check(string subjectId, string scopeId, bool isRegion, TargetBook targets, FigureSet figures, DateTimeOffset now)
    {
        var alerts = new List<Alert>();
        var seen = new HashSet<(TargetKey, CoverageBasis)>();
        foreach (var period in targets.All.Where(t => TargetSums.Summed(t.Key)).Select(t => t.Key.Period).Distinct().Order())
        {
            foreach (var c in TargetSums.Coverage(figures, targets, period, isRegion))
            {
                var key = (new TargetKey(period, c.Metric, c.Dimension), c.Basis);
                if (!c.Uncovered)
                {
                    continue;
                }

                seen.Add(key);
                if (_uncovered.Add(key))
                {
                    var who = isRegion ? "Region" : "Rep";
                    var what = c.Dimension.IsNone ? $"{c.Metric}" : $"{c.Metric} ({c.Dimension.Kind} {c.Dimension.Value})";
                    alerts.Add(new Alert(
                        AlertKind.PlanUncovered,
                        subjectId,
                        scopeId,
                        c.Basis.ToString(),
                        period,
                        c.Metric.ToString(),
                        c.PartsMustAchieve,
                        c.MustAchieve,
                        $"{who} {subjectId}'s {what} target for {period} is not covered by its {Describe(c.Basis)}: {c.PartsMustAchieve} of {c.MustAchieve} must-achieve ({c.Parts} with a target)",
                        now) { AboutRegion = isRegion, Dimension = c.Dimension });
                }
            }
        }

        _uncovered.RemoveWhere(k => !seen.Contains(k));
        return alerts;
    }

    private static string Describe(CoverageBasis basis) => basis switch
    {
        CoverageBasis.ChildRegions => "child regions' targets",
        CoverageBasis.Reps => "reps' targets",
        CoverageBasis.Quarters => "quarters' targets",
        _ => "months' targets",
    };
}
