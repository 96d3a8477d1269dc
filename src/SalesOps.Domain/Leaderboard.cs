namespace SalesOps.Domain;

/// <summary>What a leaderboard ranks reps by.</summary>
public enum LeaderboardMetric : byte
{
    Bookings = 0,
    Attainment = 1,
    Collections = 2,
    Activities = 3,
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
/// array rather than hundreds of dictionary entries.
/// </summary>
public sealed class Leaderboard
{
    private static readonly Comparer<Row> Order = Comparer<Row>.Create(
        (a, b) =>
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : string.CompareOrdinal(a.RepId, b.RepId);
        });

    private readonly List<Row> _sorted = new();
    private readonly Dictionary<string, double> _scores = new(StringComparer.Ordinal);

    /// <summary>A rep's row; <see cref="Movement"/> 0 means none (a rep that has not moved since it entered).</summary>
    private record struct Row(double Score, string RepId, int Movement);

    public int Count => _sorted.Count;

    /// <summary>Incremented on every change; watchers use it to order snapshots and changes.</summary>
    public long Version { get; private set; }

    public double? ScoreOf(string repId) => _scores.TryGetValue(repId, out var s) ? s : null;

    /// <summary>1-based rank, or 0 when the rep is not on the board.</summary>
    public int RankOf(string repId)
    {
        if (!_scores.TryGetValue(repId, out var s))
        {
            return 0;
        }

        return _sorted.BinarySearch(new Row(s, repId, 0), Order) + 1;
    }

    /// <summary>Sets (or, with null, removes) a rep's score. Returns the old and new rank (0 = absent).</summary>
    public (int OldRank, int NewRank) Set(string repId, double? score)
    {
        var oldRank = RankOf(repId);
        if (score is not { } value)
        {
            if (oldRank > 0)
            {
                _sorted.RemoveAt(oldRank - 1);
                _scores.Remove(repId);
                Version++;
            }

            return (oldRank, 0);
        }

        if (oldRank == 0)
        {
            var index = ~_sorted.BinarySearch(new Row(value, repId, 0), Order);
            _sorted.Insert(index, new Row(value, repId, 0));
            _scores[repId] = value;
            Version++;
            return (0, index + 1);
        }

        if (value.Equals(_scores[repId]))
        {
            return (oldRank, oldRank);
        }

        _scores[repId] = value;
        Version++;
        return (oldRank, Move(oldRank - 1, new Row(value, repId, 0)) + 1);
    }

    /// <summary>
    /// Moves the row at <paramref name="from"/> to where <paramref name="row"/> (its new score) belongs, shifting only
    /// the rows it passes, which each get a movement of one the other way. Returns the new index.
    /// </summary>
    private int Move(int from, Row row)
    {
        var rows = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sorted);
        if (from > 0 && Order.Compare(row, rows[from - 1]) < 0)
        {
            var to = ~rows[..from].BinarySearch(row, Order);
            for (var i = from; i > to; i--)
            {
                rows[i] = rows[i - 1] with { Movement = -1 };
            }

            rows[to] = row with { Movement = from - to };
            return to;
        }

        if (from < rows.Length - 1 && Order.Compare(row, rows[from + 1]) > 0)
        {
            var to = from + ~rows[(from + 1)..].BinarySearch(row, Order);
            for (var i = from; i < to; i++)
            {
                rows[i] = rows[i + 1] with { Movement = 1 };
            }

            rows[to] = row with { Movement = from - to };
            return to;
        }

        rows[from] = row with { Movement = rows[from].Movement };
        return from;
    }

    /// <summary>
    /// The board for a snapshot: rows in rank order (rep as an index given by <paramref name="repIndex"/>, score,
    /// movement, 0 meaning none) and the version. The score map is the rows again, and is only looked up, never
    /// enumerated, so its order needs no compaction.
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
            reps[i] = repIndex(row.RepId);
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
        board._scores.EnsureCapacity(count);
        for (var i = 0; i < count; i++)
        {
            var index = memento.Reps[i];
            if ((uint)index >= (uint)repIds.Length)
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} names rep #{index} of {repIds.Length}.");
            }

            var entry = new Row(memento.Scores[i], repIds[index], memento.Movement[i]);
            if (i > 0 && Order.Compare(board._sorted[i - 1], entry) >= 0)
            {
                throw new InvalidDataException($"Corrupt snapshot: leaderboard {memento.Metric} {memento.Period} is not in rank order at '{entry.RepId}'.");
            }

            board._sorted.Add(entry);
            board._scores.Add(entry.RepId, entry.Score);
        }

        return board;
    }

    public RankedEntry EntryAt(int rank)
    {
        var row = _sorted[rank - 1];
        return new RankedEntry(rank, row.RepId, row.Score, row.Movement);
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
