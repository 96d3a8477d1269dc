namespace SalesOps.Domain;

/// <summary>How a leaderboard ranks what was staged: one change moved, several merged, a cold board sorted (ADR 0034).</summary>
public sealed partial class Leaderboard
{
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
