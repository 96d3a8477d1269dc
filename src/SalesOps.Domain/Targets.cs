namespace SalesOps.Domain;

/// <summary>Must-achieve (确保) and stretch (力争) levels of one target.</summary>
public readonly record struct TargetLevels(long MustAchieve, long Stretch);

/// <summary>Targets of one scope (a rep or a region), last-writer-wins per period and metric.</summary>
public sealed class TargetBook
{
    private readonly Dictionary<(Period Period, TargetMetric Metric), Lww<TargetLevels>> _targets = new();

    public int Count => _targets.Count;

    public IEnumerable<(Period Period, TargetMetric Metric, TargetLevels Levels)> All =>
        _targets.Select(kv => (kv.Key.Period, kv.Key.Metric, kv.Value.Value));

    public TargetLevels? Get(Period period, TargetMetric metric) =>
        _targets.TryGetValue((period, metric), out var t) ? t.Value : null;

    /// <summary>Offers a target; returns whether it is now the one in force.</summary>
    public bool Offer(TargetSet e)
    {
        var key = (e.Period, e.Metric);
        _targets.TryGetValue(key, out var reg);
        var taken = reg.Offer(new TargetLevels(e.MustAchieve, e.Stretch), new EventStamp(e.OccurredAt, e.EventId));
        _targets[key] = reg;
        return taken;
    }

    /// <summary>Restores a target as it was (for snapshots and read models).</summary>
    public void Put(Period period, TargetMetric metric, TargetLevels levels, EventStamp stamp)
    {
        var reg = default(Lww<TargetLevels>);
        reg.Offer(levels, stamp);
        _targets[(period, metric)] = reg;
    }

    /// <summary>Every target with its register, in enumeration order (targets are never removed, so no compaction).</summary>
    internal List<TargetEntry> ToMemento()
    {
        var list = new List<TargetEntry>(_targets.Count);
        foreach (var (key, reg) in _targets)
        {
            list.Add(new TargetEntry(key.Period.Code, key.Metric, reg.Value.MustAchieve, reg.Value.Stretch, reg.Stamp.At, reg.Stamp.EventId, reg.HasValue));
        }

        return list;
    }

    /// <summary>Restores the targets of a snapshot into this empty book, registers exactly as they were.</summary>
    internal void Restore(List<TargetEntry> entries)
    {
        foreach (var e in entries)
        {
            var reg = Snapshots.Register(new TargetLevels(e.MustAchieve, e.Stretch), e.At, e.EventId, e.HasValue);
            if (!_targets.TryAdd((new Period(e.Period), e.Metric), reg))
            {
                throw new InvalidDataException($"Corrupt snapshot: target {e.Metric} {e.Period} is listed twice.");
            }
        }
    }

    /// <summary>The actual figure a target metric is measured against.</summary>
    public static long Actual(FigureSet figures, Period period, TargetMetric metric) => metric switch
    {
        TargetMetric.Bookings => figures.Get(Figure.Bookings, period),
        TargetMetric.Collections => figures.Get(Figure.Collections, period),
        TargetMetric.Activities => ActivityTotal(figures, period),
        TargetMetric.NewCustomers => figures.Get(Figure.NewCustomers, period),
        _ => 0,
    };

    /// <summary>All activities of all types and time categories in a period.</summary>
    public static long ActivityTotal(FigureSet figures, Period period)
    {
        long total = 0;
        for (short t = 0; t < 5; t++)
        {
            for (short c = 0; c < 5; c++)
            {
                total += figures.Get(Figure.ActivityCount, period, t, c);
            }
        }

        return total;
    }
}
