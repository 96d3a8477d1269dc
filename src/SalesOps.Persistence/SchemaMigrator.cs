using System.Reflection;
using Npgsql;

namespace SalesOps.Persistence;

/// <summary>
/// Brings a PostgreSQL database up to the schema shipped in this assembly (<c>Schema/*.sql</c>, embedded):
/// the Orleans provider tables and queries and the SalesOps journal.
/// </summary>
/// <remarks>
/// Safe to call from every silo at start-up: the database is created if missing, concurrent migrators
/// serialise on a PostgreSQL advisory lock, and each script is applied once, in name order, in its own
/// transaction together with its row in <c>salesops_schema_version</c>.
/// </remarks>
public static class SchemaMigrator
{
    private const string ResourcePrefix = "SalesOps.Persistence.Schema.";
    private const string VersionTable = "salesops_schema_version";

    // An arbitrary constant shared by every SalesOps migrator; advisory locks are scoped to the database.
    private const long AdvisoryLockKey = 0x53616C65734F7073; // "SalesOps"

    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The names of the embedded schema scripts, in the order they apply.</summary>
    public static IReadOnlyList<string> ScriptNames { get; } = typeof(SchemaMigrator).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// Creates the database named in <paramref name="connectionString"/> if it does not exist, then applies every
    /// embedded script not yet recorded in <c>salesops_schema_version</c>.
    /// </summary>
    /// <returns>The names of the scripts this call applied, in order; empty when the schema was already current.</returns>
    /// <exception cref="InvalidOperationException">A script failed (the message names it) or the database could not be created.</exception>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var target = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // Session state (the advisory lock) must not outlive this call in a pooled connection.
            Pooling = false,
        };
        if (string.IsNullOrWhiteSpace(target.Database))
        {
            throw new ArgumentException("The connection string names no database (Database=...).", nameof(connectionString));
        }

        await EnsureDatabaseExistsAsync(target, cancellationToken).ConfigureAwait(false);

        await using var connection = new NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await AcquireLockAsync(connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(
                connection,
                $"CREATE TABLE IF NOT EXISTS {VersionTable} (script varchar(200) PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken).ConfigureAwait(false);

            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            var appliedNow = new List<string>();
            foreach (var script in ScriptNames.Where(s => !applied.Contains(s)))
            {
                await ApplyAsync(connection, script, cancellationToken).ConfigureAwait(false);
                appliedNow.Add(script);
            }

            return appliedNow;
        }
        finally
        {
            // Closing the (unpooled) connection releases the lock too; unlock explicitly while it is healthy.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                    unlock.Parameters.AddWithValue("key", AdvisoryLockKey);
                    await unlock.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    // The connection is closed next, which ends the session and its locks.
                }
            }
        }
    }

    private static async Task EnsureDatabaseExistsAsync(NpgsqlConnectionStringBuilder target, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = new NpgsqlConnection(target.ConnectionString);
            await probe.OpenAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // The database does not exist yet: create it from the maintenance database below.
        }

        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException(
                $"Database '{target.Database}' does not exist and the maintenance database 'postgres' on {target.Host}:{target.Port} could not be opened to create it: {ex.Message}",
                ex);
        }

        // Serialise creators that go through this code; the error handling below covers anyone else.
        await AcquireLockAsync(connection, cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection))
        {
            exists.Parameters.AddWithValue("name", target.Database!);
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }

        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {QuoteIdentifier(target.Database!)}", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another process created it between our check and our CREATE DATABASE: that is what we wanted.
        }
        catch (PostgresException ex)
        {
            throw new InvalidOperationException($"Could not create database '{target.Database}': {ex.MessageText} (SQLSTATE {ex.SqlState}).", ex);
        }
    }

    private static async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection)
        {
            CommandTimeout = (int)LockWait.TotalSeconds,
        };
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        try
        {
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex.InnerException is TimeoutException)
        {
            throw new InvalidOperationException(
                $"Timed out after {LockWait.TotalSeconds:0} s waiting for the schema migration lock on database '{connection.Database}'; another migrator holds it.",
                ex);
        }
    }

    private static async Task<HashSet<string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"SELECT script FROM {VersionTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, string script, CancellationToken cancellationToken)
    {
        var sql = ReadScript(script);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = (int)ScriptTimeout.TotalSeconds })
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var record = new NpgsqlCommand($"INSERT INTO {VersionTable} (script, applied_at) VALUES (@script, now())", connection, transaction))
            {
                record.Parameters.AddWithValue("script", script);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            await TryRollbackAsync(transaction).ConfigureAwait(false);
            var where = ex.Position > 0 ? $" at character {ex.Position}" : string.Empty;
            throw new InvalidOperationException(
                $"Schema script '{script}' failed{where}: {ex.MessageText} (SQLSTATE {ex.SqlState}). Nothing of it was applied.",
                ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            await TryRollbackAsync(transaction).ConfigureAwait(false);
            throw new InvalidOperationException($"Schema script '{script}' did not complete: {ex.Message}. Nothing of it was applied.", ex);
        }
    }

    private static async Task TryRollbackAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The connection is broken; the server rolls the transaction back when the session ends.
        }
    }

    private static string ReadScript(string script)
    {
        using var stream = typeof(SchemaMigrator).Assembly.GetManifestResourceStream(ResourcePrefix + script)
            ?? throw new InvalidOperationException($"Schema script '{script}' is not embedded in {typeof(SchemaMigrator).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
