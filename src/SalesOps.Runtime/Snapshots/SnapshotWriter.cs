using Microsoft.Extensions.Logging;

namespace SalesOps.Runtime;

/// <summary>
/// Writes a grain's snapshot (Orleans grain storage, ADO.NET on PostgreSQL) every <c>every</c> journal entries and on
/// deactivation, then drops the journal entries it
/// covers. A snapshot is an optimisation — the journal alone can rebuild the state — so a failed snapshot write is
/// logged and the journal kept.
/// </summary>
public sealed partial class SnapshotWriter<TSnapshot, TEntry>(
    IPersistentState<TSnapshot> storage,
    GrainJournal<TEntry> journal,
    int every,
    Func<TSnapshot> capture,
    ILogger logger,
    Func<bool>? outputUnsent = null)
    where TSnapshot : IGrainSnapshot
{
    private long _covered;
    private long _heldBack; // a snapshot written with messages still to send: its entries stay until they are sent

    /// <summary>
    /// Rebuilds the grain: the latest snapshot, then the journal entries after it.
    /// <para>
    /// Orleans read the snapshot before activation; another activation of the same grain that is just going away
    /// (a silo handing over) may write a newer snapshot and drop the entries it covers in between. So the journal is
    /// read first, and unless it continues the loaded snapshot without a gap, the snapshot is read again: any entries
    /// dropped before the journal read are covered by the snapshot read after it.
    /// </para>
    /// </summary>
    public async Task RecoverAsync(Action<TSnapshot> restore, Action<TEntry> apply, CancellationToken cancellationToken)
    {
        if (!journal.IsDurable)
        {
            return;
        }

        var loaded = storage.RecordExists ? storage.State.Sequence : 0;
        var records = await journal.ReadAfterAsync(loaded, cancellationToken);
        if (records.Count == 0 || records[0].Sequence != loaded + 1)
        {
            await storage.ReadStateAsync(cancellationToken);
        }

        if (storage.RecordExists)
        {
            restore(storage.State);
            _covered = storage.State.Sequence;
            if (storage.State.HasPendingOutput)
            {
                _heldBack = _covered; // dropped once the restored messages are delivered
            }
        }

        journal.Replay(_covered, records.Where(r => r.Sequence > _covered), apply);
    }

    /// <summary>Writes a snapshot when enough entries have accumulated since the last one.</summary>
    public Task MaybeSaveAsync() =>
        journal.IsDurable && !journal.Failed && journal.Sequence - _covered >= Math.Max(1, every) ? SaveAsync() : Task.CompletedTask;

    /// <summary>Writes a snapshot now if the journal has entries it would cover.</summary>
    public async Task SaveAsync()
    {
        if (!journal.IsDurable || journal.Failed || journal.Sequence <= _covered)
        {
            return;
        }

        var snapshot = capture(); // taken within the grain's turn: consistent with journal.Sequence
        storage.State = snapshot;
        try
        {
            await storage.WriteStateAsync();
            _covered = snapshot.Sequence;
            // A grain that delivers behind its answers (the rep book) may have sent the snapshot's messages by the time the
            // write completes; then the entries can go now.
            if (snapshot.HasPendingOutput && (outputUnsent is null || outputUnsent()))
            {
                // Entries stay while the snapshot still has messages to send: the recovery sweep finds grains by
                // their journal entries, and this one must be woken after a crash to send them.
                _heldBack = snapshot.Sequence;
            }
            else
            {
                _heldBack = 0;
                _ = TruncateAsync(snapshot.Sequence);
            }
        }
        catch (Exception ex)
        {
            LogSnapshotFailed(logger, journal.Stream, ex);
        }
    }

    /// <summary>
    /// The grain's outboxes have emptied since the latest snapshot: the messages it held are delivered, so the
    /// entries it covers can go now.
    /// </summary>
    public void OutputDelivered()
    {
        if (_heldBack > 0 && !journal.Failed)
        {
            _ = TruncateAsync(_heldBack);
            _heldBack = 0;
        }
    }

    private async Task TruncateAsync(long sequence)
    {
        try
        {
            await journal.TruncateAsync(sequence);
        }
        catch (Exception ex)
        {
            LogTruncateFailed(logger, journal.Stream, ex); // harmless: replay skips entries the snapshot covers
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot of {Stream} failed; the journal keeps everything and it is retried later")]
    private static partial void LogSnapshotFailed(ILogger logger, string stream, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropping journal entries of {Stream} covered by its snapshot failed")]
    private static partial void LogTruncateFailed(ILogger logger, string stream, Exception ex);
}

/// <summary>What every grain snapshot has: the last journal entry it includes, and whether it holds unsent messages.</summary>
public interface IGrainSnapshot
{
    long Sequence { get; }

    bool HasPendingOutput { get; }
}

/// <summary>
/// The name and schema version a snapshot type is stored under (<see cref="SnapshotFormat"/>). The name is part of the
/// stored format: it stays when the type is renamed. A type without it is stored under its type name, version 1.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StoredSnapshotAttribute(string name, int version) : Attribute
{
    public string Name { get; } = name;

    public int Version { get; } = version;
}
