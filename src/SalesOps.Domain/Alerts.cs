namespace SalesOps.Domain;

public enum AlertKind : byte
{
    /// <summary>A rep or region fell behind its must-achieve pace.</summary>
    BehindPace = 0,

    /// <summary>A deal at or above the configured size was won: a celebration for the office screens.</summary>
    BigDealWon = 1,

    /// <summary>A rep overtook another on a watched leaderboard.</summary>
    Overtake = 2,

    /// <summary>A rep or region runs more than the configured share behind the same period last year to date.</summary>
    BehindLastYear = 3,

    /// <summary>An open deal has had no stage movement for its stage's stall days.</summary>
    DealStalled = 4,

    /// <summary>An open deal's expected close date has passed.</summary>
    DealOverdue = 5,

    /// <summary>An open deal was pushed out more times than the limit.</summary>
    DealSlipping = 6,

    /// <summary>A rep's or region's activity plan (the planning funnel) fell behind: what is needed per day exceeds what was done per day.</summary>
    ActivityPlanBehind = 7,

    /// <summary>
    /// A target's bottom-up split (its child regions', its reps', its quarters' or months' targets) became smaller than its
    /// must-achieve; <see cref="Alert.OtherId"/> names the <see cref="CoverageBasis"/>.
    /// </summary>
    PlanUncovered = 8,
}

/// <summary>
/// An alert as raised by the domain; the alert log gives it a sequence number when it is published.
/// </summary>
/// <param name="SubjectId">The rep, region or opportunity the alert is about.</param>
/// <param name="ScopeId">
/// The region whose screens care (the rep's region, the region itself, the leaderboard's scope; for a won deal the
/// owner's region, which the alert log fills in when it publishes).
/// </param>
/// <param name="OtherId">The rep overtaken, the owner of a won deal, or the basis of an uncovered plan.</param>
public sealed record Alert(
    AlertKind Kind,
    string SubjectId,
    string ScopeId,
    string OtherId,
    Period Period,
    string Metric,
    long Actual,
    long Expected,
    string Message,
    DateTimeOffset At)
{
    /// <summary>A behind-pace or behind-last-year alert whose subject is a region (its scope is then the region itself), not a rep.</summary>
    public bool AboutRegion { get; init; }

    /// <summary>An at-risk deal's customer (empty for other kinds).</summary>
    public string CustomerId { get; init; } = "";

    /// <summary>An at-risk deal's amount (0 for other kinds).</summary>
    public long Amount { get; init; }

    /// <summary>An at-risk deal's expected close date (null for other kinds).</summary>
    public DateOnly? ExpectedClose { get; init; }

    /// <summary>A behind-pace alert's target dimension (none for a target of the whole metric and for other kinds).</summary>
    public TargetDimension Dimension { get; init; }
}

/// <summary>
/// Tracks which targets of one scope are behind their must-achieve pace, and raises an alert only when a target
/// falls behind (edge-triggered); it re-arms when the target is back on pace.
/// Pace = actual ÷ (must-achieve × elapsed share of the period).
/// </summary>
public sealed class PaceTracker
{
    private readonly HashSet<TargetKey> _behind = new();

    public IReadOnlyCollection<TargetKey> Behind => _behind;

    /// <summary>The targets held as behind, in enumeration order; compacts the set (see <see cref="Snapshots"/>).</summary>
    internal List<PaceEntry> ToMemento() =>
        Snapshots.Compact(_behind)
            .Select(b => new PaceEntry(b.Period.Code, b.Metric, b.Dimension.Kind, b.Dimension.IsNone ? null : b.Dimension.Value))
            .ToList();

    /// <summary>Restores the behind set of a snapshot into this empty tracker, in its order.</summary>
    internal void Restore(List<PaceEntry> entries)
    {
        foreach (var e in entries)
        {
            if (!_behind.Add(new TargetKey(new Period(e.Period), e.Metric, TargetDimension.Of(e.DimensionKind, e.DimensionValue))))
            {
                throw new InvalidDataException($"Corrupt snapshot: pace entry {e.Metric} {e.Period} {e.DimensionKind}={e.DimensionValue} is listed twice.");
            }
        }
    }

    public List<Alert> Check(string subjectId, string scopeId, bool isRegion, TargetBook targets, FigureSet figures, CompanyCalendar calendar, DateTimeOffset now)
    {
        var alerts = new List<Alert>();
        foreach (var (key, levels) in targets.All)
        {
            var period = key.Period;
            var elapsed = calendar.ElapsedShare(period, now);
            if (elapsed <= 0 || elapsed >= 1)
            {
                _behind.Remove(key);
                continue;
            }

            var actual = TargetBook.Actual(figures, key);
            var expected = (long)Math.Floor(levels.MustAchieve * elapsed);
            if (actual < expected)
            {
                if (_behind.Add(key))
                {
                    var who = isRegion ? "Region" : "Rep";
                    alerts.Add(new Alert(
                        AlertKind.BehindPace,
                        subjectId,
                        scopeId,
                        "",
                        period,
                        key.Metric.ToString(),
                        actual,
                        expected,
                        $"{who} {subjectId} is behind must-achieve pace for {key}: {actual} of {expected} expected by now",
                        now) { AboutRegion = isRegion, Dimension = key.Dimension });
                }
            }
            else
            {
                _behind.Remove(key);
            }
        }

        return alerts;
    }
}
