using Microsoft.Data.Sqlite;
using SalesOps.Runtime;

namespace SalesOps.Persistence;

/// <summary>
/// The journal in the embedded store (table <c>salesops_journal</c>): the same promise as the PostgreSQL journal — an
/// append completes once its entries are committed, all of them or none — through the store's group commit.
/// </summary>
public sealed class SqliteJournal(SqliteDatabase database) : IEventJournal
{
    public bool IsDurable => true;

    public async Task AppendAsync(string stream, long firstSequence, IReadOnlyList<byte[]> entries)
    {
        bool stored;
        try
        {
            stored = await database.WriteAsync(connection => Insert(connection, stream, firstSequence, entries));
        }
        catch (Exception ex)
        {
            throw new JournalUnavailableException($"the journal could not commit ({ex.GetType().Name}: {ex.Message})", ex);
        }

        if (!stored)
        {
            throw new JournalUnavailableException(
                $"{stream}: entries {firstSequence}–{firstSequence + entries.Count - 1} {PostgresJournal.NotStoredReason}");
        }
    }

    /// <summary>
    /// Inside the group's transaction: stores the entries unless an entry at or after their first number is stored (by
    /// an earlier append of the same transaction too, which it sees), in which case it stores none and answers false.
    /// Truncation keeps each stream's highest entry, so this refuses a stale activation's append after a snapshot too
    /// (ADR 0042).
    /// </summary>
    private static bool Insert(SqliteConnection connection, string stream, long firstSequence, IReadOnlyList<byte[]> entries)
    {
        using (var taken = connection.CreateCommand())
        {
            taken.CommandText = "SELECT EXISTS (SELECT 1 FROM salesops_journal WHERE stream = $stream AND seq >= $first)";
            taken.Parameters.AddWithValue("$stream", stream);
            taken.Parameters.AddWithValue("$first", firstSequence);
            if (Convert.ToInt64(taken.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0)
            {
                return false;
            }
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO salesops_journal (stream, seq, entry) VALUES ($stream, $seq, $entry)";
        var streamParameter = insert.Parameters.Add("$stream", SqliteType.Text);
        var seqParameter = insert.Parameters.Add("$seq", SqliteType.Integer);
        var entryParameter = insert.Parameters.Add("$entry", SqliteType.Blob);
        streamParameter.Value = stream;
        for (var k = 0; k < entries.Count; k++)
        {
            seqParameter.Value = firstSequence + k;
            entryParameter.Value = entries[k];
            insert.ExecuteNonQuery();
        }

        return true;
    }

    public async Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, long afterSequence, CancellationToken cancellationToken = default)
    {
        try
        {
            return await database.ReadAsync<IReadOnlyList<JournalRecord>>(
                connection =>
                {
                    using var command = connection.CreateCommand();
                    command.CommandText = "SELECT seq, entry FROM salesops_journal WHERE stream = $stream AND seq > $after AND NOT covered ORDER BY seq";
                    command.Parameters.AddWithValue("$stream", stream);
                    command.Parameters.AddWithValue("$after", afterSequence);
                    using var reader = command.ExecuteReader();
                    var records = new List<JournalRecord>();
                    while (reader.Read())
                    {
                        records.Add(new JournalRecord(reader.GetInt64(0), (byte[])reader.GetValue(1)));
                    }

                    return records;
                },
                cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new JournalUnavailableException($"the journal could not be read ({ex.GetType().Name}: {ex.Message})", ex);
        }
    }

    /// <summary>
    /// Deletes the entries before <paramref name="sequence"/> and marks that one covered: a stream keeps its highest
    /// entry, so an append of a stale activation is refused even after a snapshot (ADR 0042).
    /// </summary>
    public Task TruncateAsync(string stream, long sequence) =>
        database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                DELETE FROM salesops_journal WHERE stream = $stream AND seq < $upto;
                UPDATE salesops_journal SET covered = 1 WHERE stream = $stream AND seq = $upto AND NOT covered;
                """;
            command.Parameters.AddWithValue("$stream", stream);
            command.Parameters.AddWithValue("$upto", sequence);
            return command.ExecuteNonQuery();
        });

    public Task<IReadOnlyList<string>> StreamsAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<string>>(
            connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT DISTINCT stream FROM salesops_journal WHERE NOT covered";
                using var reader = command.ExecuteReader();
                var streams = new List<string>();
                while (reader.Read())
                {
                    streams.Add(reader.GetString(0));
                }

                return streams;
            },
            cancellationToken);
}
