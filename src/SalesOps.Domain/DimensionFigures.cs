namespace SalesOps.Domain;

/// <summary>
/// Key of a counter for one dimension value (docs/semantics.md, "Targets by dimension"): bookings, gross margin or
/// collections of one product line, channel or customer in a period, or a slot of the target sums of a target by
/// dimension (<see cref="A"/> and <see cref="B"/> as in <see cref="FigureKey"/>, else 0). Kept beside the plain
/// counters, since a value is a string that does not fit in a <see cref="FigureKey"/>.
/// </summary>
public readonly record struct DimensionFigureKey(Figure Figure, Period Period, DimensionKind Kind, string Value, short A = 0, short B = 0);

/// <summary>The dimension counters of a <see cref="FigureSet"/>: a second, usually empty, map of the same additive kind.</summary>
public sealed partial class FigureSet
{
    /// <summary>Null until a dimension counter is added: most sets (deltas, open pipeline) never have one.</summary>
    private Dictionary<DimensionFigureKey, long>? _dimensions;

    /// <summary>The dimension counters (empty when there are none).</summary>
    public IReadOnlyDictionary<DimensionFigureKey, long> Dimensions =>
        _dimensions ?? (IReadOnlyDictionary<DimensionFigureKey, long>)EmptyDimensions;

    private static readonly Dictionary<DimensionFigureKey, long> EmptyDimensions = new();

    public int DimensionCount => _dimensions?.Count ?? 0;

    /// <summary>No counter of either kind.</summary>
    public bool IsEmpty => _values.Count == 0 && DimensionCount == 0;

    public long Get(DimensionFigureKey key) => _dimensions?.GetValueOrDefault(key) ?? 0;

    public void Add(DimensionFigureKey key, long delta)
    {
        if (delta == 0)
        {
            return;
        }

        var map = _dimensions ??= new Dictionary<DimensionFigureKey, long>();
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
        slot += delta;
        if (slot == 0)
        {
            map.Remove(key);
        }
    }

    /// <summary>
    /// The periods a dimension item counts in, written to <paramref name="periods"/> (at least three long): month, quarter
    /// and year, but a customer's quarter and year only (the bound on per-customer memory). Returns how many.
    /// </summary>
    public static int DimensionPeriods(CreditItem item, CompanyCalendar calendar, Span<Period> periods)
    {
        var date = item.At is { } at ? calendar.LocalDate(at) : item.PeriodDate ?? throw new InvalidOperationException("A dimension item is dated.");
        var (m, q, y) = Period.Containing(date);
        var n = 0;
        if (item.DimensionKind != DimensionKind.Customer)
        {
            periods[n++] = m;
        }

        periods[n++] = q;
        periods[n++] = y;
        return n;
    }

    private void AddDimensions(FigureSet other, int sign)
    {
        if (other._dimensions is null)
        {
            return;
        }

        foreach (var (k, v) in other._dimensions)
        {
            Add(k, sign * v);
        }
    }

    private bool DimensionsEqual(FigureSet other)
    {
        if (DimensionCount != other.DimensionCount)
        {
            return false;
        }

        foreach (var (k, v) in Dimensions)
        {
            if (other.Get(k) != v)
            {
                return false;
            }
        }

        return true;
    }

    private IEnumerable<string> DimensionDifferences(FigureSet other)
    {
        foreach (var k in Dimensions.Keys.Union(other.Dimensions.Keys))
        {
            var a = Get(k);
            var b = other.Get(k);
            if (a != b)
            {
                yield return $"{k.Figure} {k.Period} {k.Kind}={k.Value}: {a} vs {b}";
            }
        }
    }

    private void DimensionsToMemento(List<FigureEntry> list)
    {
        if (_dimensions is null)
        {
            return;
        }

        foreach (var (k, v) in Snapshots.Compact(_dimensions))
        {
            list.Add(new FigureEntry(k.Figure, k.Period.Code, k.A, k.B, v, k.Kind, k.Value));
        }
    }
}
