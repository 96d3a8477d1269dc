namespace SalesOps.Domain;

/// <summary>A rank change on a board, for overtake alerts and pushed updates.</summary>
public readonly record struct RankChange(BoardKey Board, string RepId, int OldRank, int NewRank);

/// <summary>
/// A region's watched boards (what watchers ask for, not state): their rank changes kept for overtakes and pushes, and
/// the overtake alerts of ADR 0036, each rep's best rank since the watch began. The rest of the region: Region.cs.
/// </summary>
public sealed partial class RegionState
{
    /// <summary>
    /// Keeps the rank changes of a board (now, or once it exists) for <see cref="TakeRankChanges"/>, and its reps' best
    /// ranks for <see cref="Overtakes"/>: the boards watched for overtakes. Changes staged before are ranked first and
    /// not kept; each rep within <paramref name="depth"/> now starts with its current rank as its best, so being where
    /// it already is raises nothing. A board already tracked is left as it is (<see cref="Untrack"/> first to start again).
    /// </summary>
    /// <param name="depth">Overtakes are alerted for ranks this good or better (<see cref="EngineSettings.OvertakeDepth"/>).</param>
    public void Track(BoardKey key, int depth)
    {
        if (_tracked.ContainsKey(key))
        {
            return;
        }

        var bests = new BestRanks(depth);
        _tracked.Add(key, bests);
        if (_boards.TryGetValue(key, out var board))
        {
            board.Track();
            bests.Start(board);
        }
    }

    /// <summary>Stops tracking a board: its kept rank changes and its reps' best ranks are dropped.</summary>
    public void Untrack(BoardKey key)
    {
        if (_tracked.Remove(key) && _boards.TryGetValue(key, out var board))
        {
            board.Untrack();
        }
    }

    /// <summary>The best ranks of a tracked board's reps since it was last tracked; null for a board not tracked.</summary>
    public BestRanks? BestRanksOf(BoardKey key) => _tracked.GetValueOrDefault(key);

    /// <summary>
    /// The reps whose entries on a tracked board changed since the last call, each with its rank before its first
    /// change and now (ranking the board's staged changes); empty for a board not tracked or not there.
    /// </summary>
    public List<RankChange> TakeRankChanges(BoardKey key)
    {
        if (!_boards.TryGetValue(key, out var board))
        {
            return [];
        }

        var moves = board.TakeRankChanges();
        var changes = new List<RankChange>(moves.Count);
        foreach (var m in moves)
        {
            changes.Add(new RankChange(key, m.RepId, m.OldRank, m.NewRank));
        }

        return changes;
    }

    /// <summary>
    /// Overtake alerts for rank changes on tracked boards (docs/semantics.md, "Overtake"; ADR 0036): a rep already on
    /// the board that rose to a rank within the depth better than any it held since the board was tracked (a new
    /// personal best, <see cref="BestRanks"/>) raises one alert naming the rep now right behind it. Records the
    /// changes into the bests, so each change is to be given once; changes on boards not tracked raise nothing.
    /// </summary>
    public IReadOnlyList<Alert> Overtakes(IEnumerable<RankChange> changes, DateTimeOffset now)
    {
        List<Alert>? alerts = null;
        foreach (var c in changes)
        {
            if (!_tracked.TryGetValue(c.Board, out var bests) || !bests.Record(c.RepId, c.OldRank, c.NewRank))
            {
                continue;
            }

            var board = _boards[c.Board];
            if (c.NewRank >= board.Count)
            {
                continue; // nobody behind it (the board shrank): a new best, but nobody overtaken
            }

            var passed = board.EntryAt(c.NewRank + 1);
            (alerts ??= []).Add(new Alert(
                AlertKind.Overtake,
                c.RepId,
                Id,
                passed.RepId,
                c.Board.Period,
                c.Board.Metric.ToString(),
                c.NewRank,
                c.OldRank,
                $"{c.RepId} overtook {passed.RepId} on the {c.Board.Metric} board of {Name} for {c.Board.Period}: now #{c.NewRank}",
                now));
        }

        return alerts is null ? [] : alerts;
    }
}
