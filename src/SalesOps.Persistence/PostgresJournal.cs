using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using SalesOps.Runtime;
using SalesOps.Runtime.Telemetry;

namespace SalesOps.Persistence;

/// <summary>Tuning of the journal's group commit.</summary>
public sealed class JournalOptions
{
    /// <summary>Most appends in one commit (an append is one grain call's entries, usually one).</summary>
    public int MaxBatch { get; set; } = 4096;

    /// <summary>Commits in flight at once; each takes whatever queued while the others ran.</summary>
    public int Writers { get; set; } = 2;

    /// <summary>How long one commit may take before its appends fail (and the events are answered UNAVAILABLE).</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most streams read in one query when many grains activate at once.</summary>
    public int MaxReadBatch { get; set; } = 512;

    /// <summary>Read queries in flight at once.</summary>
    public int Readers { get; set; } = 2;
}

/// <summary>
/// The journal on PostgreSQL (table <c>salesops_journal</c>), with group commit: appends from all grains of the
/// silo queue up, and each writer takes everything queued (up to <see cref="JournalOptions.MaxBatch"/>) into one
/// INSERT and one commit, so the commit rate, not the event rate, is what the database sees. Under light load a
/// commit carries one entry and adds one round trip; under heavy load it carries thousands. Reads are batched the
/// same way — thousands of grains activating at once (a restart, a burst of new deals) cost a few queries, not one
/// connection each — so the journal holds a handful of connections however busy it is.
/// </summary>
public sealed partial class PostgresJournal : IEventJournal, IAsyncDisposable
{
    /// <summary>Why an append was refused (after its stream and numbers); the SQLite journal says the same.</summary>
    internal const string NotStoredReason =
        "do not follow the last entry stored in the stream: another activation of the grain wrote there first; none was stored";

    // Schema script 0009: refuses the appends that a stored entry at or after their first number rules out, inserts the
    // rest, checks again in a later statement for entries committed past them meanwhile, takes out again the entries of
    // any append refused or not stored whole, and returns the appends not stored, all in one call (one implicit
    // transaction, one round trip; ADR 0042).
    private const string AppendSql = "SELECT salesops_journal_append(@streams, @seqs, @entries, @appends)";

    private static readonly KeyValuePair<string, object?> CommitOk = new(EngineMetrics.OutcomeTag, "ok");
    private static readonly KeyValuePair<string, object?> CommitFailed = new(EngineMetrics.OutcomeTag, "failed");

    private readonly NpgsqlDataSource _dataSource;
    private readonly JournalOptions _options;
    private readonly ILogger<PostgresJournal> _logger;
    private const string ReadSql =
        "SELECT j.stream, j.seq, j.entry FROM unnest(@streams, @afters) AS r(stream, after) " +
        "JOIN salesops_journal j ON j.stream = r.stream AND j.seq > r.after AND NOT j.covered ORDER BY j.stream, j.seq";

    private readonly Channel<Append> _queue = Channel.CreateUnbounded<Append>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Channel<Read> _reads = Channel.CreateUnbounded<Read>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _writers;

    public PostgresJournal(NpgsqlDataSource dataSource, JournalOptions options, ILogger<PostgresJournal> logger)
    {
        _dataSource = dataSource;
        _options = options;
        _logger = logger;
        _writers = Enumerable.Range(0, Math.Max(1, options.Writers))
            .Select(_ => Task.Run(() => BatchLoopAsync(_queue.Reader, options.MaxBatch, CommitAsync)))
            .Concat(Enumerable.Range(0, Math.Max(1, options.Readers))
                .Select(_ => Task.Run(() => BatchLoopAsync(_reads.Reader, options.MaxReadBatch, ReadBatchAsync))))
            .ToArray();
    }

    public bool IsDurable => true;

    public Task AppendAsync(string stream, long firstSequence, IReadOnlyList<byte[]> entries)
    {
        var append = new Append(stream, firstSequence, entries);
        if (!_queue.Writer.TryWrite(append))
        {
            return Task.FromException(new JournalUnavailableException("the journal is shutting down"));
        }

        return append.Done.Task;
    }

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, long afterSequence, CancellationToken cancellationToken = default)
    {
        var read = new Read(stream, afterSequence);
        if (!_reads.Writer.TryWrite(read))
        {
            return Task.FromException<IReadOnlyList<JournalRecord>>(new JournalUnavailableException("the journal is shutting down"));
        }

        return read.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>One query for every stream asked for; each caller gets its own stream's entries in order.</summary>
    private async Task ReadBatchAsync(List<Read> batch)
    {
        try
        {
            // The same stream may be asked for twice (an activation retried): answer both from one read.
            var after = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var read in batch)
            {
                after[read.Stream] = after.TryGetValue(read.Stream, out var a) ? Math.Min(a, read.After) : read.After;
            }

            var byStream = after.Keys.ToDictionary(s => s, _ => new List<JournalRecord>(), StringComparer.Ordinal);
            var streams = after.Keys.ToArray();
            var afters = streams.Select(s => after[s]).ToArray();

            using var timeout = new CancellationTokenSource(_options.CommitTimeout);
            await using var command = _dataSource.CreateCommand(ReadSql);
            command.Parameters.Add(new NpgsqlParameter<string[]>("streams", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = streams });
            command.Parameters.Add(new NpgsqlParameter<long[]>("afters", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = afters });
            await using (var reader = await command.ExecuteReaderAsync(timeout.Token))
            {
                while (await reader.ReadAsync(timeout.Token))
                {
                    byStream[reader.GetString(0)].Add(new JournalRecord(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
                }
            }

            foreach (var read in batch)
            {
                read.Done.TrySetResult(byStream[read.Stream].Where(r => r.Sequence > read.After).ToList());
            }
        }
        catch (Exception ex)
        {
            var failure = new JournalUnavailableException($"the journal could not be read ({ex.GetType().Name}: {ex.Message})", ex);
            foreach (var read in batch)
            {
                read.Done.TrySetException(failure);
            }
        }
    }

    /// <summary>
    /// Deletes the entries before <paramref name="sequence"/> and marks that one covered: a stream keeps its highest
    /// entry, so an append of a stale activation is refused even after a snapshot (ADR 0042).
    /// </summary>
    public async Task TruncateAsync(string stream, long sequence)
    {
        // Two statements, the delete first: as one statement the update would run before the delete and lock the kept
        // entry first, and two truncations of one stream at once could then wait on each other.
        await using var command = _dataSource.CreateCommand(
            "DELETE FROM salesops_journal WHERE stream = @stream AND seq < @upto; " +
            "UPDATE salesops_journal SET covered = true WHERE stream = @stream AND seq = @upto AND NOT covered");
        command.Parameters.AddWithValue("stream", stream);
        command.Parameters.AddWithValue("upto", sequence);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<IReadOnlyList<string>> StreamsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT DISTINCT stream FROM salesops_journal WHERE NOT covered");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var streams = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            streams.Add(reader.GetString(0));
        }

        return streams;
    }

    /// <summary>
    /// One writer or reader: waits for work, takes everything queued (up to <paramref name="max"/>) and handles it as
    /// one batch, so the batch grows with the load.
    /// </summary>
    private async Task BatchLoopAsync<T>(ChannelReader<T> reader, int max, Func<List<T>, Task> handle)
    {
        var batch = new List<T>(max);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                batch.Clear();
                while (batch.Count < max && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count > 0)
                {
                    await handle(batch);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The whole batch in one call, so in one transaction: <c>salesops_journal_append</c> (schema script 0009)
    /// refuses an append when an entry at or after its first number is stored, inserts the rest, and takes out again
    /// the entries of any append that did not go in whole or past which another activation committed an entry
    /// meanwhile (it took one of the append's numbers, or wrote past them, between the check and the insert). Truncation keeps each stream's highest entry, so an append from an activation
    /// that no longer holds the stream is refused even after another activation's snapshot (ADR 0042). Every append
    /// learns its outcome only after the commit, so a failure anywhere stores nothing of the batch and fails every
    /// append in it: an append is never left half stored, which is the gap ADR 0005 promises cannot exist.
    /// </summary>
    private async Task CommitAsync(List<Append> batch)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.CommitTimeout);
            var failed = BreakTheirStreams(batch);
            foreach (var notStored in await InsertAsync(batch, failed, timeout.Token))
            {
                failed[notStored] = true;
            }

            for (var a = 0; a < batch.Count; a++)
            {
                var append = batch[a];
                if (failed[a])
                {
                    append.Done.TrySetException(new JournalUnavailableException(
                        $"{append.Stream}: entries {append.FirstSequence}–{append.FirstSequence + append.Entries.Count - 1} " +
                        NotStoredReason));
                }
                else
                {
                    append.Done.TrySetResult();
                }

                EngineMetrics.JournalCommitDuration.RecordSince(append.QueuedAt, failed[a] ? CommitFailed : CommitOk);
            }
        }
        catch (Exception ex)
        {
            LogCommitFailed(_logger, batch.Count, ex);
            var failure = new JournalUnavailableException($"the journal could not commit ({ex.GetType().Name}: {ex.Message})", ex);
            foreach (var append in batch)
            {
                append.Done.TrySetException(failure);
                EngineMetrics.JournalCommitDuration.RecordSince(append.QueuedAt, CommitFailed);
            }
        }
    }

    /// <summary>Stores the batch's appends (all but <paramref name="skip"/>); answers those that were not stored.</summary>
    private async Task<List<int>> InsertAsync(List<Append> batch, bool[] skip, CancellationToken cancellationToken)
    {
        // One row per entry; an append's entries are always in the same batch, so they commit together.
        var rows = 0;
        for (var a = 0; a < batch.Count; a++)
        {
            rows += skip[a] ? 0 : batch[a].Entries.Count;
        }

        var streams = new string[rows];
        var seqs = new long[rows];
        var entries = new byte[rows][];
        var appends = new int[rows];
        var row = 0;
        for (var a = 0; a < batch.Count; a++)
        {
            var append = batch[a];
            if (skip[a])
            {
                continue;
            }

            for (var k = 0; k < append.Entries.Count; k++, row++)
            {
                streams[row] = append.Stream;
                seqs[row] = append.FirstSequence + k;
                entries[row] = append.Entries[k];
                appends[row] = a;
            }
        }

        await using var command = _dataSource.CreateCommand(AppendSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("streams", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = streams });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("entries", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = entries });
        command.Parameters.Add(new NpgsqlParameter<int[]>("appends", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = appends });
        var notStored = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            notStored.Add(reader.GetInt32(0));
        }

        return notStored;
    }

    /// <summary>
    /// Appends that do not continue the append before them of the same stream in the batch (two activations of one
    /// grain writing at once). They are refused before the insert: the statement checks each append against the stored
    /// entries only, not against the others of its batch, and the rows it inserts do not say which append wrote them.
    /// </summary>
    private static bool[] BreakTheirStreams(List<Append> batch)
    {
        var broken = new bool[batch.Count];
        if (batch.Count == 1)
        {
            return broken;
        }

        var next = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var a = 0; a < batch.Count; a++)
        {
            var append = batch[a];
            if (next.TryGetValue(append.Stream, out var expected) && append.FirstSequence != expected)
            {
                broken[a] = true;
                continue;
            }

            next[append.Stream] = append.FirstSequence + append.Entries.Count;
        }

        return broken;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _reads.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_writers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync();
        }

        while (_queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetException(new JournalUnavailableException("the journal is shutting down"));
        }

        while (_reads.Reader.TryRead(out var unread))
        {
            unread.Done.TrySetException(new JournalUnavailableException("the journal is shutting down"));
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal commit of {Count} entries failed; those events are answered UNAVAILABLE")]
    private static partial void LogCommitFailed(ILogger logger, int count, Exception ex);

    private sealed class Read(string stream, long after)
    {
        public string Stream { get; } = stream;
        public long After { get; } = after;
        public TaskCompletionSource<IReadOnlyList<JournalRecord>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Consecutive entries of one stream, committed together.</summary>
    private sealed class Append(string stream, long firstSequence, IReadOnlyList<byte[]> entries)
    {
        public string Stream { get; } = stream;
        public long FirstSequence { get; } = firstSequence;
        public IReadOnlyList<byte[]> Entries { get; } = entries;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When it was queued (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), for the commit-latency metric.</summary>
        public long QueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    }
}
