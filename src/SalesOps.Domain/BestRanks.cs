namespace SalesOps.Domain;

/// <summary>
/// The overtake rule's memory for one watched board (docs/semantics.md, "Overtake"; ADR 0036): the best rank each rep
/// has held on it since its watch began, kept only for reps that have been within the depth. A rep that rises to a
/// rank within the depth better than its best overtakes; so a rep raises at most <see cref="Depth"/> overtakes on a
/// board while it stays watched. Watch state, not durable: never in a snapshot; a watch that starts again (after it
/// lapsed, or after a restart) starts the bests again from the board's ranking then.
/// </summary>
public sealed class BestRanks
{
    private readonly Dictionary<string, int> _best = new(StringComparer.Ordinal);

    /// <param name="depth">Overtakes are alerted for ranks this good or better (<see cref="EngineSettings.OvertakeDepth"/>; 0 or less: none).</param>
    public BestRanks(int depth) => Depth = Math.Max(0, depth);

    /// <summary>Overtakes are alerted for ranks this good or better.</summary>
    public int Depth { get; }

    /// <summary>How many reps have a best: those that have been within the depth since the watch began.</summary>
    public int Count => _best.Count;

    /// <summary>The rep's best rank since the watch began; 0 when it has not been within the depth.</summary>
    public int Of(string repId) => _best.GetValueOrDefault(repId);

    /// <summary>Starts again from a board's ranking (none: an empty board): each rep within the depth has its current rank as its best.</summary>
    public void Start(Leaderboard? board)
    {
        _best.Clear();
        foreach (var entry in board?.Top(Depth) ?? [])
        {
            _best[entry.RepId] = entry.Rank;
        }
    }

    /// <summary>
    /// Takes a rep's change of rank on the board (<paramref name="oldRank"/> before, <paramref name="newRank"/> now;
    /// 0 = not on the board) into its best, and says whether it is an overtake: the rep was on the board, rose, and now
    /// holds a rank within the depth better than any it held since the watch began. Both ranks count as held (the
    /// rank before may have been gained when someone above fell or left, which changes no entry of the rep's own).
    /// </summary>
    public bool Record(string repId, int oldRank, int newRank)
    {
        var seen = Math.Min(Within(oldRank), Within(newRank));
        if (seen == int.MaxValue)
        {
            return false; // both outside the depth (or off the board): nothing to remember, nothing to alert
        }

        var held = _best.TryGetValue(repId, out var best) ? best : int.MaxValue;
        if (seen < held)
        {
            _best[repId] = seen;
        }

        return oldRank != 0 && newRank != 0 && newRank < oldRank && newRank <= Depth && newRank < held;
    }

    private int Within(int rank) => rank > 0 && rank <= Depth ? rank : int.MaxValue;
}
