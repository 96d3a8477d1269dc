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

/// <summary>
/// The instant a check or a list is made at, with its local date in the company time zone worked out once for every
/// deal (the time-zone conversion is most of what checking a deal would otherwise cost).
/// </summary>
public readonly record struct RiskInstant(DateTimeOffset Now, DateOnly Today)
{
    public static RiskInstant Of(CompanyCalendar calendar, DateTimeOffset now) => new(now, calendar.LocalDate(now));
}

/// <summary>An open deal's at-risk figures at one instant.</summary>
/// <param name="DaysInStage">Whole days of 24 hours since the stage register's <c>occurred_at</c> (0 when that is later than now).</param>
/// <param name="StallDays">The stall threshold of the deal's stage.</param>
/// <param name="DaysOverdue">Local days from the expected close date to today; 0 or less when not overdue.</param>
/// <param name="Pushes">How many times the deal was pushed out.</param>
public readonly record struct DealRisk(RiskConditions Conditions, int DaysInStage, int StallDays, DateOnly ExpectedClose, int DaysOverdue, int Pushes)
{
    public static DealRisk Of(
        DateTimeOffset stageAt, string stageId, DateOnly expectedClose, int pushes, AtRiskRules rules, RiskInstant at)
    {
        var days = at.Now <= stageAt ? 0 : (int)Math.Min(int.MaxValue, (at.Now - stageAt).Ticks / TimeSpan.TicksPerDay);
        var stall = rules.StallDaysFor(stageId);
        var overdue = at.Today.DayNumber - expectedClose.DayNumber;
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
/// <para>
/// The last setting in that order is the one the deal's expected-close register holds, so it is not kept twice: the
/// methods take the register (as it stood before the event, for <see cref="Offer"/>) and this keeps only the settings
/// before it. A deal whose close was set once (most open deals) holds no array at all.
/// </para>
/// <para>
/// Only settings the deal could still receive an event before need keeping: a new event is dated after the de-dup
/// window's horizon (docs/semantics.md, rule 3), so a setting that has a successor dated at or before the horizon can
/// never gain a new neighbour and is dropped (its pushes stay counted). What is kept is therefore bounded by the
/// window, like the ids the deal remembers.
/// </para>
/// </remarks>
public struct CloseHistory
{
    /// <summary>The settings before the last, in stamp order (the first <see cref="_count"/> slots).</summary>
    private (EventStamp Stamp, int Month)[]? _earlier;
    private int _count;

    public int Pushes { get; private set; }

    /// <summary>Settings kept before the last (for tests of the bound).</summary>
    public readonly int EarlierKept => _count;

    /// <summary>Month number of a date, comparable across years.</summary>
    public static int MonthOf(DateOnly date) => (date.Year * 12) + date.Month - 1;

    /// <summary>Takes a setting; <paramref name="last"/> is the expected-close register before it takes the same offer.</summary>
    public void Offer(EventStamp stamp, DateOnly close, in Lww<DateOnly> last)
    {
        if (!last.HasValue)
        {
            return; // the first setting: the register alone holds it
        }

        var month = MonthOf(close);
        var lastMonth = MonthOf(last.Value);
        if (stamp > last.Stamp)
        {
            Insert(_count, (last.Stamp, lastMonth));
            Pushes += month > lastMonth ? 1 : 0;
            return;
        }

        var at = _count;
        while (at > 0 && _earlier![at - 1].Stamp > stamp)
        {
            at--;
        }

        var after = at < _count ? _earlier![at].Month : lastMonth;
        if (at > 0)
        {
            var before = _earlier![at - 1].Month;
            Pushes += (month > before ? 1 : 0) - (after > before ? 1 : 0);
        }

        Pushes += after > month ? 1 : 0;
        Insert(at, (stamp, month));
    }

    private void Insert(int at, (EventStamp, int) setting)
    {
        if (_earlier is null || _count == _earlier.Length)
        {
            Array.Resize(ref _earlier, Math.Max(2, _count * 2));
        }

        Array.Copy(_earlier, at, _earlier, at + 1, _count - at);
        _earlier[at] = setting;
        _count++;
    }

    /// <summary>Drops the settings no new event can be placed before (see the remarks); <paramref name="last"/> is the register.</summary>
    public void Forget(DateTimeOffset? horizon, in Lww<DateOnly> last)
    {
        if (horizon is not { } h || _count == 0)
        {
            return;
        }

        var drop = 0;
        while (drop < _count && (drop + 1 < _count ? _earlier![drop + 1].Stamp.At : last.Stamp.At) <= h)
        {
            drop++;
        }

        if (drop == _count)
        {
            (_earlier, _count) = (null, 0);
        }
        else if (drop > 0)
        {
            Array.Copy(_earlier!, drop, _earlier!, 0, _count - drop);
            Array.Clear(_earlier!, _count - drop, drop);
            _count -= drop;
        }
    }

    /// <summary>Every setting kept, the last (the register's) included.</summary>
    internal readonly CloseHistoryMemento ToMemento(in Lww<DateOnly> last)
    {
        var all = new List<(EventStamp Stamp, int Month)>(_count + 1);
        all.AddRange(_earlier.AsSpan(0, _count).ToArray());
        if (last.HasValue)
        {
            all.Add((last.Stamp, MonthOf(last.Value)));
        }

        return new CloseHistoryMemento(
            Pushes,
            all.Select(s => s.Stamp.At).ToArray(),
            all.Select(s => s.Stamp.EventId).ToArray(),
            all.Select(s => s.Month).ToArray());
    }

    internal static CloseHistory FromMemento(CloseHistoryMemento m, in Lww<DateOnly> last)
    {
        var n = m.At.Length;
        if (m.EventIds.Length != n || m.Months.Length != n || m.Pushes < 0
            || (last.HasValue ? n == 0 || new EventStamp(m.At[n - 1], m.EventIds[n - 1]) != last.Stamp || m.Months[n - 1] != MonthOf(last.Value) : n != 0))
        {
            throw new InvalidDataException(
                "Corrupt opportunity snapshot: its close history's columns differ in length, its push count is negative, or its last setting is not the expected close it holds.");
        }

        var history = new CloseHistory { Pushes = m.Pushes };
        for (var i = 0; i < n - 1; i++)
        {
            history.Insert(i, (new EventStamp(m.At[i], m.EventIds[i]), m.Months[i]));
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
