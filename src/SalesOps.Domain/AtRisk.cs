namespace SalesOps.Domain;

/// <summary>
/// When an open deal counts as at risk (docs/semantics.md, "Deals that stall or slip"): stalled after a number of
/// whole days without stage movement (per stage, else <see cref="DefaultStallDays"/>), slipping once pushed out more
/// than <see cref="PushLimit"/> times. Overdue needs no setting: the expected close date has passed.
/// </summary>
/// <param name="DefaultStallDays">Days without stage movement after which a deal in a stage without its own setting is stalled.</param>
/// <param name="StallDaysByStage">Per open stage id, its own number of days.</param>
/// <param name="PushLimit">A deal pushed out more than this many times is slipping.</param>
public sealed record AtRiskRules(int DefaultStallDays, IReadOnlyDictionary<string, int> StallDaysByStage, int PushLimit)
{
    /// <summary>
    /// 30 days in any stage (a month without a step is what a weekly pipeline review asks about) and more than two
    /// pushes (a deal moved into a later month a third time is no longer a forecast).
    /// </summary>
    public static AtRiskRules Default { get; } = new(30, new Dictionary<string, int>(StringComparer.Ordinal), 2);

    public int StallDaysFor(string stageId) => StallDaysByStage.TryGetValue(stageId, out var days) ? days : DefaultStallDays;
}

/// <summary>Which of the three at-risk conditions hold for a deal.</summary>
[Flags]
public enum RiskConditions : byte
{
    None = 0,

    /// <summary>No stage movement for the stage's stall days or longer.</summary>
    Stalled = 1,

    /// <summary>The expected close date is before today's local date, and the deal is still open.</summary>
    Overdue = 2,

    /// <summary>Pushed out (expected close moved into a later month) more times than the limit.</summary>
    Slipping = 4,
}

/// <summary>An open deal's at-risk figures at one instant.</summary>
/// <param name="DaysInStage">Whole days of 24 hours since the stage register's <c>occurred_at</c> (0 when that is later than now).</param>
/// <param name="StallDays">The stall threshold of the deal's stage.</param>
/// <param name="DaysOverdue">Local days from the expected close date to today; 0 or less when not overdue.</param>
/// <param name="Pushes">How many times the deal was pushed out.</param>
public readonly record struct DealRisk(RiskConditions Conditions, int DaysInStage, int StallDays, DateOnly ExpectedClose, int DaysOverdue, int Pushes)
{
    public static DealRisk Of(
        DateTimeOffset stageAt, string stageId, DateOnly expectedClose, int pushes, AtRiskRules rules, CompanyCalendar calendar, DateTimeOffset now)
    {
        var days = now <= stageAt ? 0 : (int)Math.Min(int.MaxValue, (now - stageAt).Ticks / TimeSpan.TicksPerDay);
        var stall = rules.StallDaysFor(stageId);
        var overdue = calendar.LocalDate(now).DayNumber - expectedClose.DayNumber;
        var conditions = (days >= stall ? RiskConditions.Stalled : RiskConditions.None)
            | (overdue > 0 ? RiskConditions.Overdue : RiskConditions.None)
            | (pushes > rules.PushLimit ? RiskConditions.Slipping : RiskConditions.None);
        return new DealRisk(conditions, days, stall, expectedClose, overdue, pushes);
    }
}

/// <summary>
/// How many times a deal was pushed out: of the deal's accepted events that set its expected close (the opening, and
/// stage changes that carry a date), taken in last-writer-wins order (<see cref="EventStamp"/>), each one whose date
/// falls in a later calendar month than the one before it is a push. A function of the set of accepted events, kept
/// incrementally: a late event is inserted where its stamp puts it, and the count gains what its two new neighbour
/// pairs give minus what the pair it split gave (an insertion never lowers it).
/// </summary>
/// <remarks>
/// Only settings the deal could still receive an event before need keeping: a new event is dated after the de-dup
/// window's horizon (docs/semantics.md, rule 3), so a setting that has a successor dated at or before the horizon can
/// never gain a new neighbour and is dropped (its pushes stay counted). What is kept is therefore bounded by the
/// window, like the ids the deal remembers.
/// </remarks>
public sealed class CloseHistory
{
    private readonly List<(EventStamp Stamp, int Month)> _settings = new(2);

    public int Pushes { get; private set; }

    /// <summary>Settings kept (for tests of the bound).</summary>
    public int Kept => _settings.Count;

    /// <summary>Month number of a date, comparable across years.</summary>
    public static int MonthOf(DateOnly date) => (date.Year * 12) + date.Month - 1;

    public void Offer(EventStamp stamp, DateOnly close)
    {
        var month = MonthOf(close);
        var at = _settings.Count;
        while (at > 0 && _settings[at - 1].Stamp > stamp)
        {
            at--;
        }

        var before = at > 0 ? _settings[at - 1].Month : (int?)null;
        var after = at < _settings.Count ? _settings[at].Month : (int?)null;
        if (before is { } b && after is { } a && a > b)
        {
            Pushes--;
        }

        if (before is { } b2 && month > b2)
        {
            Pushes++;
        }

        if (after is { } a2 && a2 > month)
        {
            Pushes++;
        }

        _settings.Insert(at, (stamp, month));
    }

    /// <summary>Drops the settings no new event can be placed before (see the remarks).</summary>
    public void Forget(DateTimeOffset? horizon)
    {
        if (horizon is not { } h)
        {
            return;
        }

        var drop = 0;
        while (drop + 1 < _settings.Count && _settings[drop + 1].Stamp.At <= h)
        {
            drop++;
        }

        if (drop > 0)
        {
            _settings.RemoveRange(0, drop);
        }
    }

    internal CloseHistoryMemento ToMemento() => new(
        Pushes,
        _settings.Select(s => s.Stamp.At).ToArray(),
        _settings.Select(s => s.Stamp.EventId).ToArray(),
        _settings.Select(s => s.Month).ToArray());

    internal static CloseHistory FromMemento(CloseHistoryMemento m)
    {
        if (m.At.Length != m.EventIds.Length || m.At.Length != m.Months.Length || m.Pushes < 0)
        {
            throw new InvalidDataException("Corrupt opportunity snapshot: its close history's columns differ in length or its push count is negative.");
        }

        var history = new CloseHistory { Pushes = m.Pushes };
        for (var i = 0; i < m.At.Length; i++)
        {
            history._settings.Add((new EventStamp(m.At[i], m.EventIds[i]), m.Months[i]));
        }

        return history;
    }

    /// <summary>
    /// A deal restored from a snapshot written before close histories were kept: its earlier settings are unknown, so
    /// it counts pushes from its current expected close on (the one setting that stands).
    /// </summary>
    internal static CloseHistory StartingAt(Lww<DateOnly> close)
    {
        var history = new CloseHistory();
        if (close.HasValue)
        {
            history._settings.Add((close.Stamp, MonthOf(close.Value)));
        }

        return history;
    }
}

/// <summary>
/// Which at-risk alerts a deal has raised, so each is raised once (edge-triggered, like <see cref="PaceTracker"/>):
/// a stall alert for one stage movement (re-armed when the stage register takes a new event), an overdue alert for one
/// expected close date (re-armed when the date changes), a slipping alert once; all three re-armed when the deal is
/// found won or lost.
/// </summary>
internal struct RiskAlertState
{
    public EventStamp? StalledFor;
    public DateOnly? OverdueFor;
    public bool Slipping;

    public readonly bool IsEmpty => StalledFor is null && OverdueFor is null && !Slipping;
}
