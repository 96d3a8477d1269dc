using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SalesOps.Persistence;

/// <summary>
/// The embedded store of a single server: one SQLite file (<c>salesops.db</c>) in a data folder, holding the journal,
/// the grain snapshots, the API keys and the audit log. Nothing to install or set up: the folder and the tables are
/// made on first use.
/// </summary>
/// <remarks>
/// <para>
/// SQLite takes one writer at a time, so every write of the server goes through one writer loop that takes whatever
/// queued while the previous commit ran and commits it as one transaction (group commit, as the PostgreSQL journal
/// does): a commit waits for one fsync however many events it carries. The file is in WAL mode with
/// <c>synchronous=FULL</c>, so a committed transaction survives a crash of the process and of the machine.
/// </para>
/// <para>
/// Microsoft.Data.Sqlite's async methods run synchronously, so nothing runs on the caller's (an Orleans grain's) thread:
/// the writer has a thread of its own, and reads run on the thread pool, at most <see cref="Readers"/> at once; WAL
/// lets them read while the writer writes.
/// </para>
/// <para>
/// One server per folder: a lock file (<c>salesops.lock</c>, held open and locked while the server runs) refuses a
/// second server at start-up with a message naming the folder. Clusters use PostgreSQL.
/// </para>
/// </remarks>
public sealed partial class SqliteDatabase : IAsyncDisposable
{
    public const string FileName = "salesops.db";
    public const string LockFileName = "salesops.lock";

    /// <summary>Read connections in use at once.</summary>
    public const int Readers = 4;

    private const int MaxBatch = 4096;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS salesops_journal (
          stream TEXT NOT NULL,
          seq INTEGER NOT NULL,
          entry BLOB NOT NULL,
          covered INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (stream, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS salesops_snapshots (
          state_name TEXT NOT NULL,
          grain_id TEXT NOT NULL,
          version INTEGER NOT NULL,
          payload BLOB NOT NULL,
          PRIMARY KEY (state_name, grain_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS salesops_api_keys (
          key_id TEXT PRIMARY KEY,
          secret_hash BLOB NOT NULL,
          role INTEGER NOT NULL,
          region_id TEXT NOT NULL,
          rep_id TEXT NOT NULL,
          event_kinds TEXT NOT NULL,
          label TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER,
          revoked_at INTEGER,
          events_per_second INTEGER,
          watch_streams INTEGER,
          max_request_bytes INTEGER,
          created_by TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS salesops_audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          received_at INTEGER NOT NULL,
          identity_kind TEXT NOT NULL,
          identity TEXT NOT NULL,
          role INTEGER NOT NULL,
          peer TEXT NOT NULL,
          method TEXT NOT NULL,
          batch_id TEXT NOT NULL,
          event_ids TEXT NOT NULL,
          server TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS salesops_audit_received ON salesops_audit (received_at);
        CREATE TABLE IF NOT EXISTS salesops_audit_events (
          event_id TEXT NOT NULL,
          audit_id INTEGER NOT NULL,
          PRIMARY KEY (event_id, audit_id)
        ) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly FileStream _lock;
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _readers = new(Readers, Readers);
    private readonly ILogger _logger;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SqliteDatabase(string folder, FileStream lockFile, ILogger logger)
    {
        Folder = folder;
        Path = System.IO.Path.Combine(folder, FileName);
        _lock = lockFile;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using (var connection = Open())
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, Schema);
            Upgrade(connection);
        }

        // A thread of its own: its commits block on fsync, which must not hold a thread-pool worker that Orleans and
        // Kestrel share.
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "SalesOps SQLite writer" };
        _writer.Start();
    }

    /// <summary>
    /// Brings a store made by an earlier build up to the schema above: the journal's <c>covered</c> mark (ADR 0042),
    /// and no head table (a build of 2026-12-07 kept one per stream).
    /// </summary>
    private static void Upgrade(SqliteConnection connection)
    {
        using (var probe = connection.CreateCommand())
        {
            probe.CommandText = "SELECT count(*) FROM pragma_table_info('salesops_journal') WHERE name = 'covered'";
            if (Convert.ToInt64(probe.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                Execute(connection, "ALTER TABLE salesops_journal ADD COLUMN covered INTEGER NOT NULL DEFAULT 0;");
            }
        }

        Execute(connection, "DROP TABLE IF EXISTS salesops_journal_head;");
    }

    /// <summary>The data folder, as an absolute path.</summary>
    public string Folder { get; }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (creating them when missing) the data folder and its database, and locks the folder for this process;
    /// fails with a message naming the folder when it cannot be made or another server holds it.
    /// </summary>
    public static SqliteDatabase Open(string folder, ILogger logger)
    {
        var full = System.IO.Path.GetFullPath(folder);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Storage:DataDirectory (--data-dir) '{full}' cannot be created: {ex.Message}", ex);
        }

        FileStream lockFile;
        try
        {
            // FileShare.None takes an advisory lock (flock) on Unix that a second process cannot take while this one lives.
            lockFile = new FileStream(System.IO.Path.Combine(full, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"Storage:DataDirectory (--data-dir) '{full}' is in use by another SalesOps server (or cannot be locked: {ex.Message}); " +
                "stop it, or give this one another folder with --data-dir", ex);
        }

        try
        {
            return new SqliteDatabase(full, lockFile, logger);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> inside the next group commit; completes once that transaction is committed, or
    /// fails (nothing of the transaction stored) when it is not.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> write)
    {
        var w = new Write<T>(write);
        return _writes.Writer.TryWrite(w) ? w.Done.Task : Task.FromException<T>(new ObjectDisposedException(nameof(SqliteDatabase), "the store is closing"));
    }

    /// <summary>Runs <paramref name="read"/> on a read connection, off the caller's thread.</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken = default)
    {
        await _readers.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(
                () =>
                {
                    using var connection = Open();
                    return read(connection);
                },
                cancellationToken);
        }
        finally
        {
            _readers.Release();
        }
    }

    /// <summary>A pooled connection; a busy database is waited for up to the connection string's 30 s timeout.</summary>
    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The one writer: each transaction takes everything queued (up to a bound), so it grows with the load. Each write
    /// runs inside a savepoint of its own: one that throws is undone and fails alone, the others commit. Only a failed
    /// BEGIN or COMMIT fails the whole group; a writer that cannot go on fails what is queued and everything after.
    /// </summary>
    private void WriteLoop()
    {
        var batch = new List<Write>(MaxBatch);
        try
        {
            using var connection = Open();
            // The writer's own: FULL makes a WAL commit durable at once (NORMAL may lose the last commits on power loss).
            Execute(connection, "PRAGMA synchronous=FULL;");
            while (_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var w))
                {
                    batch.Add(w);
                }

                Commit(connection, batch);
            }
        }
        catch (Exception ex)
        {
            LogWriterStopped(_logger, ex);
            _writes.Writer.TryComplete(ex);
            var failure = new ObjectDisposedException(nameof(SqliteDatabase), $"the store's writer stopped ({ex.GetType().Name}: {ex.Message})");
            foreach (var w in batch)
            {
                w.Fail(failure);
            }

            while (_writes.Reader.TryRead(out var left))
            {
                left.Fail(failure);
            }
        }
        finally
        {
            _writerStopped.TrySetResult();
        }
    }

    private void Commit(SqliteConnection connection, List<Write> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var failed = new Exception?[batch.Count];
        try
        {
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    Execute(connection, "SAVEPOINT w");
                    try
                    {
                        batch[i].Run(connection);
                        Execute(connection, "RELEASE w");
                    }
                    catch (Exception ex)
                    {
                        Execute(connection, "ROLLBACK TO w");
                        Execute(connection, "RELEASE w");
                        failed[i] = ex;
                    }
                }

                transaction.Commit();
            }
        }
        catch (SqliteException ex)
        {
            LogCommitFailed(_logger, batch.Count, ex);
            foreach (var w in batch)
            {
                w.Fail(ex);
            }

            return;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var milliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogCommitted(_logger, batch.Count, milliseconds);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (failed[i] is { } ex)
            {
                LogWriteFailed(_logger, ex);
                batch[i].Fail(ex);
            }
            else
            {
                batch[i].Complete();
            }
        }
    }

    /// <summary>
    /// Lets the writer finish what is queued (30 s at most), fails what is left, and only then releases the folder's
    /// lock, so a next server never opens the file while this one still writes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writerStopped.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var closing = new ObjectDisposedException(nameof(SqliteDatabase), "the store is closing");
        while (_writes.Reader.TryRead(out var left))
        {
            left.Fail(closing);
        }

        if (_writerStopped.Task.IsCompleted)
        {
            using (var connection = new SqliteConnection(_connectionString))
            {
                SqliteConnection.ClearPool(connection);
            }

            await _lock.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SQLite commit of {Count} writes in {Milliseconds:F1} ms")]
    private static partial void LogCommitted(ILogger logger, int count, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite commit of {Count} writes failed; none of them was stored")]
    private static partial void LogCommitFailed(ILogger logger, int count, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write to the SQLite store failed and was undone; the others of its commit were stored")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The SQLite store's writer stopped; every write fails until the server restarts")]
    private static partial void LogWriterStopped(ILogger logger, Exception ex);

    private abstract class Write
    {
        public abstract void Run(SqliteConnection connection);

        public abstract void Complete();

        public abstract void Fail(Exception ex);
    }

    private sealed class Write<T>(Func<SqliteConnection, T> write) : Write
    {
        private T _result = default!;

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(SqliteConnection connection) => _result = write(connection);

        public override void Complete() => Done.TrySetResult(_result);

        public override void Fail(Exception ex) => Done.TrySetException(ex);
    }
}
