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
public sealed class Leaderboard
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

    /// <summary>
    /// The board for a snapshot: rows in rank order (rep as an index given by <paramref name="repIndex"/>, score,
    /// movement, 0 meaning none) and the version. Ranks the staged changes first (a snapshot is not a read: a board
    /// nobody reads still cools).
    /// </summary>
    internal BoardMemento ToMemento(BoardKey key, Func<string, int> repIndex)
    {
        Rank(read: false);
        var count = _rankedCount;
        var reps = new int[count];
        var scores = new double[count];
        var movement = new int[count];
        for (var i = 0; i < count; i++)
        {
            var row = _rows![i];
            reps[i] = repIndex(_reps[row.Slot].Name);
            scores[i] = row.Score;
            movement[i] = row.Movement;
        }

        return new BoardMemento(key.Period.Code, key.Metric, Version, reps, scores, movement);
    }

    /// <summary>A board restored from a snapshot; rejects rows out of rank order, listed twice or naming no rep.</summary>
    /// <param name="memento">The board as stored.</param>
    /// <param name="repIds">The rep ids its rows name by index.</param>
    /// <param name="order">The rep order of the region it belongs to; null: one of its own.</param>
    internal static Leaderboard FromMemento(BoardMemento memento, string[] repIds, RepOrder? order = null)
    {
        var count = memento.Reps.Length;
        if (memento.Scores.Length != count || memento.Movement.Length != count)
        {
            throw new InvalidDataException(
                $"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} has {count} reps, {memento.Scores.Length} scores and {memento.Movement.Length} movements.");
        }

        var board = new Leaderboard(order ?? new RepOrder(repIds)) { Version = memento.Version };
        board._slots.EnsureCapacity(count);
        board._reps = new Rep[count];
        board._rows = new Row[count];
        for (var i = 0; i < count; i++)
        {
            var index = memento.Reps[i];
            if ((uint)index >= (uint)repIds.Length)
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} names rep #{index} of {repIds.Length}.");
            }

            var repId = repIds[index];
            if (board._slots.ContainsKey(repId))
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} lists '{repId}' twice.");
            }

            var slot = board.NewSlot(repId);
            ref var rep = ref board._reps[slot];
            (rep.Score, rep.RankedScore, rep.On, rep.RankedOn) = (memento.Scores[i], memento.Scores[i], true, true);
            var row = new Row(rep.Score, rep.Key, slot, memento.Movement[i]);
            if (i > 0 && default(Order).Compare(board._rows[i - 1], row) >= 0)
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} is not in rank order at '{repId}'.");
            }

            board._rows[i] = row;
            board._rankedCount = board._count = i + 1;
        }

        return board;
    }

    private int NewSlot(string repId)
    {
        if (_repCount == _reps.Length)
        {
            Array.Resize(ref _reps, Math.Max(4, _reps.Length * 2));
        }

        var slot = _repCount++;
        _reps[slot] = new Rep { Name = repId, Key = _order.KeyOf(repId), ReportedRank = -1 };
        _slots.Add(repId, slot);
        SyncKeys();
        return slot;
    }

    /// <summary>Takes the order's keys again after it renumbered them (rare: see <see cref="RepOrder"/>).</summary>
    private void SyncKeys()
    {
        if (_orderEpoch == _order.Epoch)
        {
            return;
        }

        for (var s = 0; s < _repCount; s++)
        {
            _reps[s].Key = _order.KeyOf(_reps[s].Name);
        }

        for (var i = 0; _rows is not null && i < _rankedCount; i++)
        {
            _rows[i].Key = _reps[_rows[i].Slot].Key;
        }

        _orderEpoch = _order.Epoch;
    }

    /// <summary>The index of a ranked rep's row (its score as ranked).</summary>
    private int IndexOf(int slot)
    {
        ref var rep = ref _reps[slot];
        var index = _rows.AsSpan(0, _rankedCount).BinarySearch(new Row(rep.RankedScore, rep.Key, slot, 0), default(Order));
        return index >= 0 ? index : throw new InvalidOperationException($"leaderboard row of '{rep.Name}' not found");
    }

    /// <summary>Brings the rows up to date with the staged changes; <paramref name="read"/>: counts as a read for <see cref="Cool"/>.</summary>
    private void Rank(bool read)
    {
        _read |= read;
        if (_rows is not null && _pendingCount == 0)
        {
            return;
        }

        SyncKeys();
        if (_rows is null)
        {
            Build();
        }
        else if (_pendingCount == 1)
        {
            RankOne(_pending[0]);
        }
        else
        {
            Merge();
        }

        for (var i = 0; i < _pendingCount; i++)
        {
            ref var rep = ref _reps[_pending[i]];
            (rep.RankedOn, rep.RankedScore, rep.Pending) = (rep.On, rep.Score, false);
        }

        _pendingCount = 0;
        _rankedCount = _count;
    }

    /// <summary>Tracked boards keep the rank a changed rep had before its first change since taken.</summary>
    private void Report(int slot, int oldRank)
    {
        if (_reported is not null && _reps[slot].ReportedRank < 0)
        {
            _reps[slot].ReportedRank = oldRank;
            _reported.Add(slot);
        }
    }

    /// <summary>One staged change: its row moves past the rows between its old and new place, and only those.</summary>
    private void RankOne(int slot)
    {
        ref var rep = ref _reps[slot];
        if (!rep.RankedOn)
        {
            Report(slot, 0);
            if (rep.On)
            {
                var row = new Row(rep.Score, rep.Key, slot, 0);
                var at = ~_rows.AsSpan(0, _rankedCount).BinarySearch(row, default(Order));
                EnsureCapacity(_rankedCount + 1);
                var rows = _rows.AsSpan(0, _rankedCount + 1);
                rows[at..^1].CopyTo(rows[(at + 1)..]);
                rows[at] = row;
            }

            return;
        }

        var from = IndexOf(slot);
        Report(slot, from + 1);
        if (!rep.On)
        {
            var rows = _rows.AsSpan(0, _rankedCount);
            rows[(from + 1)..].CopyTo(rows[from..]);
            return;
        }

        Move(from, new Row(rep.Score, rep.Key, slot, 0));
    }

    /// <summary>
    /// Moves the row at <paramref name="from"/> to where <paramref name="row"/> (its new score) belongs, shifting only
    /// the rows it passes, which each get a movement of one the other way.
    /// </summary>
    private void Move(int from, Row row)
    {
        var rows = _rows.AsSpan(0, _rankedCount);
        var order = default(Order);
        if (from > 0 && order.Compare(row, rows[from - 1]) < 0)
        {
            var to = ~rows[..from].BinarySearch(row, order);
            rows[to..from].CopyTo(rows[(to + 1)..]);
            foreach (ref var passed in rows[(to + 1)..(from + 1)])
            {
                passed.Movement = -1;
            }

            row.Movement = from - to;
            rows[to] = row;
            return;
        }

        if (from < rows.Length - 1 && order.Compare(row, rows[from + 1]) > 0)
        {
            var to = from + ~rows[(from + 1)..].BinarySearch(row, order);
            rows[(from + 1)..(to + 1)].CopyTo(rows[from..]);
            foreach (ref var passed in rows[from..to])
            {
                passed.Movement = 1;
            }

            row.Movement = from - to;
            rows[to] = row;
            return;
        }

        row.Movement = rows[from].Movement;
        rows[from] = row;
    }

    /// <summary>
    /// Several staged changes: the changed rows are taken out, sorted among themselves and merged with the rows that
    /// did not change, in one pass that also works out every rep's movement (its rank among the reps on the board
    /// before and after: rows out before a row and entries written before it do not count).
    /// </summary>
    private void Merge()
    {
        var order = default(Order);
        var k = _pendingCount;
        var removed = new int[k];   // old indices of the changed rows that were ranked
        var inserts = new Row[k];   // the changed rows on the board now
        var (r, c) = (0, 0);
        var scratch = _scratch is { } s && s.Length >= _repCount ? s : _scratch = new int[_reps.Length];
        for (var p = 0; p < k; p++)
        {
            var slot = _pending[p];
            ref var rep = ref _reps[slot];
            if (rep.RankedOn)
            {
                var at = IndexOf(slot);
                removed[r++] = at;
                rep.Movement = _rows![at].Movement; // kept when its rank among the others does not change
                Report(slot, at + 1);
            }
            else
            {
                Report(slot, 0);
            }

            if (rep.On)
            {
                inserts[c++] = new Row(rep.Score, rep.Key, slot, 0);
            }
        }

        Array.Sort(removed, 0, r);
        inserts.AsSpan(0, c).Sort(order);

        // A changed rep still on the board: its old rank among those on the board before and after.
        var exits = 0;
        for (var i = 0; i < r; i++)
        {
            var slot = _rows![removed[i]].Slot;
            if (_reps[slot].On)
            {
                scratch[slot] = removed[i] - exits;
            }
            else
            {
                exits++;
            }
        }

        var rows = _rows!;
        EnsureSpare(_count);
        var target = _spare!;
        var (old, next, skip, written, exitsSeen, entries) = (0, 0, 0, 0, 0, 0);
        var n = _rankedCount;
        while (true)
        {
            while (skip < r && removed[skip] == old)
            {
                exitsSeen += _reps[rows[old].Slot].On ? 0 : 1;
                skip++;
                old++;
            }

            if (next < c && (old >= n || order.Compare(inserts[next], rows[old]) < 0))
            {
                var row = inserts[next++];
                ref var rep = ref _reps[row.Slot];
                if (!rep.RankedOn)
                {
                    entries++;
                }
                else
                {
                    var was = scratch[row.Slot];
                    var now = written - entries;
                    row.Movement = was != now ? was - now : rep.Movement;
                }

                target[written++] = row;
            }
            else if (old < n)
            {
                var row = rows[old];
                var was = old - exitsSeen;
                var now = written - entries;
                if (was != now)
                {
                    row.Movement = was - now;
                }

                target[written++] = row;
                old++;
            }
            else
            {
                break;
            }
        }

        (_rows, _spare) = (target, rows);
    }

    /// <summary>
    /// Sorts the rows of a cold board. When it was ranked before and has changed since, the old ranking is sorted too,
    /// for movement and tracked ranks, exactly as <see cref="Merge"/> works them out.
    /// </summary>
    private void Build()
    {
        var order = default(Order);
        var rows = new Row[Math.Max(_count, 4)];
        var n = 0;
        for (var s = 0; s < _repCount; s++)
        {
            ref var rep = ref _reps[s];
            if (rep.On)
            {
                rows[n++] = new Row(rep.Score, rep.Key, s, rep.RankedOn ? rep.Movement : 0);
            }
        }

        rows.AsSpan(0, n).Sort(order);
        if (_pendingCount > 0 && _rankedCount > 0)
        {
            var before = new Row[_rankedCount];
            var m = 0;
            for (var s = 0; s < _repCount; s++)
            {
                if (_reps[s].RankedOn)
                {
                    before[m++] = new Row(_reps[s].RankedScore, _reps[s].Key, s, 0);
                }
            }

            before.AsSpan(0, m).Sort(order);
            var scratch = new int[_repCount];
            var exits = 0;
            for (var i = 0; i < m; i++)
            {
                var slot = before[i].Slot;
                if (_reps[slot].Pending)
                {
                    Report(slot, i + 1);
                }

                if (_reps[slot].On)
                {
                    scratch[slot] = i - exits;
                }
                else
                {
                    exits++;
                }
            }

            var entries = 0;
            for (var i = 0; i < n; i++)
            {
                var slot = rows[i].Slot;
                if (!_reps[slot].RankedOn)
                {
                    entries++;
                }
                else if (scratch[slot] != i - entries)
                {
                    rows[i].Movement = scratch[slot] - (i - entries);
                }
            }
        }

        for (var p = 0; p < _pendingCount; p++)
        {
            if (!_reps[_pending[p]].RankedOn)
            {
                Report(_pending[p], 0);
            }
        }

        _rows = rows;
        _spare = null;
    }

    private void EnsureCapacity(int count)
    {
        if (_rows!.Length < count)
        {
            Array.Resize(ref _rows, Math.Max(count, _rows.Length * 2));
        }
    }

    private void EnsureSpare(int count)
    {
        if (_spare is null || _spare.Length < count)
        {
            _spare = new Row[Math.Max(count, (_rows?.Length ?? 0) + (count / 2))];
        }
    }
}
