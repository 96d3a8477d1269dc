using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>The PostgreSQL journal: a grain call's entries are stored together, in one row, or not at all.</summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class JournalTests(OrleansPostgresFixture fixture)
{
    private static byte[] Entry(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task AppendOfSeveralEntries_StoresThemInOrderUnderConsecutiveNumbers()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");

        await journal.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync(stream, 2, [Entry("b"), Entry("c"), Entry("d")]).WaitAsync(Limits.Call);

        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal([1L, 2, 3, 4], records.Select(r => r.Sequence));
        Assert.Equal(["a", "b", "c", "d"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    [Fact]
    public async Task AppendWhoseMiddleEntryIsTaken_FailsAndStoresNoneOfItsEntries()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await journal.AppendAsync(stream, 2, [Entry("written by another activation")]).WaitAsync(Limits.Call);

        var failure = await Assert.ThrowsAsync<JournalUnavailableException>(
            () => journal.AppendAsync(stream, 1, [Entry("x"), Entry("y"), Entry("z")]).WaitAsync(Limits.Call));

        Assert.Contains("entries 1–3 overlap entries another activation of the grain already wrote", failure.Message);
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal([2L], records.Select(r => r.Sequence)); // none of the failed append's entries
        Assert.Equal("written by another activation", System.Text.Encoding.UTF8.GetString(records[0].Entry));
    }

    [Fact]
    public async Task ManyConcurrentMultiEntryAppends_StoreEveryEntryOnceInOrder()
    {
        // Two writers, small batches: appends of one stream are spread over many commits, each append whole.
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 2, MaxBatch = 7 }, NullLogger<PostgresJournal>.Instance);
        var prefix = "journal-test/" + Guid.NewGuid().ToString("N") + "/";
        var streams = Enumerable.Range(0, 20).Select(i => prefix + i).ToArray();
        var next = streams.ToDictionary(s => s, _ => 1L);
        var appends = new List<Task>();
        for (var round = 0; round < 10; round++)
        {
            foreach (var stream in streams)
            {
                var count = 1 + ((round + stream.Length) % 5);
                appends.Add(journal.AppendAsync(stream, next[stream], Enumerable.Range(0, count).Select(k => Entry($"{round}.{k}")).ToArray()));
                next[stream] += count;
            }
        }

        await Task.WhenAll(appends).WaitAsync(Limits.Call);
        foreach (var stream in streams)
        {
            var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
            Assert.Equal(Enumerable.Range(1, (int)next[stream] - 1).Select(i => (long)i), records.Select(r => r.Sequence));
        }
    }

    [Fact]
    public async Task OverlappingAppendsInOneCommit_StoreTheFirstWholeAndNoneOfTheSecond()
    {
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);

        var (first, second) = await AppendTwoInOneCommitAsync(journal, stream, [Entry("a1"), Entry("a2")], [Entry("b2"), Entry("b3")]);

        await first.WaitAsync(Limits.Call);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => second.WaitAsync(Limits.Call));
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(["a1", "a2"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry))); // no stray "b3"
    }

    [Fact]
    public async Task AppendOfTheSameNumbersByAnotherActivationAtTheSameTime_FailsAndStoresNothingOfIt()
    {
        // Another activation writes entry 2 while the append of entries 2–3 is being inserted: the append waits on the
        // other's row and is refused once it commits (the primary key sees rows of transactions in flight).
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
        await using var other = new NpgsqlConnection(fixture.ConnectionString);
        await other.OpenAsync().WaitAsync(Limits.Call);
        await using var otherTransaction = await other.BeginTransactionAsync().AsTask().WaitAsync(Limits.Call);
        await using (var insert = new NpgsqlCommand("INSERT INTO salesops_journal (stream, seq, entry) VALUES (@stream, 2, @entry)", other, otherTransaction))
        {
            insert.Parameters.AddWithValue("stream", stream);
            insert.Parameters.AddWithValue("entry", Entry("written by another activation"));
            await insert.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
        }

        var append = journal.AppendAsync(stream, 2, [Entry("b2"), Entry("b3")]);
        await WaitUntilAsync(async () => await Sql.ScalarAsync<long>(
            fixture.ConnectionString,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted") > 0);
        await otherTransaction.CommitAsync().WaitAsync(Limits.Call);

        var failure = await Assert.ThrowsAsync<JournalUnavailableException>(() => append.WaitAsync(Limits.Call));
        Assert.Contains("entries 2–3 overlap entries another activation of the grain already wrote", failure.Message);
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(["written by another activation"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    [Fact]
    public async Task AppendOfSeveralEntries_IsOneRow()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");

        await journal.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync(stream, 2, [Entry("b"), Entry(""), Entry("d")]).WaitAsync(Limits.Call);

        var rows = await Sql.RowsAsync(fixture.ConnectionString, "SELECT seq, last_seq FROM salesops_journal WHERE stream = @stream ORDER BY seq", ("stream", stream));
        Assert.Equal([(1L, (long?)null), (2L, 4L)], rows.Select(r => ((long)r[0]!, (long?)r[1])));
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(["a", "b", "", "d"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    [Fact]
    public async Task AppendThatStartsOrEndsInsideAStoredRow_FailsAndStoresNothing()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await journal.AppendAsync(stream, 3, [Entry("c"), Entry("d"), Entry("e")]).WaitAsync(Limits.Call);

        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 4, [Entry("x")]).WaitAsync(Limits.Call));
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 5, [Entry("x"), Entry("y")]).WaitAsync(Limits.Call));
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 1, [Entry("x"), Entry("y"), Entry("z")]).WaitAsync(Limits.Call));
        await journal.AppendAsync(stream, 1, [Entry("a"), Entry("b")]).WaitAsync(Limits.Call);
        await journal.AppendAsync(stream, 6, [Entry("f")]).WaitAsync(Limits.Call);

        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal([1L, 2, 3, 4, 5, 6], records.Select(r => r.Sequence));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    [Fact]
    public async Task Truncation_DropsOnlyRowsWhollyCoveredAndReadsResumeInsideARow()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await journal.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync(stream, 2, [Entry("b"), Entry("c"), Entry("d")]).WaitAsync(Limits.Call);

        await journal.TruncateAsync(stream, 3).WaitAsync(Limits.Call);

        Assert.Equal(1, await Sql.ScalarAsync<long>(fixture.ConnectionString, "SELECT count(*) FROM salesops_journal WHERE stream = @stream", ("stream", stream)));
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal([2L, 3, 4], records.Select(r => r.Sequence));
        var afterSnapshot = await journal.ReadAsync(stream, 3).WaitAsync(Limits.Call);
        Assert.Equal(["d"], afterSnapshot.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));

        await journal.TruncateAsync(stream, 4).WaitAsync(Limits.Call);
        Assert.Empty(await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call));
    }

    [Fact]
    public async Task RowsOfOneEntryWrittenBeforeRowsPerAppend_ReadOnWithTheNewRows()
    {
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        foreach (var (seq, text) in new[] { (1L, "old 1"), (2L, "old 2") })
        {
            await using var connection = new NpgsqlConnection(fixture.ConnectionString);
            await connection.OpenAsync().WaitAsync(Limits.Call);
            await using var insert = new NpgsqlCommand("INSERT INTO salesops_journal (stream, seq, entry) VALUES (@stream, @seq, @entry)", connection);
            insert.Parameters.AddWithValue("stream", stream);
            insert.Parameters.AddWithValue("seq", seq);
            insert.Parameters.AddWithValue("entry", Entry(text));
            await insert.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
        }

        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 2, [Entry("x"), Entry("y")]).WaitAsync(Limits.Call));
        await journal.AppendAsync(stream, 3, [Entry("new 3"), Entry("new 4")]).WaitAsync(Limits.Call);

        var records = await journal.ReadAsync(stream, 1).WaitAsync(Limits.Call);
        Assert.Equal(["old 2", "new 3", "new 4"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    /// <summary>
    /// Queues two appends of <paramref name="stream"/> (from entry 1 and from entry 2, so they overlap) while the
    /// journal's only writer waits on a table lock with an unrelated append, so both go into its next commit.
    /// </summary>
    private async Task<(Task First, Task Second)> AppendTwoInOneCommitAsync(PostgresJournal journal, string stream, byte[][] first, byte[][] second)
    {
        await using var locker = new NpgsqlConnection(fixture.ConnectionString);
        await locker.OpenAsync().WaitAsync(Limits.Call);
        await using var transaction = await locker.BeginTransactionAsync().AsTask().WaitAsync(Limits.Call);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE salesops_journal IN SHARE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
        }

        var blocker = journal.AppendAsync(stream + "/blocker", 1, [Entry("blocker")]);
        await WaitUntilAsync(async () => await Sql.ScalarAsync<long>(
            fixture.ConnectionString,
            "SELECT count(*) FROM pg_locks WHERE relation = 'salesops_journal'::regclass AND NOT granted") > 0);

        var queued = (journal.AppendAsync(stream, 1, first), journal.AppendAsync(stream, 2, second));
        await transaction.CommitAsync().WaitAsync(Limits.Call);
        await blocker.WaitAsync(Limits.Call);
        return queued;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Limits.Call;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the journal's writer never waited on the lock");
            await Task.Delay(20);
        }
    }
}
