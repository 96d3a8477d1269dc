using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// A region's watched boards: the watch leases hosts renew, the boards that changed since the last tick (pushed on
/// it), and those whose ranks changed (for net overtakes: the region's boards keep each moved rep's rank before its
/// first change, see <see cref="RegionState.TakeRankChanges"/>). Nothing here is stored: a new activation learns its
/// watchers from their next lease renewal, which also re-pushes the board.
/// </summary>
internal sealed class RegionBoardWatch(TimeProvider time)
{
    /// <summary>Rows of a board sent in a push.</summary>
    public const int PushedRows = 100;

    // Each board to push on the next tick, with the acceptance time of the earliest event behind its changes (0: none,
    // a lease renewal's re-push).
    private readonly Dictionary<BoardKey, long> _dirty = new();
    private readonly Dictionary<BoardKey, DateTimeOffset> _watchedUntil = new();
    private readonly HashSet<BoardKey> _moved = new();

    /// <summary>False in the common case: nobody watches this region's boards.</summary>
    public bool Any => _watchedUntil.Count > 0;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>
    /// Takes note of changed boards that are watched (<paramref name="now"/> read once per roll-up), changed by events
    /// the earliest of which was accepted at <paramref name="acceptedAt"/> (UTC ticks; 0: not known).
    /// </summary>
    public void Changed(List<BoardKey> boards, DateTimeOffset now, long acceptedAt)
    {
        foreach (var board in boards)
        {
            if (_watchedUntil.TryGetValue(board, out var until) && until > now)
            {
                _dirty[board] = AcceptanceStamps.Earliest(_dirty.GetValueOrDefault(board), acceptedAt);
                _moved.Add(board);
            }
        }
    }

    /// <summary>
    /// Extends the board's lease, and marks it to be pushed as it stands on the next tick: every lease (hosts renew
    /// every few seconds) is anti-entropy for screens that missed a push because this grain or the hub directory moved
    /// to another silo, or a host was briefly unreachable. Watchers skip versions they already have. True when the board
    /// was not watched until now (no lease, or one that had run out): its watch starts.
    /// </summary>
    public bool Watch(BoardKey key, TimeSpan lease)
    {
        var now = time.GetUtcNow();
        var until = now + lease;
        var current = _watchedUntil.TryGetValue(key, out var held) ? held : (DateTimeOffset?)null;
        if (current is null || current < until)
        {
            _watchedUntil[key] = until;
        }

        _dirty.TryAdd(key, 0);
        return current is not { } was || was <= now;
    }

    /// <summary>The boards to push on this tick, each with its earliest acceptance time; none are left marked.</summary>
    public (BoardKey Board, long AcceptedAt)[] TakeDirty()
    {
        if (_dirty.Count == 0)
        {
            return [];
        }

        var dirty = _dirty.Select(d => (d.Key, d.Value)).ToArray();
        _dirty.Clear();
        return dirty;
    }

    /// <summary>
    /// Each rep whose entry changed on a watched board since the tick began, with its rank then and now
    /// (<paramref name="rankChanges"/>: the region's tracked ranks): a rep that rose and fell back within one tick raises
    /// nothing, and one that passed several reps raises at most one alert, not one per update (on busy activity boards
    /// the top ranks change hundreds of times a second); its rank at the tick's end is what is compared with its best
    /// rank (<see cref="RegionState.Overtakes"/>, ADR 0036).
    /// </summary>
    public List<RankChange> TakeMoves(Func<BoardKey, List<RankChange>> rankChanges)
    {
        if (_moved.Count == 0)
        {
            return [];
        }

        var moves = new List<RankChange>();
        foreach (var board in _moved)
        {
            moves.AddRange(rankChanges(board));
        }

        _moved.Clear();
        return moves;
    }
}
