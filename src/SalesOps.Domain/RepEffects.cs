namespace SalesOps.Domain;

/// <summary>A rep's change to a leaderboard scope: set scores, or (<see cref="InScope"/> false) leave the scope.</summary>
/// <param name="Seq">Per-rep sequence; a scope ignores an update older than the last it applied for the rep.</param>
/// <param name="Full">The changes are all the rep's scores (sent on entering a scope).</param>
public sealed record BoardUpdate(string RepId, long Seq, bool InScope, bool Full, IReadOnlyList<ScoreChange> Changes);

/// <summary>A rep's score on one board; null removes the rep from that board.</summary>
public readonly record struct ScoreChange(BoardKey Board, double? Score);

/// <summary>What a rep sends on after a change: counter deltas per region, and board updates per region.</summary>
public sealed class RepEffects
{
    public Dictionary<string, FigureSet> RegionDeltas { get; } = new(StringComparer.Ordinal);
    public List<(string RegionId, BoardUpdate Update)> Boards { get; } = new();

    /// <summary>Room for an activity's counters (two items, each in its week, month, quarter and year) without regrowing.</summary>
    private const int DeltaCapacity = 8;

    public bool IsEmpty => RegionDeltas.Count == 0 && Boards.Count == 0;

    public FigureSet DeltaFor(string regionId)
    {
        if (!RegionDeltas.TryGetValue(regionId, out var set))
        {
            set = new FigureSet(DeltaCapacity);
            RegionDeltas[regionId] = set;
        }

        return set;
    }
}
