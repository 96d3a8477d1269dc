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
/// position (a memory move), which for boards of thousands of reps costs microseconds.
/// Movement: the change of rank the latest update that moved a rep caused (reps pushed down by one get -1).
/// It depends on the order updates arrived in, unlike rank and score.
/// </summary>
public sealed class Leaderboard
{
    private static readonly Comparer<(double Score, string RepId)> Order = Comparer<(double Score, string RepId)>.Create(
        (a, b) =>
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : string.CompareOrdinal(a.RepId, b.RepId);
        });

    private readonly List<(double Score, string RepId)> _sorted = new();
    private readonly Dictionary<string, double> _scores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _movement = new(StringComparer.Ordinal);

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

        return _sorted.BinarySearch((s, repId), Order) + 1;
    }

    /// <summary>Sets (or, with null, removes) a rep's score. Returns the old and new rank (0 = absent).</summary>
    public (int OldRank, int NewRank) Set(string repId, double? score)
    {
        var oldRank = RankOf(repId);
        if (oldRank > 0)
        {
            if (score is { } same && same.Equals(_scores[repId]))
            {
                return (oldRank, oldRank);
            }

            _sorted.RemoveAt(oldRank - 1);
            _scores.Remove(repId);
        }

        if (score is not { } value)
        {
            _movement.Remove(repId);
            if (oldRank > 0)
            {
                Version++;
            }

            return (oldRank, 0);
        }

        var index = _sorted.BinarySearch((value, repId), Order);
        index = ~index;
        _sorted.Insert(index, (value, repId));
        _scores[repId] = value;
        var newRank = index + 1;
        Version++;
        if (oldRank > 0 && newRank != oldRank)
        {
            _movement[repId] = oldRank - newRank;
            var (from, to, shift) = newRank < oldRank ? (newRank, oldRank - 1, -1) : (oldRank - 1, newRank - 2, 1);
            for (var i = from; i <= to; i++)
            {
                _movement[_sorted[i].RepId] = shift;
            }
        }

        return (oldRank, newRank);
    }

    public RankedEntry EntryAt(int rank)
    {
        var (score, rep) = _sorted[rank - 1];
        return new RankedEntry(rank, rep, score, _movement.GetValueOrDefault(rep));
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
