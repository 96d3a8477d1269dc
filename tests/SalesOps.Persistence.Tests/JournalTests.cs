using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>The PostgreSQL journal: a grain call's entries are stored together or not at all.</summary>
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
    public async Task RemovalOfAStrayEntryFails_NothingOfTheAppendIsStored()
    {
        // Another activation writes entry 3 while the append of entries 2–3 is being inserted: entry 2 goes in and must
        // come out again. Its removal is made to fail; insert and removal are one transaction, so entry 2 is not left
        // behind (a stray entry would be a gap no replay can cross, ADR 0005).
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        var trigger = "refuse_delete_" + Guid.NewGuid().ToString("N");
        await Sql.ExecuteAsync(fixture.ConnectionString, """
            CREATE OR REPLACE FUNCTION salesops_test_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'deletes refused by the test'; END $$
            """);
        await Sql.ExecuteAsync(
            fixture.ConnectionString,
            $"CREATE TRIGGER {trigger} BEFORE DELETE ON salesops_journal FOR EACH ROW WHEN (OLD.stream = '{stream}') EXECUTE FUNCTION salesops_test_refuse_delete()");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
            await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
            await using var other = new NpgsqlConnection(fixture.ConnectionString);
            await other.OpenAsync().WaitAsync(Limits.Call);
            await using var otherTransaction = await other.BeginTransactionAsync().AsTask().WaitAsync(Limits.Call);
            await using (var insert = new NpgsqlCommand("INSERT INTO salesops_journal (stream, seq, entry) VALUES (@stream, 3, @entry)", other, otherTransaction))
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
            Assert.Contains("could not commit", failure.Message);
            var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
            Assert.Equal([3L], records.Select(r => r.Sequence));
        }
        finally
        {
            await Sql.ExecuteAsync(fixture.ConnectionString, $"DROP TRIGGER {trigger} ON salesops_journal");
        }
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
