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

        Assert.Contains("entries 1–3 do not follow the last entry stored in the stream", failure.Message);
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal([2L], records.Select(r => r.Sequence)); // none of the failed append's entries
        Assert.Equal("written by another activation", System.Text.Encoding.UTF8.GetString(records[0].Entry));
    }

    [Fact]
    public async Task ManyConcurrentMultiEntryAppends_StoreEveryEntryOnceInOrder()
    {
        // Two writers, small batches: twenty streams append at once, each stream one append after another as a grain
        // does, so appends of one stream are spread over many commits, each append whole.
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 2, MaxBatch = 7 }, NullLogger<PostgresJournal>.Instance);
        var prefix = "journal-test/" + Guid.NewGuid().ToString("N") + "/";
        var streams = Enumerable.Range(0, 20).Select(i => prefix + i).ToArray();

        async Task<long> WriteAsync(string stream)
        {
            var next = 1L;
            for (var round = 0; round < 10; round++)
            {
                var count = 1 + ((round + stream.Length) % 5);
                await journal.AppendAsync(stream, next, Enumerable.Range(0, count).Select(k => Entry($"{round}.{k}")).ToArray());
                next += count;
            }

            return next;
        }

        var written = await Task.WhenAll(streams.Select(WriteAsync)).WaitAsync(Limits.Call);
        for (var s = 0; s < streams.Length; s++)
        {
            var records = await journal.ReadAsync(streams[s], 0).WaitAsync(Limits.Call);
            Assert.Equal(Enumerable.Range(1, (int)written[s] - 1).Select(i => (long)i), records.Select(r => r.Sequence));
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
    public async Task ChainedAppendsOfOneStreamInOneCommit_AreStoredBoth_AndOneLeavingAGapIsRefused()
    {
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);

        var (first, second) = await AppendTwoInOneCommitAsync(journal, stream, [Entry("a1")], [Entry("a2"), Entry("a3")]);
        await Task.WhenAll(first, second).WaitAsync(Limits.Call);
        var (third, gap) = await AppendTwoInOneCommitAsync(journal, stream, 4, [Entry("a4")], 6, [Entry("a6")]);
        await third.WaitAsync(Limits.Call);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => gap.WaitAsync(Limits.Call));

        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(["a1", "a2", "a3", "a4"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
    }

    [Fact]
    public async Task AppendOfAStaleActivation_AfterAnotherTruncatedPastIt_IsRefused()
    {
        // The stale activation's view ends at entry 1. Another activation wrote 2–3, saved a snapshot and truncated the
        // entries it covers. Stored, the stale entry 2 would be skipped by every replay (the snapshot covers it): an
        // acknowledged input lost. Truncation keeps entry 3, marked covered, and it refuses the stale append.
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions(), NullLogger<PostgresJournal>.Instance);
        await journal.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync(stream, 2, [Entry("b"), Entry("c")]).WaitAsync(Limits.Call);
        await journal.TruncateAsync(stream, 3).WaitAsync(Limits.Call);

        Assert.Equal([(3L, true)], await RowsAsync(stream));
        Assert.Empty(await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call)); // a covered entry is not read
        Assert.DoesNotContain(stream, await journal.StreamsAsync().WaitAsync(Limits.Call)); // nor left to recover
        var failure = await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 2, [Entry("stale")]).WaitAsync(Limits.Call));
        Assert.Contains("entries 2–2 do not follow the last entry stored in the stream", failure.Message);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync(stream, 3, [Entry("stale too")]).WaitAsync(Limits.Call));

        await journal.AppendAsync(stream, 4, [Entry("d")]).WaitAsync(Limits.Call);
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(["d"], records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
        Assert.Contains(stream, await journal.StreamsAsync().WaitAsync(Limits.Call));

        // Truncations may land out of order (they run behind the snapshot): a later one for an earlier snapshot does not
        // bring back what a newer one dropped, nor drop the highest entry.
        await journal.TruncateAsync(stream, 4).WaitAsync(Limits.Call);
        await journal.TruncateAsync(stream, 3).WaitAsync(Limits.Call);
        Assert.Equal([(4L, true)], await RowsAsync(stream));
    }

    [Fact]
    public async Task AppendWhoseNumbersAnotherActivationWritesAndTruncatesWhileItRuns_IsRefused()
    {
        // The stale append's statement has started (its first check passed: nothing at or after entry 2) and is held
        // before its insert by a test trigger waiting on a lock the test holds, while another activation appends 2–3
        // and truncates to 3, dropping entry 2. The insert then meets no conflict at entry 2; the check after the
        // insert, a later statement, sees entry 3.
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        var trigger = "hold_insert_" + Guid.NewGuid().ToString("N");
        var key = Random.Shared.NextInt64();
        await Sql.ExecuteAsync(fixture.ConnectionString, """
            CREATE OR REPLACE FUNCTION salesops_test_hold() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_advisory_xact_lock(TG_ARGV[0]::bigint); RETURN NEW; END $$
            """);
        await Sql.ExecuteAsync(
            fixture.ConnectionString,
            $"CREATE TRIGGER {trigger} BEFORE INSERT ON salesops_journal FOR EACH ROW " +
            $"WHEN (NEW.stream = '{stream}' AND NEW.entry = 'stale'::bytea) EXECUTE FUNCTION salesops_test_hold('{key}')");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
            await using var stale = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
            await using var current = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
            await stale.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
            await using var holder = new NpgsqlConnection(fixture.ConnectionString);
            await holder.OpenAsync().WaitAsync(Limits.Call);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({key})", holder))
            {
                await take.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
            }

            var append = stale.AppendAsync(stream, 2, [Entry("stale")]);
            await WaitUntilBlockedByAsync(holder);
            await current.AppendAsync(stream, 2, [Entry("b"), Entry("c")]).WaitAsync(Limits.Call);
            await current.TruncateAsync(stream, 3).WaitAsync(Limits.Call);
            await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({key})", holder))
            {
                await release.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
            }

            var failure = await Assert.ThrowsAsync<JournalUnavailableException>(() => append.WaitAsync(Limits.Call));
            Assert.Contains("entries 2–2 do not follow the last entry stored in the stream", failure.Message);
            Assert.Equal([(3L, true)], await RowsAsync(stream));
        }
        finally
        {
            await Sql.ExecuteAsync(fixture.ConnectionString, $"DROP TRIGGER {trigger} ON salesops_journal");
        }
    }

    [Fact]
    public async Task AppendsOfOneStreamInOneCommit_AreRefusedTogether_WhenTheFirstIs()
    {
        // Entry 1 is another activation's. An append of 1 and its continuation of 2 in the same commit: the first is
        // refused, and the second, which continues it, must not go in on top of the other activation's entry 1.
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
        await journal.AppendAsync(stream, 1, [Entry("other")]).WaitAsync(Limits.Call);

        var (first, second) = await AppendTwoInOneCommitAsync(journal, stream, [Entry("x1")], [Entry("x2")]);

        await Assert.ThrowsAsync<JournalUnavailableException>(() => first.WaitAsync(Limits.Call));
        await Assert.ThrowsAsync<JournalUnavailableException>(() => second.WaitAsync(Limits.Call));
        Assert.Equal([(1L, false)], await RowsAsync(stream));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public async Task TwoWritersOfOneNumberAtOnce_OnlyOneIsStored(bool newStream, bool otherCommits)
    {
        // Another activation's commit holds entry 2 (or entry 1 of a new stream) while this journal's append of the same
        // number and the next runs. The append waits for it, then finds the number taken and is refused whole (the next
        // number, which it did insert, comes out again); had the other rolled back, the append goes in.
        var stream = "journal-test/" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var journal = new PostgresJournal(dataSource, new JournalOptions { Writers = 1 }, NullLogger<PostgresJournal>.Instance);
        long first = 1;
        if (!newStream)
        {
            await journal.AppendAsync(stream, 1, [Entry("a")]).WaitAsync(Limits.Call);
            first = 2;
        }

        await using var other = new NpgsqlConnection(fixture.ConnectionString);
        await other.OpenAsync().WaitAsync(Limits.Call);
        await using var otherTransaction = await other.BeginTransactionAsync().AsTask().WaitAsync(Limits.Call);
        await using (var append = new NpgsqlCommand("SELECT count(*) FROM salesops_journal_append(ARRAY[@stream], ARRAY[@seq], ARRAY[@entry], ARRAY[0])", other, otherTransaction))
        {
            append.Parameters.AddWithValue("stream", stream);
            append.Parameters.AddWithValue("seq", first);
            append.Parameters.AddWithValue("entry", Entry("other"));
            Assert.Equal(0L, await append.ExecuteScalarAsync().WaitAsync(Limits.Call)); // the other writer's append went in
        }

        var ours = journal.AppendAsync(stream, first, [Entry("ours"), Entry("ours, next")]);
        await WaitUntilBlockedByAsync(other);
        if (otherCommits)
        {
            await otherTransaction.CommitAsync().WaitAsync(Limits.Call);
            await Assert.ThrowsAsync<JournalUnavailableException>(() => ours.WaitAsync(Limits.Call));
        }
        else
        {
            await otherTransaction.RollbackAsync().WaitAsync(Limits.Call);
            await ours.WaitAsync(Limits.Call);
        }

        var expected = (newStream ? Array.Empty<string>() : ["a"]).Concat(otherCommits ? ["other"] : ["ours", "ours, next"]);
        var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
        Assert.Equal(expected, records.Select(r => System.Text.Encoding.UTF8.GetString(r.Entry)));
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
            await WaitUntilBlockedByAsync(other);
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

    /// <summary>The stream's stored rows, covered ones included, as (number, covered).</summary>
    private async Task<(long Seq, bool Covered)[]> RowsAsync(string stream) =>
        [.. (await Sql.RowsAsync(fixture.ConnectionString, "SELECT seq, covered FROM salesops_journal WHERE stream = @stream ORDER BY seq", ("stream", stream)))
            .Select(r => ((long)r[0]!, (bool)r[1]!))];

    /// <summary>
    /// Queues two appends of <paramref name="stream"/> (from entry 1 and from entry 2) while the journal's only writer
    /// waits on a table lock with an unrelated append, so both go into its next commit.
    /// </summary>
    private Task<(Task First, Task Second)> AppendTwoInOneCommitAsync(PostgresJournal journal, string stream, byte[][] first, byte[][] second) =>
        AppendTwoInOneCommitAsync(journal, stream, 1, first, 2, second);

    private async Task<(Task First, Task Second)> AppendTwoInOneCommitAsync(
        PostgresJournal journal, string stream, long firstFrom, byte[][] first, long secondFrom, byte[][] second)
    {
        await using var locker = new NpgsqlConnection(fixture.ConnectionString);
        await locker.OpenAsync().WaitAsync(Limits.Call);
        await using var transaction = await locker.BeginTransactionAsync().AsTask().WaitAsync(Limits.Call);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE salesops_journal IN SHARE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
        }

        var blocker = journal.AppendAsync(stream + "/blocker/" + firstFrom, 1, [Entry("blocker")]);
        await WaitUntilBlockedByAsync(locker);

        var queued = (journal.AppendAsync(stream, firstFrom, first), journal.AppendAsync(stream, secondFrom, second));
        await transaction.CommitAsync().WaitAsync(Limits.Call);
        await blocker.WaitAsync(Limits.Call);
        return queued;
    }

    /// <summary>Waits until some backend waits for a lock <paramref name="holder"/>'s backend holds (the journal's writer).</summary>
    private async Task WaitUntilBlockedByAsync(NpgsqlConnection holder)
    {
        var deadline = DateTime.UtcNow + Limits.Call;
        while (await Sql.ScalarAsync<long>(
            fixture.ConnectionString,
            "SELECT count(*) FROM pg_stat_activity WHERE @holder = ANY (pg_blocking_pids(pid))",
            ("holder", holder.ProcessID)) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"nothing waited on a lock of backend {holder.ProcessID}");
            await Task.Delay(20);
        }
    }
}
