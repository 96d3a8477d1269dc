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
/// Reps ranked by score (descending), ties broken by rep id (ordinal), so ranks are unique and deterministic.
/// Kept as a sorted array: rank lookup is a binary search; an update moves the entries between the old and new
/// position and only those, so a small rise on a board of thousands touches a few rows.
/// Movement: the change of rank the latest update that moved a rep caused (reps pushed down by one get -1).
/// It depends on the order updates arrived in, unlike rank and score. It is held in the rows themselves, so a rep
/// passing hundreds of others (common on activity boards, where many reps tie) rewrites a contiguous stretch of the
/// array rather than hundreds of dictionary entries. Rows name their rep by slot number, not by reference, so that
/// stretch is moved as plain memory, without a GC write barrier per row.
/// </summary>
public sealed class Leaderboard
{
    private readonly List<Row> _sorted = new();
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly List<string> _names = new();    // slot → rep id
    private readonly List<double> _scores = new();   // slot → score
    private readonly Stack<int> _free = new();       // slots of reps that left the board

    /// <summary>A rep's row; <see cref="Movement"/> 0 means none (a rep that has not moved since it entered).</summary>
    private record struct Row(double Score, int Slot, int Movement);

    /// <summary>Rank order: score descending, then rep id ordinal.</summary>
    private readonly struct Order(List<string> names) : IComparer<Row>
    {
        public int Compare(Row a, Row b)
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : string.CompareOrdinal(names[a.Slot], names[b.Slot]);
        }
    }

    public int Count => _sorted.Count;

    /// <summary>Incremented on every change; watchers use it to order snapshots and changes.</summary>
    public long Version { get; private set; }

    public double? ScoreOf(string repId) => _slots.TryGetValue(repId, out var slot) ? _scores[slot] : null;

    /// <summary>1-based rank, or 0 when the rep is not on the board.</summary>
    public int RankOf(string repId) => _slots.TryGetValue(repId, out var slot) ? IndexOf(slot) + 1 : 0;

    private int IndexOf(int slot) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sorted).BinarySearch(new Row(_scores[slot], slot, 0), new Order(_names));

    /// <summary>Sets (or, with null, removes) a rep's score. Returns the old and new rank (0 = absent).</summary>
    public (int OldRank, int NewRank) Set(string repId, double? score)
    {
        var present = _slots.TryGetValue(repId, out var slot);
        if (score is not { } value)
        {
            if (!present)
            {
                return (0, 0);
            }

            var index = IndexOf(slot);
            _sorted.RemoveAt(index);
            _slots.Remove(repId);
            _names[slot] = "";
            _free.Push(slot);
            Version++;
            return (index + 1, 0);
        }

        if (!present)
        {
            slot = NewSlot(repId, value);
            var row = new Row(value, slot, 0);
            var index = ~System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sorted).BinarySearch(row, new Order(_names));
            _sorted.Insert(index, row);
            Version++;
            return (0, index + 1);
        }

        if (value.Equals(_scores[slot]))
        {
            var rank = IndexOf(slot) + 1;
            return (rank, rank);
        }

        var from = IndexOf(slot);
        _scores[slot] = value;
        Version++;
        return (from + 1, Move(from, new Row(value, slot, 0)) + 1);
    }

    private int NewSlot(string repId, double score)
    {
        int slot;
        if (_free.TryPop(out slot))
        {
            _names[slot] = repId;
            _scores[slot] = score;
        }
        else
        {
            slot = _names.Count;
            _names.Add(repId);
            _scores.Add(score);
        }

        _slots[repId] = slot;
        return slot;
    }

    /// <summary>
    /// Moves the row at <paramref name="from"/> to where <paramref name="row"/> (its new score) belongs, shifting only
    /// the rows it passes, which each get a movement of one the other way. Returns the new index.
    /// </summary>
    private int Move(int from, Row row)
    {
        var rows = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sorted);
        var order = new Order(_names);
        if (from > 0 && order.Compare(row, rows[from - 1]) < 0)
        {
            var to = ~rows[..from].BinarySearch(row, order);
            rows[to..from].CopyTo(rows[(to + 1)..]);
            foreach (ref var passed in rows[(to + 1)..(from + 1)])
            {
                passed.Movement = -1;
            }

            rows[to] = row with { Movement = from - to };
            return to;
        }

        if (from < rows.Length - 1 && order.Compare(row, rows[from + 1]) > 0)
        {
            var to = from + ~rows[(from + 1)..].BinarySearch(row, order);
            rows[(from + 1)..(to + 1)].CopyTo(rows[from..]);
            foreach (ref var passed in rows[from..to])
            {
                passed.Movement = 1;
            }

            rows[to] = row with { Movement = from - to };
            return to;
        }

        rows[from] = row with { Movement = rows[from].Movement };
        return from;
    }

    /// <summary>
    /// The board for a snapshot: rows in rank order (rep as an index given by <paramref name="repIndex"/>, score,
    /// movement, 0 meaning none) and the version.
    /// </summary>
    internal BoardMemento ToMemento(BoardKey key, Func<string, int> repIndex)
    {
        var count = _sorted.Count;
        var reps = new int[count];
        var scores = new double[count];
        var movement = new int[count];
        for (var i = 0; i < count; i++)
        {
            var row = _sorted[i];
            reps[i] = repIndex(_names[row.Slot]);
            scores[i] = row.Score;
            movement[i] = row.Movement;
        }

        return new BoardMemento(key.Period.Code, key.Metric, Version, reps, scores, movement);
    }

    /// <summary>A board restored from a snapshot; rejects rows out of rank order, listed twice or naming no rep.</summary>
    internal static Leaderboard FromMemento(BoardMemento memento, string[] repIds)
    {
        var count = memento.Reps.Length;
        if (memento.Scores.Length != count || memento.Movement.Length != count)
        {
            throw new InvalidDataException(
                $"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} has {count} reps, {memento.Scores.Length} scores and {memento.Movement.Length} movements.");
        }

        var board = new Leaderboard { Version = memento.Version };
        board._sorted.Capacity = count;
        board._slots.EnsureCapacity(count);
        var order = new Order(board._names);
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

            var entry = new Row(memento.Scores[i], board.NewSlot(repId, memento.Scores[i]), memento.Movement[i]);
            if (i > 0 && order.Compare(board._sorted[i - 1], entry) >= 0)
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} is not in rank order at '{repId}'.");
            }

            board._sorted.Add(entry);
        }

        return board;
    }

    public RankedEntry EntryAt(int rank)
    {
        var row = _sorted[rank - 1];
        return new RankedEntry(rank, _names[row.Slot], row.Score, row.Movement);
    }

    public IReadOnlyList<RankedEntry> Top(int n)
    {
        var count = Math.Min(n, _sorted.Count);
        var list = new List<RankedEntry>(count);
        for (var r = 1; r <= count; r++)
        {
            list.Add(EntryAt(r));
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
        var to = Math.Min(_sorted.Count, rank + around);
        var list = new List<RankedEntry>(to - from + 1);
        for (var r = from; r <= to; r++)
        {
            list.Add(EntryAt(r));
        }

        return list;
    }
}
