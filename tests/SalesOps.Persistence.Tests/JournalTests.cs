using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SalesOps.Grains.Durability;

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
}
