namespace SalesOps.Domain;

/// <summary>What a leaderboard ranks reps by.</summary>
public enum LeaderboardMetric : byte
{
    Bookings = 0,
    Attainment = 1,
    Collections = 2,
    Activities = 3,

    /// <summary>Forecast accuracy in percent, for periods that have ended (docs/semantics.md, "Forecast submissions and accuracy").</summary>
    ForecastAccuracy = 4,
}

/// <summary>One leaderboard: a scope (region id) × period × metric.</summary>
public readonly record struct BoardKey(Period Period, LeaderboardMetric Metric);

/// <summary>A row of a leaderboard. <see cref="Movement"/> is positive when the rep went up.</summary>
public readonly record struct RankedEntry(int Rank, string RepId, double Score, int Movement);


/// <summary>
/// A rep whose board entry changed: its rank before its first change since the changes were last taken, and its rank
/// now (0 = absent).
/// </summary>
public readonly record struct RankMove(string RepId, int OldRank, int NewRank);

/// <summary>
/// Reps ranked by score (descending), ties broken by rep id (ordinal), so ranks are unique and deterministic.
/// <para>
/// Maintained in batches (ADR 0034): a score change is only staged (the rep's score, kept per rep, and a mark that
/// it changed); the ranked rows are brought up to date when the board is read (rank, rows, a snapshot), all the
/// changes since the last ranking at once: one change moves its row and only the rows it passes; several are sorted
/// among themselves and merged with the rows that did not change, O(n + k log k). Ties are broken by an integer key
/// per rep from a <see cref="RepOrder"/>, which orders as the ids do. A board nobody read since the last
/// <see cref="Cool"/> drops its rows; its next read sorts them again.
/// </para>
/// <para>
/// Movement: a rep's change of rank among the reps on the board both before and after, in the latest ranking that
/// changed it (positive when the rep went up; reps entering get 0, and entries and exits move nobody). With one change
/// per ranking this is the change the update caused (a rep passed by one gets -1); with several it is their net
/// effect. It depends on the order updates arrived in and on when the board was read, unlike rank and score.
/// </para>
/// </summary>
public sealed partial class Leaderboard
{
    private readonly RepOrder _order;
    private long _orderEpoch;
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private Rep[] _reps = [];
    private int _repCount;
    private int[] _pending = [];
    private int _pendingCount;
    private int _count;
    private int _rankedCount;
    private Row[]? _rows;  // null: cold
    private Row[]? _spare; // the merge's target, swapped with _rows
    private int[]? _scratch;
    private bool _read;
    private List<int>? _reported;

    public Leaderboard()
        : this(new RepOrder())
    {
    }

    /// <summary>A board breaking ties with <paramref name="order"/>'s keys (a region shares one among its boards).</summary>
    public Leaderboard(RepOrder order)
    {
        _order = order;
        _orderEpoch = order.Epoch;
    }

    /// <summary>
    /// A rep who has been on the board: its score now and at the last ranking, and its movement while the board is
    /// cold (the rows hold it while ranked). Slots are never reused: a rep who leaves and comes back keeps its slot.
    /// </summary>
    private struct Rep
    {
        public string Name;
        public long Key;
        public double Score;
        public double RankedScore;
        public int Movement;
        public int ReportedRank; // tracked boards: rank before the first change since taken; -1: none kept
        public bool On;
        public bool RankedOn;
        public bool Pending;
    }

    /// <summary>A ranked row; <see cref="Movement"/> 0 means none (a rep that has not moved since it entered).</summary>
    private struct Row(double score, long key, int slot, int movement)
    {
        public double Score = score;
        public long Key = key;
        public int Slot = slot;
        public int Movement = movement;
    }

    /// <summary>Rank order: score descending, then rep key (rep id ordinal).</summary>
    private readonly struct Order : IComparer<Row>
    {
        public int Compare(Row a, Row b)
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : a.Key.CompareTo(b.Key);
        }
    }

    /// <summary>How many reps are on the board now (staged changes included).</summary>
    public int Count => _count;

    /// <summary>Incremented on every change; watchers use it to order snapshots and changes.</summary>
    public long Version { get; private set; }

    /// <summary>Whether the ranked rows are held (a board read since it was last cooled).</summary>
    public bool IsRanked => _rows is not null;

    /// <summary>Whether the board keeps each changed rep's former rank for <see cref="TakeRankChanges"/>.</summary>
    public bool IsTracked => _reported is not null;

    public double? ScoreOf(string repId) => _slots.TryGetValue(repId, out var slot) && _reps[slot].On ? _reps[slot].Score : null;

    /// <summary>1-based rank, or 0 when the rep is not on the board.</summary>
    public int RankOf(string repId)
    {
        if (!_slots.TryGetValue(repId, out var slot) || !_reps[slot].On)
        {
            return 0;
        }

        Rank(read: true);
        return IndexOf(slot) + 1;
    }

    /// <summary>
    /// Stages a rep's score (null removes the rep); it is ranked with the other staged changes when the board is next
    /// read. Returns false when it changes nothing (the same score, or removing a rep not on the board).
    /// </summary>
    public bool Stage(string repId, double? score)
    {
        if (!_slots.TryGetValue(repId, out var slot))
        {
            if (score is null)
            {
                return false;
            }

            slot = NewSlot(repId);
        }

        ref var rep = ref _reps[slot];
        if (score is { } value)
        {
            if (rep.On && value.Equals(rep.Score))
            {
                return false;
            }

            _count += rep.On ? 0 : 1;
            rep.Score = value;
            rep.On = true;
        }
        else
        {
            if (!rep.On)
            {
                return false;
            }

            rep.On = false;
            _count--;
        }

        if (!rep.Pending)
        {
            rep.Pending = true;
            if (_pendingCount == _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(4, _pending.Length * 2));
            }

            _pending[_pendingCount++] = slot;
        }

        Version++;
        return true;
    }

    /// <summary>Sets (or, with null, removes) a rep's score and ranks it at once. Returns the old and new rank (0 = absent).</summary>
    public (int OldRank, int NewRank) Set(string repId, double? score)
    {
        var oldRank = RankOf(repId);
        return Stage(repId, score) ? (oldRank, RankOf(repId)) : (oldRank, oldRank);
    }

    /// <summary>
    /// From now on keep, for each rep whose entry changes, its rank before the first change since
    /// <see cref="TakeRankChanges"/> (the board is ranked first, so changes staged before are not kept).
    /// </summary>
    public void Track()
    {
        if (_reported is null)
        {
            Rank(read: false);
            _reported = new List<int>();
        }
    }

    /// <summary>Stops keeping former ranks; those kept are dropped.</summary>
    public void Untrack()
    {
        if (_reported is null)
        {
            return;
        }

        foreach (var slot in _reported)
        {
            _reps[slot].ReportedRank = -1;
        }

        _reported = null;
    }

    /// <summary>
    /// Ranks the staged changes and returns each rep whose entry changed since the last call (or since
    /// <see cref="Track"/>), with its rank before its first change and now; empty when the board is not tracked.
    /// </summary>
    public List<RankMove> TakeRankChanges()
    {
        if (_reported is null)
        {
            return [];
        }

        Rank(read: false);
        var moves = new List<RankMove>(_reported.Count);
        foreach (var slot in _reported)
        {
            ref var rep = ref _reps[slot];
            moves.Add(new RankMove(rep.Name, rep.ReportedRank, rep.On ? IndexOf(slot) + 1 : 0));
            rep.ReportedRank = -1;
        }

        _reported.Clear();
        return moves;
    }

    /// <summary>
    /// Drops the ranked rows when nothing read the board since the previous call (the scores stay; the next read
    /// sorts them again). Returns true when it dropped them.
    /// </summary>
    public bool Cool()
    {
        if (_rows is null || _read)
        {
            _read = false;
            return false;
        }

        for (var i = 0; i < _rankedCount; i++)
        {
            _reps[_rows[i].Slot].Movement = _rows[i].Movement;
        }

        _rows = null;
        _spare = null;
        _scratch = null;
        return true;
    }

    public RankedEntry EntryAt(int rank)
    {
        Rank(read: true);
        if ((uint)(rank - 1) >= (uint)_rankedCount)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"the board has {_rankedCount} rows");
        }

        var row = _rows![rank - 1];
        return new RankedEntry(rank, _reps[row.Slot].Name, row.Score, row.Movement);
    }

    public IReadOnlyList<RankedEntry> Top(int n)
    {
        Rank(read: true);
        var count = Math.Min(n, _rankedCount);
        var list = new List<RankedEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var row = _rows![i];
            list.Add(new RankedEntry(i + 1, _reps[row.Slot].Name, row.Score, row.Movement));
        }

        return list;
    }

    /// <summary>The rep's row with up to <paramref name="around"/> rows either side; empty when absent.</summary>
    public IReadOnlyList<RankedEntry> Window(string repId, int around)
    {
        var rank = RankOf(repId);
        if (rank == 0)
        {
            return [];
        }

        var from = Math.Max(1, rank - around);
        var to = Math.Min(_rankedCount, rank + around);
        var list = new List<RankedEntry>(to - from + 1);
        for (var r = from; r <= to; r++)
        {
            var row = _rows![r - 1];
            list.Add(new RankedEntry(r, _reps[row.Slot].Name, row.Score, row.Movement));
        }

        return list;
    }
}
