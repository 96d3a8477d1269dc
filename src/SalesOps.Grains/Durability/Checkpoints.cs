using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;

namespace SalesOps.Grains.Durability;

/// <summary>
/// Writes a grain's snapshot (Orleans grain storage, ADO.NET on PostgreSQL) every
/// <see cref="EngineOptions.SnapshotEvery"/> journal entries and on deactivation, then drops the journal entries it
/// covers. A snapshot is an optimisation — the journal alone can rebuild the state — so a failed snapshot write is
/// logged and the journal kept.
/// </summary>
public sealed partial class Checkpointer<TCheckpoint>(
    IPersistentState<TCheckpoint> storage,
    GrainJournal journal,
    int every,
    Func<TCheckpoint> capture,
    ILogger logger,
    Func<bool>? outputUnsent = null)
    where TCheckpoint : ICheckpoint
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
    public async Task RecoverAsync(Action<TCheckpoint> restore, Action<JournalEntry> apply, CancellationToken cancellationToken)
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

        var checkpoint = capture(); // taken within the grain's turn: consistent with journal.Sequence
        storage.State = checkpoint;
        try
        {
            await storage.WriteStateAsync();
            _covered = checkpoint.Sequence;
            // A grain that delivers behind its answers (the rep book) may have sent the snapshot's messages by the time the
            // write completes; then the entries can go now.
            if (checkpoint.HasPendingOutput && (outputUnsent is null || outputUnsent()))
            {
                // Entries stay while the snapshot still has messages to send: the recovery sweep finds grains by
                // their journal entries, and this one must be woken after a crash to send them.
                _heldBack = checkpoint.Sequence;
            }
            else
            {
                _heldBack = 0;
                _ = TruncateAsync(checkpoint.Sequence);
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

/// <summary>What every snapshot has: the last journal entry it includes, and whether it holds unsent messages.</summary>
public interface ICheckpoint
{
    long Sequence { get; }

    bool HasPendingOutput { get; }
}

[GenerateSerializer, Alias("salesops.cp.OpportunityBook")]
public sealed class OpportunityBookCheckpoint : ICheckpoint
{
    [Id(0)] public long Sequence { get; set; }

    /// <summary>Each deal's domain snapshot (ADR 0006).</summary>
    [Id(1)] public List<byte[]> Deals { get; set; } = new();
    /// <summary>Credits for the reps, one lane per rep book (keyed by its number).</summary>
    [Id(2)] public List<OutboxLane<RepCredits[]>> Credits { get; set; } = new();
    [Id(3)] public List<OutboxLane<DealOrder>> Orders { get; set; } = new();

    public bool HasPendingOutput => Credits.Any(l => l.Pending.Count > 0) || Orders.Any(l => l.Pending.Count > 0);
}

[GenerateSerializer, Alias("salesops.cp.RepBook")]
public sealed class RepBookCheckpoint : ICheckpoint
{
    [Id(0)] public long Sequence { get; set; }

    /// <summary>Each joined rep's domain snapshot (ADR 0006).</summary>
    [Id(1)] public List<byte[]> Reps { get; set; } = new();

    /// <summary>The last credit message applied per opportunity book.</summary>
    [Id(2)] public Dictionary<string, long> Credits { get; set; } = new();

    /// <summary>Roll-ups for the regions, one lane per region for the whole book.</summary>
    [Id(3)] public List<OutboxLane<Rollup>> Rollups { get; set; } = new();
    [Id(4)] public List<(string Customer, CustomerTouch Touch)> Customers { get; set; } = new();

    public bool HasPendingOutput => Rollups.Any(l => l.Pending.Count > 0) || Customers.Count > 0;
}

[GenerateSerializer, Alias("salesops.cp.Region")]
public sealed class RegionCheckpoint : ICheckpoint
{
    [Id(0)] public long Sequence { get; set; }
    [Id(1)] public byte[] Domain { get; set; } = [];
    [Id(2)] public Dictionary<string, long> Inbox { get; set; } = new();
    [Id(3)] public List<OutboxLane<Rollup>> ToParent { get; set; } = new();
    [Id(4)] public Counter[] PendingCounters { get; set; } = [];
    [Id(5)] public List<BoardChange[]> PendingBoards { get; set; } = new();

    public bool HasPendingOutput => ToParent.Any(l => l.Pending.Count > 0) || PendingCounters.Length > 0 || PendingBoards.Count > 0;
}

[GenerateSerializer, Alias("salesops.cp.Customer")]
public sealed class CustomerCheckpoint : ICheckpoint
{
    [Id(0)] public long Sequence { get; set; }
    [Id(1)] public byte[] Domain { get; set; } = [];
    [Id(2)] public Dictionary<string, long> Orders { get; set; } = new();

    public bool HasPendingOutput => false;
}

/// <summary>What a rep (through its book) tells a customer: a payment (de-duplicated there by event id) or a contact (a maximum).</summary>
[GenerateSerializer, Immutable, Alias("salesops.CustomerTouch")]
public sealed record CustomerTouch(
    [property: Id(0)] string RepId,
    [property: Id(1)] string PaymentEventId,
    [property: Id(2)] long Amount,
    [property: Id(3)] DateTimeOffset? ContactAt)
{
    public Task ApplyAsync(ICustomerGrain customer) =>
        ContactAt is { } at ? customer.ContactedAsync(at) : customer.AddPaymentAsync(RepId, PaymentEventId, Amount);
}
