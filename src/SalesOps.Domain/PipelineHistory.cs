namespace SalesOps.Domain;

/// <summary>
/// Why a deal entered or left a scope's pipeline for a period at an instant, or changed its amount while in it
/// (docs/semantics.md, "Pipeline over time"). Entries first, then the amount changes, then exits.
/// </summary>
public enum PipelineMove : byte
{
    /// <summary>Entered: the deal was opened.</summary>
    Created = 0,

    /// <summary>Entered: a won or lost deal was reopened (a stage event dated after its close).</summary>
    Reopened = 1,

    /// <summary>Entered: the deal was reassigned to the rep.</summary>
    ReassignedIn = 2,

    /// <summary>Entered: its expected close moved into the period from a later one.</summary>
    PulledIn = 3,

    /// <summary>Entered: its expected close moved into the period from an earlier one (it slipped into it).</summary>
    PushedIn = 4,

    /// <summary>Stayed in: its amount rose (by the increase).</summary>
    Increased = 5,

    /// <summary>Stayed in: its amount fell (by the decrease).</summary>
    Decreased = 6,

    /// <summary>Left: its expected close moved to a later period.</summary>
    PushedOut = 7,

    /// <summary>Left: its expected close moved to an earlier period.</summary>
    PulledOut = 8,

    /// <summary>Left: the deal was reassigned to another rep.</summary>
    ReassignedOut = 9,

    /// <summary>Left: won.</summary>
    Won = 10,

    /// <summary>Left: lost.</summary>
    Lost = 11,
}

/// <summary>The counters of pipeline movements: how a movement is keyed, and how a deal's history yields its movements.</summary>
public static class PipelineMoves
{
    /// <summary>The number of kinds of movement.</summary>
    public const int Kinds = 12;

    /// <summary>The period kinds a pipeline is kept for.</summary>
    public static readonly PeriodKind[] PeriodKinds = [PeriodKind.Month, PeriodKind.Quarter, PeriodKind.Year];

    public static bool IsEntry(PipelineMove m) => m <= PipelineMove.PushedIn;

    public static bool IsExit(PipelineMove m) => m >= PipelineMove.PushedOut;

    /// <summary>
    /// Days a pipeline's movements are counted per day before its period starts and after it ends; outside that window
    /// they are counted per month (<see cref="CountedDay"/>), so a pipeline keeps at most this many days on each side
    /// of its period plus one counter per month and kind, however long its deals stay open (ADR 0021).
    /// </summary>
    public const int DailyDays = 31;

    /// <summary>
    /// The counter of a movement item (<see cref="CreditItem.A"/> = movement | period kind &lt;&lt; 4, <see cref="CreditItem.At"/> =
    /// the instant, <see cref="CreditItem.PeriodDate"/> = the expected close): the period of that kind containing the
    /// close, and the movement, the kind and the day it is counted on (<see cref="CountedDay"/> of the instant's local
    /// day) packed into A and B (the day number's high bits above bit 6 of A, its low 16 bits in B), so a day from
    /// year 1 to 9999 fits exactly.
    /// </summary>
    public static FigureKey Key(CreditItem item, CompanyCalendar calendar)
    {
        var kind = (PeriodKind)((item.A >> 4) & 3);
        var (m, q, y) = Period.Containing(item.PeriodDate!.Value);
        var period = kind switch { PeriodKind.Month => m, PeriodKind.Quarter => q, _ => y };
        var day = CountedDay(period, calendar.LocalDate(item.At!.Value)).DayNumber;
        return new FigureKey(item.Figure, period, (short)((item.A & 0x3F) | ((day >> 16) << 6)), unchecked((short)(ushort)(day & 0xFFFF)));
    }

    /// <summary>
    /// The day a movement on local day <paramref name="day"/> is counted on in the pipeline of <paramref name="period"/>:
    /// the day itself from <see cref="DailyDays"/> days before the period's first day to <see cref="DailyDays"/> days
    /// after its last; after that, the last day of the day's month; before it, the last day of the day's month or the
    /// day before the window, whichever is earlier. Every day that is its own counted day (<see cref="IsExactDay"/>)
    /// splits the movements exactly: those counted up to it are those that happened up to it.
    /// </summary>
    public static DateOnly CountedDay(Period period, DateOnly day)
    {
        var first = period.FirstDay.AddDays(-DailyDays);
        var end = period.EndDay.AddDays(DailyDays);
        if (day >= first && day < end)
        {
            return day;
        }

        var monthEnd = new DateOnly(day.Year, day.Month, DateTime.DaysInMonth(day.Year, day.Month));
        var beforeWindow = first.AddDays(-1);
        return day < first && beforeWindow < monthEnd ? beforeWindow : monthEnd;
    }

    /// <summary>
    /// Whether a waterfall of <paramref name="period"/> can start or end at the end of <paramref name="day"/> exactly:
    /// a day of the daily window, a month's last day, or the day before the window.
    /// </summary>
    public static bool IsExactDay(Period period, DateOnly day) => CountedDay(period, day) == day;

    /// <summary>The movement and the local day of a movement counter's key.</summary>
    public static (PipelineMove Move, DateOnly Day) Decode(FigureKey key) =>
        ((PipelineMove)(key.A & 0xF), DateOnly.FromDayNumber(((key.A >> 6) << 16) | (ushort)key.B));

    internal static CreditItem Item(Figure figure, PipelineMove move, PeriodKind kind, long value, DateTimeOffset at, DateOnly close) =>
        new(figure, (short)((int)move | ((int)kind << 4)), 0, value, at, close);
}

/// <summary>
/// What one accepted deal event set, for the pipeline history: the registers it offered (null: not offered). Packed
/// to 40 bytes (a deal keeps one per event in its de-dup window; ADR 0021): the instant as UTC ticks, the stage and
/// the close day offset by one so that 0 means not offered.
/// </summary>
public readonly struct DealStep
{
    private const byte OpensFlag = 1, AmountFlag = 2;

    private readonly long _utcTicks;
    private readonly string _eventId;
    private readonly string? _owner;
    private readonly long _amount;
    private readonly int _closePlusOne;
    private readonly short _stagePlusOne;
    private readonly byte _flags;

    public DealStep(EventStamp stamp, bool opens, int? stage, long? amount, string? owner, DateOnly? close)
    {
        _utcTicks = stamp.At.UtcTicks;
        _eventId = stamp.EventId;
        _owner = owner;
        _amount = amount ?? 0;
        _closePlusOne = close is { } c ? c.DayNumber + 1 : 0;
        _stagePlusOne = stage is { } st ? checked((short)(st + 1)) : (short)0;
        _flags = (byte)((opens ? OpensFlag : 0) | (amount.HasValue ? AmountFlag : 0));
    }

    /// <summary>The event's instant (in UTC) and id: the step's place in last-writer-wins order.</summary>
    public EventStamp Stamp => new(new DateTimeOffset(_utcTicks, TimeSpan.Zero), _eventId);

    /// <summary>The instant in UTC ticks (compared without building the stamp).</summary>
    public long UtcTicks => _utcTicks;

    /// <summary>The event opened the deal.</summary>
    public bool Opens => (_flags & OpensFlag) != 0;

    public int? Stage => _stagePlusOne == 0 ? null : _stagePlusOne - 1;

    public long? Amount => (_flags & AmountFlag) != 0 ? _amount : null;

    public string? Owner => _owner;

    public DateOnly? Close => _closePlusOne == 0 ? null : DateOnly.FromDayNumber(_closePlusOne - 1);
}

/// <summary>A deal as the pipeline sees it at an instant: whether it exists yet, and its registers then.</summary>
public record struct DealPoint(bool Exists, int Stage, long Amount, string? Owner, DateOnly Close)
{
    public readonly bool InPipeline(StageTable stages) => Exists && stages.IsOpen(Stage);

    /// <summary>Takes a step's offers (the steps are applied in stamp order, so the last offer of a register stands).</summary>
    public void Take(in DealStep step)
    {
        Exists |= step.Opens;
        Stage = step.Stage ?? Stage;
        Amount = step.Amount ?? Amount;
        Owner = step.Owner ?? Owner;
        Close = step.Close ?? Close;
    }
}

/// <summary>
/// A deal's history as far as a new event can still change it: the state at the de-dup window's horizon
/// (<see cref="Base"/>) and every step dated after it, in stamp order. A new event must be dated after the horizon
/// (docs/semantics.md, rule 3), so the movements at instants up to it are final and only the steps after it are kept:
/// the history is bounded by the window, like the deal's event ids (ADR 0019).
/// </summary>
public struct PipelineHistory
{
    private DealStep[]? _steps;
    private int _count;

    /// <summary>The deal's state at the horizon (not existing while nothing was folded).</summary>
    public DealPoint Base { get; private set; }

    /// <summary>Steps kept after the horizon (for tests of the bound).</summary>
    public readonly int StepsKept => _count;

    public readonly ReadOnlySpan<DealStep> Steps => _steps.AsSpan(0, _count);

    /// <summary>Places a step in stamp order.</summary>
    public void Add(in DealStep step)
    {
        if (_steps is null || _count == _steps.Length)
        {
            Array.Resize(ref _steps, Math.Max(1, _count * 2));
        }

        var at = _count;
        while (at > 0 && _steps[at - 1].Stamp > step.Stamp)
        {
            at--;
        }

        Array.Copy(_steps, at, _steps, at + 1, _count - at);
        _steps[at] = step;
        _count++;
    }

    /// <summary>Folds the steps dated at or before <paramref name="horizon"/> into <see cref="Base"/>: no event can be placed before them.</summary>
    public void Forget(DateTimeOffset? horizon)
    {
        if (horizon is not { } h || _count == 0 || _steps![0].UtcTicks > h.UtcTicks)
        {
            return;
        }

        var state = Base;
        var folded = 0;
        while (folded < _count && _steps[folded].UtcTicks <= h.UtcTicks)
        {
            state.Take(_steps[folded++]);
        }

        Base = state;
        Array.Copy(_steps, folded, _steps, 0, _count - folded);
        Array.Clear(_steps, _count - folded, folded);
        _count -= folded;
        if (_count == 0)
        {
            _steps = null;
        }
    }

    /// <summary>Restores a history from a snapshot.</summary>
    public static PipelineHistory Restore(DealPoint @base, IEnumerable<DealStep> steps)
    {
        var history = new PipelineHistory { Base = @base };
        foreach (var s in steps)
        {
            history.Add(s);
        }

        return history;
    }

    /// <summary>
    /// Every movement of the kept steps, as credit items for the rep each belongs to (the owner before an exit, after
    /// an entry), added to <paramref name="into"/> with <paramref name="sign"/>: at each instant with steps, the state
    /// after all of them against the state before.
    /// </summary>
    public readonly void Moves(StageTable stages, int sign, Dictionary<(string Rep, CreditItem Item), long> into)
    {
        var state = Base;
        var i = 0;
        while (i < _count)
        {
            var ticks = _steps![i].UtcTicks;
            var before = state;
            while (i < _count && _steps[i].UtcTicks == ticks)
            {
                state.Take(_steps[i++]);
            }

            Classify(before, state, new DateTimeOffset(ticks, TimeSpan.Zero), stages, sign, into);
        }
    }

    private static void Classify(DealPoint before, DealPoint after, DateTimeOffset at, StageTable stages, int sign, Dictionary<(string, CreditItem), long> into)
    {
        var wasIn = before.InPipeline(stages);
        var isIn = after.InPipeline(stages);
        if (!wasIn && !isIn)
        {
            return;
        }

        var sameOwner = string.Equals(before.Owner, after.Owner, StringComparison.Ordinal);
        foreach (var kind in PipelineMoves.PeriodKinds)
        {
            var from = PeriodOf(before.Close, kind);
            var to = PeriodOf(after.Close, kind);
            if (wasIn && isIn && sameOwner && from == to)
            {
                var change = after.Amount - before.Amount;
                if (change != 0)
                {
                    Add(into, after.Owner ?? "", change > 0 ? PipelineMove.Increased : PipelineMove.Decreased, kind, Math.Abs(change), at, after.Close, sign);
                }

                continue;
            }

            if (wasIn)
            {
                var exit = after.Stage == stages.WonIndex ? PipelineMove.Won
                    : after.Stage == stages.LostIndex ? PipelineMove.Lost
                    : !sameOwner ? PipelineMove.ReassignedOut
                    : to > from ? PipelineMove.PushedOut : PipelineMove.PulledOut;
                Add(into, before.Owner ?? "", exit, kind, before.Amount, at, before.Close, sign);
            }

            if (isIn)
            {
                var entry = !before.Exists ? PipelineMove.Created
                    : !stages.IsOpen(before.Stage) ? PipelineMove.Reopened
                    : !sameOwner ? PipelineMove.ReassignedIn
                    : from > to ? PipelineMove.PulledIn : PipelineMove.PushedIn;
                Add(into, after.Owner ?? "", entry, kind, after.Amount, at, after.Close, sign);
            }
        }
    }

    private static Period PeriodOf(DateOnly close, PeriodKind kind)
    {
        var (m, q, y) = Period.Containing(close);
        return kind switch { PeriodKind.Month => m, PeriodKind.Quarter => q, _ => y };
    }

    private static void Add(Dictionary<(string, CreditItem), long> into, string rep, PipelineMove move, PeriodKind kind, long amount, DateTimeOffset at, DateOnly close, int sign)
    {
        Accumulate(into, (rep, PipelineMoves.Item(Figure.PipelineMoveAmount, move, kind, 0, at, close)), sign * amount);
        Accumulate(into, (rep, PipelineMoves.Item(Figure.PipelineMoveCount, move, kind, 0, at, close)), sign);
    }

    private static void Accumulate(Dictionary<(string, CreditItem), long> into, (string, CreditItem) key, long value)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(into, key, out _);
        slot += value;
    }
}
