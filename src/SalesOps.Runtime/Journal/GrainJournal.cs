namespace SalesOps.Runtime;

/// <summary>
/// One grain's view of the journal: numbers its entries, writes them, replays them on activation, and names the
/// grain as a message sender.
/// <para>
/// The rules that make "acknowledged" mean "durable" and keep effects exactly-once:
/// an input is applied, journaled and awaited before the call returns (grains are not reentrant, so nothing else
/// runs in between); messages an input queued are sent only after that wait, so a receiver never sees an effect its
/// sender could forget; and if a write fails the grain stops (<see cref="Failed"/>) and deactivates, so its
/// in-memory state, which is ahead of what is durable, is thrown away and rebuilt from the journal on the next call.
/// </para>
/// </summary>
public sealed class GrainJournal<TEntry>(IGrainBase grain, IEventJournal store, IJournalCodec<TEntry> codec, JournalStream journalStream) : IGrainJournal
{
    private readonly string stream = journalStream.Name;
    private long _sequence;

    /// <summary>The stored name of the grain's stream (<c>kind/key</c>).</summary>
    public string Stream => stream;

    public bool IsDurable => store.IsDurable;

    /// <summary>The last entry written or replayed.</summary>
    public long Sequence => _sequence;

    /// <summary>A write failed: the activation's state may be ahead of the journal and must not be used.</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// The grain's name as a sender of numbered messages. Durable grains keep their numbering across activations
    /// (it is rebuilt by replay), so the stream name is enough; in memory mode a new activation starts from nothing
    /// and numbers from 1 again, so it needs a name of its own.
    /// </summary>
    public string SenderName { get; } = store.IsDurable ? journalStream.Name : journalStream.Name + "#" + Guid.NewGuid().ToString("N");

    /// <summary>Throws when an earlier write failed, so no call runs on state that is ahead of the journal.</summary>
    public void EnsureUsable()
    {
        if (Failed)
        {
            throw new JournalUnavailableException($"{stream}: an earlier journal write failed; the grain is reloading");
        }
    }

    /// <summary>
    /// Writes one applied input; completes when it is durable. If the write fails, the activation is deactivated (its
    /// state is ahead of the journal) and the failure propagates, so the caller is never told the input was accepted.
    /// </summary>
    public Task WriteAsync(TEntry entry)
    {
        EnsureUsable();
        if (!store.IsDurable)
        {
            return Task.CompletedTask;
        }

        var sequence = ++_sequence;
        return WaitAsync(store.AppendAsync(stream, sequence, [codec.Write(entry)]));
    }

    /// <summary>
    /// Writes a call's applied inputs as consecutive entries in one commit: all become durable or none does (see
    /// <see cref="IEventJournal.AppendAsync"/>). Failure is handled as for <see cref="WriteAsync"/>.
    /// </summary>
    public Task WriteAllAsync(IReadOnlyList<TEntry> entries)
    {
        EnsureUsable();
        if (!store.IsDurable || entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        var first = _sequence + 1;
        var bytes = new byte[entries.Count][];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = codec.Write(entries[i]);
        }

        _sequence += entries.Count;
        return WaitAsync(store.AppendAsync(stream, first, bytes));
    }

    /// <summary>
    /// A call failed part-way through applying its inputs: in durable mode the activation's state may now be ahead of
    /// the journal, so it stops taking calls and reloads (as after a failed write). Memory mode has nothing to reload
    /// from: the part applied stays, and a retry applies it again.
    /// </summary>
    public void Abandon()
    {
        if (store.IsDurable)
        {
            Failed = true;
            grain.DeactivateOnIdle();
        }
    }

    private async Task WaitAsync(Task append)
    {
        try
        {
            await append;
        }
        catch (Exception ex)
        {
            Failed = true;
            grain.DeactivateOnIdle();
            throw ex as JournalUnavailableException ?? new JournalUnavailableException($"{stream}: journal write failed", ex);
        }
    }

    /// <summary>Drops the entries up to <paramref name="sequence"/> once a snapshot covers them.</summary>
    public Task TruncateAsync(long sequence) => store.TruncateAsync(stream, sequence);

    /// <summary>The stored entries after <paramref name="afterSequence"/>, in order.</summary>
    public async Task<IReadOnlyList<JournalRecord>> ReadAfterAsync(long afterSequence, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadAsync(stream, afterSequence, cancellationToken);
        }
        catch (Exception ex) when (ex is not JournalUnavailableException and not OperationCanceledException)
        {
            throw new JournalUnavailableException($"{stream}: could not read the journal", ex);
        }
    }

    /// <summary>Applies <paramref name="records"/>, which must continue <paramref name="afterSequence"/> without a gap.</summary>
    public void Replay(long afterSequence, IEnumerable<JournalRecord> records, Action<TEntry> apply)
    {
        _sequence = afterSequence;
        foreach (var record in records)
        {
            if (record.Sequence != _sequence + 1)
            {
                throw new InvalidOperationException($"{stream}: journal gap, expected entry {_sequence + 1} but found {record.Sequence}");
            }

            apply(codec.Read(record.Entry));
            _sequence = record.Sequence;
        }
    }
}

/// <summary>How a grain's journal entries are stored: each entry to bytes (naming its type and version) and back.</summary>
public interface IJournalCodec<TEntry>
{
    byte[] Write(TEntry entry);

    /// <summary>Decodes a stored entry of any version this build reads; throws for one it does not.</summary>
    TEntry Read(byte[] stored);
}

/// <summary>What a grain's journal tells the parts of the runtime that do not read or write its entries.</summary>
public interface IGrainJournal
{
    /// <summary>The stored name of the grain's stream (<c>kind/key</c>).</summary>
    string Stream { get; }

    /// <summary>False in memory mode.</summary>
    bool IsDurable { get; }

    /// <summary>The last entry written or replayed.</summary>
    long Sequence { get; }

    /// <summary>A write failed: the activation's state may be ahead of the journal and must not be used.</summary>
    bool Failed { get; }

    /// <summary>The grain's name as a sender of numbered messages.</summary>
    string SenderName { get; }
}
