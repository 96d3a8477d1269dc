namespace SalesOps.Domain;

/// <summary>A deal's snapshot round trip.</summary>
public sealed partial class OpportunityState
{
    /// <summary>
    /// Everything this opportunity holds, as bytes: attributes, the four registers with their stamps, the highest level
    /// reached and the ids of every accepted event. <see cref="FromSnapshot"/> restores an exact copy.
    /// </summary>
    public byte[] ToSnapshot() => Snapshots.Write(
        new OpportunityMemento(
            Snapshots.FormatVersion,
            Snapshots.OpportunityKind,
            Id,
            IsOpened,
            OpenEventId,
            OpenedAt,
            CustomerId,
            ProductLine,
            Channel,
            ReachedLevel,
            new LwwMemento<string?>(_owner.Value, _owner.Stamp.At, _owner.Stamp.EventId, _owner.HasValue),
            LwwMemento<long>.Of(_amount),
            LwwMemento<DateOnly>.Of(_expectedClose),
            LwwMemento<int>.Of(_stage),
            Dedup: Snapshots.ToMemento(_seen),
            Closes: _closes.ToMemento(_expectedClose),
            RiskAlerts: _riskAlerts.IsEmpty ? null : new RiskAlertMemento(
                _riskAlerts.StalledFor?.At, _riskAlerts.StalledFor?.EventId, _riskAlerts.OverdueFor, _riskAlerts.Slipping),
            Cost: _cost.HasValue ? LwwMemento<long>.Of(_cost) : null,
            History: IsOpened ? PipelineHistoryMemento.Of(_history) : null),
        SnapshotJson.Default.OpportunityMemento);

    /// <summary>Restores an opportunity from <see cref="ToSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">Not an opportunity snapshot, an unknown format version, or corrupt.</exception>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="dedup">The de-dup window in force now; a snapshot taken under a larger one is cut to it.</param>
    public static OpportunityState FromSnapshot(byte[] snapshot, DedupWindow dedup)
    {
        var m = Snapshots.Read(snapshot, Snapshots.OpportunityKind, SnapshotJson.Default.OpportunityMemento);

        // Every deal event offers its stamp to a register (stage, amount, owner or close), which keeps the latest.
        var newest = new[] { m.OpenedAt, m.Owner.At, m.Amount.At, m.ExpectedClose.At, m.Stage.At, m.Cost?.At ?? default }.Max();
        var opp = new OpportunityState(m.Id, Snapshots.RestoreWindow(dedup, m, m.Dedup, m.Seen, newest))
        {
            IsOpened = m.IsOpened,
            OpenEventId = m.OpenEventId,
            OpenedAt = m.OpenedAt,
            CustomerId = m.CustomerId,
            ProductLine = m.ProductLine,
            Channel = m.Channel,
            ReachedLevel = m.ReachedLevel,
            _owner = Snapshots.Register(m.Owner.Value!, m.Owner.At, m.Owner.EventId, m.Owner.HasValue),
            _amount = m.Amount.ToRegister(),
            _expectedClose = m.ExpectedClose.ToRegister(),
            _stage = m.Stage.ToRegister(),
            _cost = m.Cost?.ToRegister() ?? default,
        };

        // A snapshot written before close histories were kept counts pushes from its current expected close on.
        opp._closes = m.Closes is { } closes ? CloseHistory.FromMemento(closes, opp._expectedClose) : default;
        opp._closes.Forget(opp._seen.Horizon, opp._expectedClose);

        opp.RestoreHistory(m.History);
        if (m.RiskAlerts is { } alerted)
        {
            opp._riskAlerts = new RiskAlertState
            {
                StalledFor = alerted.StalledAt is { } at ? new EventStamp(at, alerted.StalledEventId!) : null,
                OverdueFor = alerted.OverdueFor,
                Slipping = alerted.Slipping,
            };
        }

        return opp;
    }
}
