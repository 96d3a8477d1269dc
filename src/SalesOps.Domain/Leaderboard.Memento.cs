namespace SalesOps.Domain;

/// <summary>A leaderboard as a snapshot stores it, and back (ADR 0034: the stored shape is unchanged).</summary>
public sealed partial class Leaderboard
{
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
}
