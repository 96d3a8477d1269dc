namespace SalesOps.Runtime;

/// <summary>
/// The append-only journal every durable grain writes its state-changing inputs to, one stream per grain
/// (<see cref="JournalStream"/>, <c>repbook/17</c>). An append completes only when the entry is durable; implementations batch appends from many
/// grains into one database commit (group commit). A grain's state is rebuilt by replaying its stream in order.
/// </summary>
public interface IEventJournal
{
    /// <summary>False in memory mode: appends complete at once and nothing is kept.</summary>
    bool IsDurable { get; }

    /// <summary>
    /// Appends <paramref name="entries"/> to <paramref name="stream"/> as entries <paramref name="firstSequence"/>,
    /// <paramref name="firstSequence"/> + 1, …, all in one commit: all are stored or none. Completes when they are
    /// committed; throws <see cref="JournalUnavailableException"/> when the store cannot commit them, or when an entry
    /// at or after <paramref name="firstSequence"/> is stored (another activation of the same grain wrote first;
    /// <see cref="TruncateAsync"/> keeps the stream's highest entry for this, ADR 0042). The caller issues a stream's
    /// next append once the previous one has completed, as a grain does; appends of different streams run at once.
    /// </summary>
    /// <remarks>
    /// All or none, because a grain writes a call's inputs together: were they split over two commits, the later could
    /// succeed after the earlier failed, and the stream would have a gap no replay can cross.
    /// </remarks>
    Task AppendAsync(string stream, long firstSequence, IReadOnlyList<byte[]> entries);

    /// <summary>The entries of <paramref name="stream"/> after <paramref name="afterSequence"/> that no snapshot covers, in order.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops entries up to <paramref name="sequence"/> once a snapshot covers them: those before it are deleted, and
    /// entry <paramref name="sequence"/> is kept, marked covered, so that it still refuses a stale append (ADR 0042).
    /// </summary>
    Task TruncateAsync(string stream, long sequence);

    /// <summary>The streams with entries not yet covered by a snapshot: the grains that may have work to finish.</summary>
    Task<IReadOnlyList<string>> StreamsAsync(CancellationToken cancellationToken = default);
}

/// <summary>One stored journal entry.</summary>
public readonly record struct JournalRecord(long Sequence, byte[] Entry);

/// <summary>The store could not make an entry durable (or read one back); the caller must not acknowledge.</summary>
public sealed class JournalUnavailableException : Exception
{
    public JournalUnavailableException()
    {
    }

    public JournalUnavailableException(string message) : base(message)
    {
    }

    public JournalUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Memory mode: nothing is written, nothing is replayed.</summary>
public sealed class NoJournal : IEventJournal
{
    public bool IsDurable => false;

    public Task AppendAsync(string stream, long firstSequence, IReadOnlyList<byte[]> entries) => Task.CompletedTask;

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, long afterSequence, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<JournalRecord>>([]);

    public Task TruncateAsync(string stream, long sequence) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> StreamsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]);
}
