namespace SalesOps.Domain;

/// <summary>How much an entity remembers to recognise re-sent events (<see cref="EventIdWindow"/>).</summary>
/// <param name="MaxAge">
/// Ids of events dated more than this before the entity's newest event are forgotten.
/// </param>
/// <param name="MaxCount">At most this many ids per entity; beyond it the oldest-dated are forgotten first.</param>
public sealed record DedupWindow(TimeSpan MaxAge, int MaxCount)
{
    /// <summary>
    /// Two months of events, at most 4,096 per entity: CRM re-sends come within days, a month's close is revisited
    /// within weeks, and 4,096 ids (about 0.5 MB per entity) keep a rep of a busy company well inside the memory target.
    /// </summary>
    public static DedupWindow Default { get; } = new(TimeSpan.FromDays(62), 4_096);
}

/// <summary>What <see cref="EventIdWindow.Check"/> says of an incoming event.</summary>
public enum DedupVerdict : byte
{
    /// <summary>Not seen, and dated inside the window: apply it.</summary>
    New = 0,

    /// <summary>Its id was accepted before: answer DUPLICATE, change nothing.</summary>
    Duplicate = 1,

    /// <summary>
    /// An id not remembered, on an event the window would not keep: dated at or before the horizon (it may be a re-send
    /// of an event whose id was forgotten), more than <see cref="DedupWindow.MaxAge"/> before the newest, or, with the
    /// window full, at or before its oldest-dated id. Refused rather than risk counting it twice, or accepting an event
    /// whose own re-send could not be recognised.
    /// </summary>
    BeyondWindow = 2,
}

/// <summary>
/// The ids of the events an entity accepted, remembered within a window: the newest-dated, up to
/// <see cref="DedupWindow.MaxCount"/>, and none dated more than <see cref="DedupWindow.MaxAge"/> before the newest. It
/// keeps two promises: every accepted event dated after <see cref="Horizon"/> is remembered, and an event found
/// <see cref="DedupVerdict.New"/> is still remembered right after it is added (so the re-send of an answer lost on the way
/// is a duplicate). An event dated at or before the horizon whose id is not remembered cannot be told from a re-send, so
/// it is <see cref="DedupVerdict.BeyondWindow"/> and never counted twice; the price is that an event that old arriving
/// for the first time is refused too, as is one the window would forget at once.
/// </summary>
/// <remarks>
/// Each entity that de-duplicates by event id holds one (a rep, a deal, a region's targets; docs/semantics.md, rule 3).
/// The window is measured in the events' own time (<c>occurred_at</c>), not in arrival time, so what is remembered
/// depends only on the set of events accepted, never on when they arrived or in which order: a replay, a snapshot
/// restore and the original all answer alike. The horizon is the latest date forgotten, and forgetting takes whole
/// dates: the state is then the one that set defines (the earliest horizon that leaves at most
/// <see cref="DedupWindow.MaxCount"/> ids, none older than <see cref="DedupWindow.MaxAge"/> before the newest), since
/// every date an arrival order forgets is one that definition forgets too.
/// </remarks>
public sealed class EventIdWindow
{
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _byDate = new();
    private readonly DedupWindow _window;
    private long _newest = long.MinValue;
    private long _horizon = long.MinValue;

    public EventIdWindow(DedupWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window.MaxCount);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window.MaxAge, TimeSpan.Zero);
        _window = window;
    }

    /// <summary>Ids remembered now.</summary>
    public int Count => _ids.Count;

    /// <summary>
    /// Every accepted event dated after this is remembered; null while nothing has been forgotten (every accepted event
    /// is remembered).
    /// </summary>
    public DateTimeOffset? Horizon => _horizon == long.MinValue ? null : new DateTimeOffset(_horizon, TimeSpan.Zero);

    public bool Contains(string eventId) => _ids.ContainsKey(eventId);

    /// <summary>The date of the newest accepted event; null before any.</summary>
    public DateTimeOffset? Newest => _newest == long.MinValue ? null : new DateTimeOffset(_newest, TimeSpan.Zero);

    /// <summary>What the window says of an event with this id and date; changes nothing.</summary>
    public DedupVerdict Check(string eventId, DateTimeOffset occurredAt)
    {
        if (_ids.ContainsKey(eventId))
        {
            return DedupVerdict.Duplicate;
        }

        var ticks = occurredAt.UtcTicks;
        var forgottenAtOnce = (_newest != long.MinValue && ticks < _newest - _window.MaxAge.Ticks)
            || (_ids.Count >= _window.MaxCount && _byDate.TryPeek(out _, out var oldest) && ticks <= oldest);
        return ticks <= _horizon || forgottenAtOnce ? DedupVerdict.BeyondWindow : DedupVerdict.New;
    }

    /// <summary>
    /// The answer to an event the window does not take: DUPLICATE for an id it remembers, the <see cref="Refusal"/> of
    /// <paramref name="entity"/> for one dated beyond it; null for a new event (not remembered until <see cref="Add"/>).
    /// </summary>
    public Outcome? Refuse(string eventId, DateTimeOffset occurredAt, string entity) => Check(eventId, occurredAt) switch
    {
        DedupVerdict.Duplicate => Outcome.Duplicate,
        DedupVerdict.BeyondWindow => Refusal(entity),
        _ => null,
    };

    /// <summary>Remembers an accepted event, and forgets what falls out of the window.</summary>
    public void Add(string eventId, DateTimeOffset occurredAt)
    {
        var ticks = occurredAt.UtcTicks;
        if (!_ids.TryAdd(eventId, ticks))
        {
            return;
        }

        _byDate.Enqueue(eventId, ticks);
        if (ticks > _newest)
        {
            _newest = ticks;
        }

        var oldestKept = _newest - _window.MaxAge.Ticks;
        while (_byDate.TryPeek(out var id, out var at) && (_ids.Count > _window.MaxCount || at < oldestKept || at <= _horizon))
        {
            // Ids dated like the one forgotten go too: what is kept is then exactly "every accepted event dated after the
            // horizon", whatever order the queue breaks ties in, so a copy restored from a snapshot keeps the same ids.
            _byDate.Dequeue();
            _ids.Remove(id);
            _horizon = Math.Max(_horizon, at);
        }
    }

    /// <summary>
    /// The refusal of an event <see cref="Check"/> found <see cref="DedupVerdict.BeyondWindow"/>: FAILED_PRECONDITION
    /// naming <c>occurred_at</c>, final for the client (re-sending it can never succeed).
    /// </summary>
    public Outcome Refusal(string entity) => Outcome.Conflict(
        "occurred_at",
        $"the event is older than the de-dup window of {entity}, which remembers the ids of its {_window.MaxCount} " +
        $"newest events within {_window.MaxAge.TotalDays:0.##} days of its newest ({Newest:O})" +
        (Horizon is { } horizon ? $" and has forgotten those dated at or before {horizon:O}" : "") +
        "; an event dated that early cannot be told from a re-send of one already counted, so it is refused (do not " +
        "retry it; if it was sent before and its answer lost, it may have been counted then)");

    /// <summary>
    /// The remembered ids with their dates (ticks, UTC), ordered by date then id so that equal windows export equal
    /// snapshots whatever their history, and the horizon (<see cref="long.MinValue"/> while nothing was forgotten).
    /// </summary>
    public (KeyValuePair<string, long>[] Ids, long Horizon) Export()
    {
        var ids = _ids.ToArray();
        Array.Sort(ids, static (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : string.CompareOrdinal(a.Key, b.Key));
        return (ids, _horizon);
    }

    /// <summary>
    /// Restores what <see cref="Export"/> returned into an empty window. Under other settings than the exporter's, the
    /// window applies its own: a smaller one forgets more; a larger one cannot recall what was forgotten, so the horizon
    /// stays where it was.
    /// </summary>
    public void Import(IEnumerable<KeyValuePair<string, long>> ids, long horizon)
    {
        if (_ids.Count > 0 || _horizon != long.MinValue)
        {
            throw new InvalidOperationException("import into an empty window only");
        }

        // The newest accepted date is the newest remembered or, when that went too, the horizon (the latest forgotten).
        _horizon = horizon;
        _newest = horizon;
        foreach (var (id, ticks) in ids)
        {
            Add(id, new DateTimeOffset(ticks, TimeSpan.Zero));
        }
    }
}
