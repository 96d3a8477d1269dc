namespace SalesOps.Domain;

/// <summary>Must-achieve (确保) and stretch (力争) levels of one target.</summary>
public readonly record struct TargetLevels(long MustAchieve, long Stretch);

/// <summary>What one target is for: a period, a metric and, optionally, one value of a dimension.</summary>
public readonly record struct TargetKey(Period Period, TargetMetric Metric, TargetDimension Dimension = default)
{
    public override string ToString() => Dimension.IsNone ? $"{Metric} {Period}" : $"{Metric} {Period} {Dimension}";
}

/// <summary>Targets of one scope (a rep or a region), last-writer-wins per period, metric and dimension.</summary>
public sealed class TargetBook
{
    private readonly Dictionary<TargetKey, Lww<TargetLevels>> _targets = new();

    public int Count => _targets.Count;

    /// <summary>Every target in force, in enumeration order.</summary>
    public IEnumerable<(TargetKey Key, TargetLevels Levels)> All =>
        _targets.Select(kv => (kv.Key, kv.Value.Value));

    /// <summary>The target for the whole metric (no dimension) in a period, if set.</summary>
    public TargetLevels? Get(Period period, TargetMetric metric) => Get(new TargetKey(period, metric));

    public TargetLevels? Get(TargetKey key) => _targets.TryGetValue(key, out var t) ? t.Value : null;

    /// <summary>Offers a target; returns whether it is now the one in force.</summary>
    public bool Offer(TargetSet e)
    {
        var key = new TargetKey(e.Period, e.Metric, e.Dimension);
        _targets.TryGetValue(key, out var reg);
        var taken = reg.Offer(new TargetLevels(e.MustAchieve, e.Stretch), new EventStamp(e.OccurredAt, e.EventId));
        _targets[key] = reg;
        return taken;
    }

    /// <summary>Restores a target as it was (for snapshots and read models).</summary>
    public void Put(TargetKey key, TargetLevels levels, EventStamp stamp)
    {
        var reg = default(Lww<TargetLevels>);
        reg.Offer(levels, stamp);
        _targets[key] = reg;
    }

    /// <summary>Every target with its register, in enumeration order (targets are never removed, so no compaction).</summary>
    internal List<TargetEntry> ToMemento()
    {
        var list = new List<TargetEntry>(_targets.Count);
        foreach (var (key, reg) in _targets)
        {
            list.Add(new TargetEntry(
                key.Period.Code, key.Metric, reg.Value.MustAchieve, reg.Value.Stretch, reg.Stamp.At, reg.Stamp.EventId, reg.HasValue,
                key.Dimension.Kind, key.Dimension.IsNone ? null : key.Dimension.Value));
        }

        return list;
    }

    /// <summary>Restores the targets of a snapshot into this empty book, registers exactly as they were.</summary>
    internal void Restore(List<TargetEntry> entries)
    {
        foreach (var e in entries)
        {
            var reg = Snapshots.Register(new TargetLevels(e.MustAchieve, e.Stretch), e.At, e.EventId, e.HasValue);
            var key = new TargetKey(new Period(e.Period), e.Metric, TargetDimension.Of(e.DimensionKind, e.DimensionValue));
            if (!_targets.TryAdd(key, reg))
            {
                throw new InvalidDataException($"Corrupt snapshot: target {key} is listed twice.");
            }
        }
    }

    /// <summary>The actual figure a target for the whole metric is measured against.</summary>
    public static long Actual(FigureSet figures, Period period, TargetMetric metric) => Actual(figures, new TargetKey(period, metric));

    /// <summary>The actual figure a target is measured against: the metric in the period, for the dimension's value only if it has one.</summary>
    public static long Actual(FigureSet figures, TargetKey key)
    {
        var period = key.Period;
        if (key.Dimension.ActivityType is { } type)
        {
            return ActivityCount(figures, period, type);
        }

        if (key.Metric == TargetMetric.Activities)
        {
            return ActivityTotal(figures, period);
        }

        var figure = key.Metric switch
        {
            TargetMetric.Bookings => Figure.Bookings,
            TargetMetric.Collections => Figure.Collections,
            TargetMetric.NewCustomers => Figure.NewCustomers,
            TargetMetric.GrossMargin => Figure.GrossMargin,
            _ => throw new ArgumentOutOfRangeException(nameof(key), key.Metric, "Not a target metric."),
        };
        return key.Dimension.IsNone
            ? figures.Get(figure, period)
            : figures.Get(new DimensionFigureKey(figure, period, key.Dimension.Kind, key.Dimension.Value ?? ""));
    }

    /// <summary>All activities of all types and time categories in a period.</summary>
    public static long ActivityTotal(FigureSet figures, Period period)
    {
        long total = 0;
        for (short t = 0; t < 5; t++)
        {
            total += ActivityCount(figures, period, (ActivityType)t);
        }

        return total;
    }

    /// <summary>Activities of one type, over all time categories, in a period.</summary>
    public static long ActivityCount(FigureSet figures, Period period, ActivityType type)
    {
        long total = 0;
        for (short c = 0; c < 5; c++)
        {
            total += figures.Get(Figure.ActivityCount, period, (short)type, c);
        }

        return total;
    }
}
