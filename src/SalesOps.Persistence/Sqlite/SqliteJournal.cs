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
    /// Inside the group's transaction: stores the entries if they continue the stream's head (table
    /// <c>salesops_journal_head</c>, the last number ever stored, which truncation leaves alone; ADR 0042) and no entry
    /// at or after their first number is stored, and moves the head to their last number; a stream without a head
    /// starts one. Otherwise it stores none and answers false. Earlier appends of the same transaction are seen, as in PostgreSQL.
    /// </summary>
    private static bool Insert(SqliteConnection connection, string stream, long firstSequence, IReadOnlyList<byte[]> entries)
    {
        var last = firstSequence + entries.Count - 1;
        using (var check = connection.CreateCommand())
        {
            check.CommandText = """
                SELECT NOT EXISTS (SELECT 1 FROM salesops_journal_head WHERE stream = $stream AND last_seq <> $first - 1)
                  AND NOT EXISTS (SELECT 1 FROM salesops_journal WHERE stream = $stream AND seq >= $first)
                """;
            check.Parameters.AddWithValue("$stream", stream);
            check.Parameters.AddWithValue("$first", firstSequence);
            if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return false;
            }
        }

        using (var head = connection.CreateCommand())
        {
            head.CommandText = """
                INSERT INTO salesops_journal_head (stream, last_seq, first_seq) VALUES ($stream, $last, $first)
                ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq, first_seq = excluded.first_seq
                """;
            head.Parameters.AddWithValue("$stream", stream);
            head.Parameters.AddWithValue("$first", firstSequence);
            head.Parameters.AddWithValue("$last", last);
            head.ExecuteNonQuery();
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
                    command.CommandText = "SELECT seq, entry FROM salesops_journal WHERE stream = $stream AND seq > $after ORDER BY seq";
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

    public Task TruncateAsync(string stream, long sequence) =>
        database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM salesops_journal WHERE stream = $stream AND seq <= $upto";
            command.Parameters.AddWithValue("$stream", stream);
            command.Parameters.AddWithValue("$upto", sequence);
            return command.ExecuteNonQuery();
        });

    public Task<IReadOnlyList<string>> StreamsAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<string>>(
            connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT DISTINCT stream FROM salesops_journal";
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
