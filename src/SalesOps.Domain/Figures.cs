namespace SalesOps.Domain;

/// <summary>
/// The additive counters every live figure is derived from. All of them are sums, so they roll up rep → region →
/// parent → company by addition and can be retracted by subtraction; ratios (win rate, attainment, averages)
/// are computed from them when read.
/// </summary>
public enum Figure : byte
{
    /// <summary>Open deals now at stage A (count). No period.</summary>
    PipelineCount = 0,

    /// <summary>Open amount now at stage A. No period.</summary>
    PipelineAmount = 1,

    /// <summary>Open amount at stage A whose expected close falls in the period.</summary>
    OpenByClose = 2,

    /// <summary>Deals that have ever reached stage A (or beyond). No period; A = open-stage count means won.</summary>
    Reached = 3,

    /// <summary>Signed amount of deals won in the period.</summary>
    Bookings = 4,

    WonCount = 5,
    LostCount = 6,
    LostAmount = 7,

    /// <summary>Σ seconds from opened to won, for deals won in the period.</summary>
    CycleSeconds = 8,

    /// <summary>Cash received in the period.</summary>
    Collections = 9,

    /// <summary>Activities of type A in time category B in the period.</summary>
    ActivityCount = 10,

    /// <summary>Minutes of activity in time category B in the period.</summary>
    ActivityMinutes = 11,

    /// <summary>
    /// Customers whose first order (their earliest deal standing won) was won in the period, credited like that deal's
    /// booking. Sent by the customer, which alone sees all of its orders.
    /// </summary>
    NewCustomers = 12,

    /// <summary>Amount of those first orders: the new-customer part of <see cref="Bookings"/>.</summary>
    NewCustomerBookings = 13,

    /// <summary>
    /// Gross margin of deals won in the period: Σ (amount − cost) over won deals that carry a cost (docs/semantics.md,
    /// "Gross margin"). Signed: a deal sold below cost lowers it.
    /// </summary>
    GrossMargin = 14,

    /// <summary>
    /// Σ of the targets of the reps counted in a scope (A = metric, B = slot: see <see cref="TargetSums"/>): a current
    /// item of each rep, so a region holds its reps' and its sub-regions' reps'. Period = the target's period.
    /// </summary>
    RepTargets = 15,

    /// <summary>
    /// Σ of the own targets of a region's direct child regions (A = metric, B = slot: see <see cref="TargetSums"/>):
    /// sent by a child to its parent only, never rolled further up.
    /// </summary>
    ChildRegionTargets = 16,

    /// <summary>
    /// A region's own targets as it counted them in its parent's <see cref="ChildRegionTargets"/> (same slots); kept so
    /// that a change retracts exactly what was sent. Not rolled up.
    /// </summary>
    SentTargets = 17,

    /// <summary>
    /// Activities naming a customer, in the period, by <see cref="CustomerGroup"/> (A): each counts once in its account
    /// group and once in its age group. Sent by the customer, which alone knows its key-account flag and first order.
    /// </summary>
    CustomerActivityCount = 24,

    /// <summary>Minutes of those activities, by <see cref="CustomerGroup"/> (A).</summary>
    CustomerActivityMinutes = 25,

    /// <summary>
    /// Deals opened in the period (of their opening's local date), credited as a current item to the deal's owner
    /// now: the opportunity trend of the rep, and of the reps now in a region.
    /// </summary>
    OpenedCount = 26,

    /// <summary>
    /// Amount of one kind of pipeline movement (<see cref="PipelineMove"/>) on one local day, into or out of the pipeline
    /// closing in the period (month, quarter or year of the expected close); A and B encode the movement, the period's
    /// kind and the day (<see cref="PipelineMoves"/>). A current item, credited to the deal's owner at the movement.
    /// </summary>
    PipelineMoveAmount = 27,

    /// <summary>Number of those movements (deals entering or leaving, or amount changes).</summary>
    PipelineMoveCount = 28,

    /// <summary>
    /// Change of the team's headcount at the end of the month (month periods only): +1 in the month a rep's
    /// membership of the region begins, -1 in the month it ends (a move or a leave); the headcount of a month is the
    /// sum over it and every earlier month (<see cref="TeamHeadcount"/>).
    /// </summary>
    Headcount = 29,

    /// <summary>
    /// Deals closed in the period with at least one activity logged against them dated at or before the close, by
    /// activity-load bucket (A, <see cref="ActivityLoad"/>) and outcome (B: <see cref="ActivityLoad.Won"/> or
    /// <see cref="ActivityLoad.Lost"/>), credited like the deal's won or lost count. Sent by the deal book, which alone
    /// joins a deal's activities with its outcome (<see cref="DealActivities"/>).
    /// </summary>
    ClosedByActivityLoad = 30,
}

/// <summary>Key of one counter: which figure, which period, and up to two small dimensions (stage, type, category).</summary>
public readonly record struct FigureKey(Figure Figure, Period Period, short A, short B);

/// <summary>
/// A contribution to counters as sent from where it arises (an opportunity, a rep's activity) to the rep it is
/// credited to. <see cref="At"/> set: a historical item, which counts in the periods of <see cref="At"/> and in the
/// region the rep belonged to then. <see cref="At"/> null: a current item (open pipeline), which counts in the
/// rep's current region and, when <see cref="PeriodDate"/> is set, in the periods of that date.
/// </summary>
/// <param name="DimensionKind">Set for a dimension item: the counter of one product line, channel or customer.</param>
/// <param name="DimensionValue">That dimension's value (non-empty for a dimension item).</param>
public readonly record struct CreditItem(
    Figure Figure,
    short A,
    short B,
    long Value,
    DateTimeOffset? At,
    DateOnly? PeriodDate,
    DimensionKind DimensionKind = DimensionKind.None,
    string? DimensionValue = null)
{
    /// <summary>
    /// Dated and counted where the rep was then. The pipeline-over-time figures carry a date too (the opening, the
    /// movement) but are current items: they follow the deal's owner now, or the owner of the movement, wherever that
    /// rep is (docs/semantics.md, "Pipeline over time").
    /// </summary>
    public bool IsHistorical => At.HasValue && !IsDatedCurrent(Figure);

    /// <summary>Current items that carry an instant (<see cref="Figure.OpenedCount"/> and the pipeline movements).</summary>
    public static bool IsDatedCurrent(Figure f) => f is Figure.OpenedCount or Figure.PipelineMoveAmount or Figure.PipelineMoveCount;

    public bool IsDimension => DimensionKind != DimensionKind.None;

    public CreditItem Negate() => this with { Value = -Value };
}

/// <summary>A sparse set of counters. Zero counters are removed so two sets compare equal by content.</summary>
public sealed partial class FigureSet
{
    private readonly Dictionary<FigureKey, long> _values;

    public FigureSet() => _values = new();

    /// <summary>A set with room for <paramref name="capacity"/> counters before it regrows.</summary>
    public FigureSet(int capacity) => _values = new(capacity);

    public int Count => _values.Count;
    public IReadOnlyDictionary<FigureKey, long> Values => _values;

    /// <summary>The counters, for <c>foreach</c> without boxing an enumerator.</summary>
    public Dictionary<FigureKey, long>.Enumerator GetEnumerator() => _values.GetEnumerator();

    public long this[FigureKey key] => _values.GetValueOrDefault(key);

    public long Get(Figure figure, Period period = default, short a = 0, short b = 0) =>
        _values.GetValueOrDefault(new FigureKey(figure, period, a, b));

    public void Add(FigureKey key, long delta)
    {
        if (delta == 0)
        {
            return;
        }

        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_values, key, out _);
        slot += delta;
        if (slot == 0)
        {
            _values.Remove(key);
        }
    }

    public void AddAll(FigureSet other, int sign = 1)
    {
        foreach (var (k, v) in other._values)
        {
            Add(k, sign * v);
        }

        AddDimensions(other, sign);
    }

    public void AddAll(IEnumerable<KeyValuePair<FigureKey, long>> entries)
    {
        foreach (var (k, v) in entries)
        {
            Add(k, v);
        }
    }

    public void Clear()
    {
        _values.Clear();
        _dimensions = null;
    }

    public FigureSet Clone()
    {
        var c = new FigureSet();
        c.AddAll(this);
        return c;
    }

    public bool ContentEquals(FigureSet other)
    {
        if (other._values.Count != _values.Count || !DimensionsEqual(other))
        {
            return false;
        }

        foreach (var (k, v) in _values)
        {
            if (other._values.GetValueOrDefault(k) != v)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>All counters in enumeration order, for a snapshot; compacts the map (see <see cref="Snapshots"/>).</summary>
    internal List<FigureEntry> ToMemento()
    {
        var entries = Snapshots.Compact(_values);
        var list = new List<FigureEntry>(entries.Length);
        foreach (var (k, v) in entries)
        {
            list.Add(new FigureEntry(k.Figure, k.Period.Code, k.A, k.B, v));
        }

        DimensionsToMemento(list);
        return list;
    }

    /// <summary>Restores the counters of a snapshot into this empty set, in their order.</summary>
    internal void Restore(List<FigureEntry> entries)
    {
        _values.EnsureCapacity(entries.Count);
        foreach (var e in entries)
        {
            if (e.K != DimensionKind.None)
            {
                var key = new DimensionFigureKey(e.F, new Period(e.P), e.K, e.S ?? "", e.A, e.B);
                if (e.V == 0 || Get(key) != 0)
                {
                    throw new InvalidDataException($"Corrupt snapshot: figure {e.F} {e.P} {e.K}={e.S} is zero or listed twice.");
                }

                Add(key, e.V);
                continue;
            }

            if (e.V == 0 || !_values.TryAdd(new FigureKey(e.F, new Period(e.P), e.A, e.B), e.V))
            {
                throw new InvalidDataException($"Corrupt snapshot: figure {e.F} {e.P} {e.A}/{e.B} is zero or listed twice.");
            }
        }
    }

    /// <summary>Keys whose values differ between two sets, for test diagnostics.</summary>
    public IEnumerable<string> Differences(FigureSet other)
    {
        foreach (var k in _values.Keys.Union(other._values.Keys))
        {
            var a = _values.GetValueOrDefault(k);
            var b = other._values.GetValueOrDefault(k);
            if (a != b)
            {
                yield return $"{k.Figure} {k.Period} {k.A}/{k.B}: {a} vs {b}";
            }
        }

        foreach (var d in DimensionDifferences(other))
        {
            yield return d;
        }
    }

    /// <summary>The most counters one credit item expands into (<see cref="Expand"/>, <see cref="DimensionPeriods"/>).</summary>
    public const int MaxExpansion = 4;

    /// <summary>
    /// Expands one credit item into the keys of the counters it adds its value to: a periodic figure goes to its
    /// month, quarter and year, and an activity's count and minutes, and its direction by customer group, to its ISO week too (weeks are kept for activities only). Writes them to <paramref name="keys"/> (at least <see cref="MaxExpansion"/> long)
    /// and returns how many.
    /// </summary>
    public static int Expand(CreditItem item, CompanyCalendar calendar, Span<FigureKey> keys)
    {
        if (item.Figure is Figure.PipelineMoveAmount or Figure.PipelineMoveCount)
        {
            keys[0] = PipelineMoves.Key(item, calendar);
            return 1;
        }

        DateOnly? date = item.At is { } at ? calendar.LocalDate(at) : item.PeriodDate;
        if (date is not { } d)
        {
            keys[0] = new FigureKey(item.Figure, Period.None, item.A, item.B);
            return 1;
        }

        var (m, q, y) = Period.Containing(d);
        keys[0] = new FigureKey(item.Figure, m, item.A, item.B);
        keys[1] = new FigureKey(item.Figure, q, item.A, item.B);
        keys[2] = new FigureKey(item.Figure, y, item.A, item.B);
        if (item.Figure is not (Figure.ActivityCount or Figure.ActivityMinutes or Figure.CustomerActivityCount or Figure.CustomerActivityMinutes))
        {
            return 3;
        }

        keys[3] = new FigureKey(item.Figure, Period.WeekOf(d), item.A, item.B);
        return 4;
    }
}
