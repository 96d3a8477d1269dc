using System.Runtime.InteropServices;

namespace SalesOps.Domain;

/// <summary>A rep as a snapshot, and back (<see cref="Snapshots"/>).</summary>
public sealed partial class RepState
{
    /// <summary>
    /// Everything this rep holds, as bytes: name, role, style, memberships with their stamps, current and historical
    /// counters, targets with their stamps, the pace and last-year trackers' behind sets, scores, the latest credited instant, the
    /// board sequence and the de-dup window. <see cref="FromSnapshot"/> restores an exact copy.
    /// Compacts the rep's maps (see <see cref="Snapshots"/>); call it where a mutating method may be called.
    /// </summary>
    public byte[] ToSnapshot() => Snapshots.Write(
        new RepMemento(
            Snapshots.FormatVersion,
            Snapshots.RepKind,
            Id,
            Name,
            Role,
            Style,
            _memberships.Select(m => new MembershipEntry(m.Stamp.At, m.Stamp.EventId, m.RegionId)).ToList(),
            MaxCreditedAt,
            BoardSeq,
            Snapshots.Compact(_scores).Select(s => new ScoreEntry(s.Key.Period.Code, s.Key.Metric, s.Value)).ToList(),
            Current.ToMemento(),
            Historical.ToMemento(),
            Targets.ToMemento(),
            Pace.ToMemento(),
            Dedup: Snapshots.ToMemento(_seen),
            Left: Left is { } left ? new DepartureEntry(left.At, left.On, left.EventId) : null,
            BehindLastYear: Snapshots.NullIfEmpty(LastYear.ToMemento()),
            Forecasts: Forecasts.ToMemento(),
            ForecastsClosed: _closed.Count == 0 ? null : _closed.Select(c => new ForecastClosedEntry(c.Key.Code, c.Value)).ToList(),
            BehindPlan: Snapshots.NullIfEmpty(Plan.ToMemento()),
            Uncovered: Snapshots.NullIfEmpty(Coverage.ToMemento()),
            Inputs: Inputs.ToMemento(),
            PhotoUrl: PhotoUrl.Length == 0 ? null : PhotoUrl),
        SnapshotJson.Default.RepMemento);

    /// <summary>Restores a rep from <see cref="ToSnapshot"/>, or from a snapshot of the previous format (<see cref="Snapshots"/>).</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="dedup">The de-dup window in force now; a snapshot taken under a larger one is cut to it.</param>
    /// <exception cref="InvalidDataException">Not a rep snapshot, an unknown format version, or corrupt.</exception>
    public static RepState FromSnapshot(byte[] snapshot, DedupWindow dedup)
    {
        var m = Snapshots.Read(snapshot, Snapshots.RepKind, SnapshotJson.Default.RepMemento);

        // A rep's events are its join and moves (memberships), activities and payments (credited), targets and forecasts.
        var newest = m.Memberships.Select(e => e.At).Concat(m.Targets.Select(t => t.At)).Concat(m.Forecasts?.Select(f => f.At) ?? [])
            .Concat(m.Inputs?.Select(i => i.At) ?? []).Append(m.MaxCreditedAt).Max();
        var rep = new RepState(m.Id, Snapshots.RestoreWindow(dedup, m, m.Dedup, m.Seen, newest))
        {
            Name = m.Name,
            PhotoUrl = m.PhotoUrl ?? "",
            Role = m.Role,
            Style = m.Style,
            MaxCreditedAt = m.MaxCreditedAt,
            BoardSeq = m.BoardSeq,
            Left = m.Left is { } left ? new Departure(left.At, left.On, left.EventId) : null,
        };
        foreach (var e in m.Memberships)
        {
            rep._memberships.Add((new EventStamp(e.At, e.EventId!), e.RegionId));
        }

        foreach (var s in m.Scores)
        {
            if (!rep._scores.TryAdd(new BoardKey(new Period(s.Period), s.Metric), s.Score))
            {
                throw new InvalidDataException($"Corrupt snapshot: rep '{m.Id}' has two scores on board {s.Metric} {s.Period}.");
            }
        }

        rep.Current.Restore(m.Current);
        rep.Historical.Restore(m.Historical);
        foreach (var (key, value) in rep.Historical)
        {
            if (key.Figure == Figure.ActivityCount)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(rep._activityTotals, key.Period, out _) += value;
            }
        }

        rep.Targets.Restore(m.Targets);
        rep.Pace.Restore(m.Behind);
        rep.LastYear.Restore(m.BehindLastYear);
        rep.Forecasts.Restore(m.Forecasts);
        foreach (var c in m.ForecastsClosed ?? [])
        {
            if (!rep._closed.TryAdd(new Period(c.Period), c.Cutoff))
            {
                throw new InvalidDataException($"Corrupt snapshot: rep '{m.Id}' lists the end of forecast period {c.Period} twice.");
            }
        }

        rep.Plan.Restore(m.BehindPlan);
        rep.Coverage.Restore(m.Uncovered);
        rep.Inputs.Restore(m.Inputs);
        return rep;
    }
}
