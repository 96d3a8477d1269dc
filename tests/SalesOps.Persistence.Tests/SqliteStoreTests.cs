using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using SalesOps.Access;
using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>
/// The embedded store (SQLite, the default): the same promises as the PostgreSQL journal, snapshots and access store
/// (JournalTests, SnapshotStorageTests, AccessStoreTests), held by the store itself rather than by a database server —
/// an append stored whole or not at all, versions that refuse a stale writer, keys and audit kept across a reopen, and
/// a folder one server at a time.
/// </summary>
public sealed class SqliteStoreTests : IAsyncLifetime
{
    private const string StateName = "sqlite-probe";
    private static readonly DateTimeOffset At = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "salesops-sqlite-" + Guid.NewGuid().ToString("N"));
    private readonly SnapshotFormat _format = new(
        new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(ProbeState).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>(),
        []);

    private SqliteDatabase _database = null!;

    public Task InitializeAsync()
    {
        _database = SqliteDatabase.Open(_folder, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static byte[] Entry(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static string Text(JournalRecord r) => System.Text.Encoding.UTF8.GetString(r.Entry);

    [Fact]
    public async Task AppendOfSeveralEntries_StoresThemInOrderUnderConsecutiveNumbers_AndKeepsThemAcrossAReopen()
    {
        var journal = new SqliteJournal(_database);
        await journal.AppendAsync("s", 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync("s", 2, [Entry("b"), Entry("c"), Entry("d")]).WaitAsync(Limits.Call);

        var records = await journal.ReadAsync("s", 0).WaitAsync(Limits.Call);
        Assert.Equal([1L, 2, 3, 4], records.Select(r => r.Sequence));
        Assert.Equal(["a", "b", "c", "d"], records.Select(Text));
        Assert.Equal(["c", "d"], (await journal.ReadAsync("s", 2).WaitAsync(Limits.Call)).Select(Text));

        await _database.DisposeAsync();
        _database = SqliteDatabase.Open(_folder, NullLogger.Instance);
        var reopened = await new SqliteJournal(_database).ReadAsync("s", 0).WaitAsync(Limits.Call);
        Assert.Equal(["a", "b", "c", "d"], reopened.Select(Text));
    }

    [Fact]
    public async Task AppendWhoseMiddleEntryIsTaken_FailsAndStoresNoneOfItsEntries()
    {
        var journal = new SqliteJournal(_database);
        await journal.AppendAsync("s", 2, [Entry("written by another activation")]).WaitAsync(Limits.Call);

        var failure = await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync("s", 1, [Entry("x"), Entry("y"), Entry("z")]).WaitAsync(Limits.Call));

        Assert.Contains("entries 1–3 do not follow the last entry stored in the stream", failure.Message);
        var records = await journal.ReadAsync("s", 0).WaitAsync(Limits.Call);
        Assert.Equal([2L], records.Select(r => r.Sequence));
        Assert.Equal("written by another activation", Text(records[0]));
    }

    [Fact]
    public async Task ManyConcurrentMultiEntryAppends_StoreEveryEntryOnceInOrder_AndOverlapsInOneGroupFailAlone()
    {
        // Appends queued together share a group commit (the store's single writer): each is stored whole, and one
        // overlapping another of the same group fails alone, storing nothing, while the rest of the group commits.
        var journal = new SqliteJournal(_database);
        var streams = Enumerable.Range(0, 20).Select(i => "stream-" + i).ToArray();
        var next = streams.ToDictionary(s => s, _ => 1L);
        var appends = new List<Task>();
        var overlaps = new List<Task>();
        for (var round = 0; round < 10; round++)
        {
            foreach (var stream in streams)
            {
                var count = 1 + ((round + stream.Length) % 5);
                appends.Add(journal.AppendAsync(stream, next[stream], Enumerable.Range(0, count).Select(k => Entry($"{round}.{k}")).ToArray()));
                if (round == 3 && stream == streams[7])
                {
                    overlaps.Add(journal.AppendAsync(stream, next[stream] + count - 1, [Entry("overlap"), Entry("stray")]));
                }

                next[stream] += count;
            }
        }

        await Task.WhenAll(appends).WaitAsync(Limits.Call);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => Task.WhenAll(overlaps).WaitAsync(Limits.Call));
        foreach (var stream in streams)
        {
            var records = await journal.ReadAsync(stream, 0).WaitAsync(Limits.Call);
            Assert.Equal(Enumerable.Range(1, (int)next[stream] - 1).Select(i => (long)i), records.Select(r => r.Sequence));
            Assert.DoesNotContain(records, r => Text(r) is "overlap" or "stray");
        }
    }

    [Fact]
    public async Task AppendOfAStaleActivation_AfterAnotherTruncatedPastIt_IsRefused()
    {
        // The stale activation's view ends at entry 1; another activation wrote 2–3, snapshotted them and dropped them.
        // Entry 2 is free again in the table, but entry 3 is kept, marked covered: the stale append must not go in
        // (ADR 0042).
        var journal = new SqliteJournal(_database);
        await journal.AppendAsync("s", 1, [Entry("a")]).WaitAsync(Limits.Call);
        await journal.AppendAsync("s", 2, [Entry("b"), Entry("c")]).WaitAsync(Limits.Call);
        await journal.TruncateAsync("s", 3).WaitAsync(Limits.Call);

        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync("s", 2, [Entry("stale")]).WaitAsync(Limits.Call));
        await journal.AppendAsync("s", 4, [Entry("d")]).WaitAsync(Limits.Call);

        Assert.Equal(["d"], (await journal.ReadAsync("s", 0).WaitAsync(Limits.Call)).Select(Text));
    }

    [Fact]
    public async Task StoreOfAnEarlierBuild_GetsTheCoveredMark_AndKeepsItsEntries()
    {
        // A journal table without the covered mark, and the head table a build of 2026-12-07 kept, as such a store has them.
        await _database.DisposeAsync();
        var file = Path.Combine(_folder, SqliteDatabase.FileName);
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
        {
            await old.OpenAsync().WaitAsync(Limits.Call);
            await using var command = old.CreateCommand();
            command.CommandText = """
                DROP TABLE salesops_journal;
                CREATE TABLE salesops_journal (stream TEXT NOT NULL, seq INTEGER NOT NULL, entry BLOB NOT NULL, PRIMARY KEY (stream, seq)) WITHOUT ROWID;
                INSERT INTO salesops_journal VALUES ('s', 1, X'61');
                CREATE TABLE salesops_journal_head (stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, first_seq INTEGER NOT NULL) WITHOUT ROWID;
                """;
            await command.ExecuteNonQueryAsync().WaitAsync(Limits.Call);
        }

        _database = SqliteDatabase.Open(_folder, NullLogger.Instance);
        var journal = new SqliteJournal(_database);
        await journal.AppendAsync("s", 2, [Entry("b")]).WaitAsync(Limits.Call);
        Assert.Equal(["a", "b"], (await journal.ReadAsync("s", 0).WaitAsync(Limits.Call)).Select(Text));
        await journal.TruncateAsync("s", 2).WaitAsync(Limits.Call);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.AppendAsync("s", 2, [Entry("stale")]).WaitAsync(Limits.Call));
        Assert.Empty(await journal.StreamsAsync().WaitAsync(Limits.Call));
        var tables = await _database.ReadAsync<long>(
            connection =>
            {
                using var count = connection.CreateCommand();
                count.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'salesops_journal_head'";
                return (long)count.ExecuteScalar()!;
            },
            CancellationToken.None);
        Assert.Equal(0, tables);
    }

    [Fact]
    public async Task Truncate_RemovesEntriesUpToTheSnapshot_AndStreamsListsWhatIsLeft()
    {
        var journal = new SqliteJournal(_database);
        await journal.AppendAsync("kept", 1, [Entry("a"), Entry("b"), Entry("c")]).WaitAsync(Limits.Call);
        await journal.AppendAsync("gone", 1, [Entry("x")]).WaitAsync(Limits.Call);

        await journal.TruncateAsync("kept", 2).WaitAsync(Limits.Call);
        await journal.TruncateAsync("gone", 1).WaitAsync(Limits.Call);

        Assert.Equal(["c"], (await journal.ReadAsync("kept", 0).WaitAsync(Limits.Call)).Select(Text));
        Assert.Equal(["kept"], await journal.StreamsAsync().WaitAsync(Limits.Call));
    }

    [Fact]
    public async Task SnapshotWrites_CountVersions_AndAStaleWriterIsRefusedKeepingTheNewerState()
    {
        var storage = new SqliteSnapshots(_database, _format);
        var id = GrainId.Create("snapshotprobe", "stale");
        var first = new GrainState<ProbeState>(new ProbeState { Value = "v1" });
        await storage.WriteStateAsync(StateName, id, first).WaitAsync(Limits.Call);
        Assert.Equal("1", first.ETag);

        var a = await ReadAsync(storage, id);
        var b = await ReadAsync(storage, id);
        a.State = new ProbeState { Value = "from a" };
        await storage.WriteStateAsync(StateName, id, a).WaitAsync(Limits.Call);
        Assert.Equal("2", a.ETag);
        b.State = new ProbeState { Value = "from stale b" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, b).WaitAsync(Limits.Call));

        var stored = await ReadAsync(storage, id);
        Assert.Equal(("from a", "2"), (stored.State?.Value, stored.ETag));
        // Stored as on PostgreSQL: the header naming the type and version, then Orleans' binary form (ADR 0011).
        var payload = await _database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT payload FROM salesops_snapshots WHERE state_name = $n AND grain_id = $id";
            command.Parameters.AddWithValue("$n", StateName);
            command.Parameters.AddWithValue("$id", id.ToString());
            return (byte[])command.ExecuteScalar()!;
        });
        Assert.Equal((nameof(ProbeState), 1), SnapshotFormat.Describe(payload));
    }

    [Fact]
    public async Task ConcurrentFirstWrites_ExactlyOneSucceeds()
    {
        var storage = new SqliteSnapshots(_database, _format);
        var id = GrainId.Create("snapshotprobe", "race");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, id, new GrainState<ProbeState>(new ProbeState { Value = $"writer {i}" }));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }))).WaitAsync(Limits.Call);

        Assert.Single(outcomes, won => won);
        Assert.Equal("1", (await ReadAsync(storage, id)).ETag);
    }

    [Fact]
    public async Task ClearedState_ReadsAsNew_StaleCopiesStillConflict_AndTheNextWriteStartsAtVersionOne()
    {
        var storage = new SqliteSnapshots(_database, _format);
        var id = GrainId.Create("snapshotprobe", "clear");
        var owner = new GrainState<ProbeState>(new ProbeState { Value = "to be cleared" });
        await storage.WriteStateAsync(StateName, id, owner).WaitAsync(Limits.Call);
        var stale = await ReadAsync(storage, id);

        await storage.ClearStateAsync(StateName, id, owner).WaitAsync(Limits.Call);

        Assert.Null(owner.ETag);
        Assert.False(owner.RecordExists);
        Assert.False((await ReadAsync(storage, id)).RecordExists);
        stale.State = new ProbeState { Value = "stale after clear" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, stale).WaitAsync(Limits.Call));
        owner.State = new ProbeState { Value = "written after clear" };
        await storage.WriteStateAsync(StateName, id, owner).WaitAsync(Limits.Call);
        Assert.Equal("1", owner.ETag);
        Assert.Equal("written after clear", (await ReadAsync(storage, id)).State?.Value);
    }

    [Fact]
    public async Task KeysAndAudit_AreKeptAcrossAReopen_TheSecretOnlyAsItsHash()
    {
        var access = new SqliteAccess(_database);
        var (keyId, apiKey, hash) = ApiKeySecret.Generate();
        var key = new ApiKeyRecord(keyId, hash, Role.Connector, "east", "", ["activity_logged"], "HubSpot", At, At.AddDays(30), null, new KeyLimits(500, null, 1_000_000), "admin-1");
        await access.AddAsync(key).WaitAsync(Limits.Call);
        var entry = new AuditEntry(At, "api-key", keyId, Role.Connector, "ipv4:127.0.0.1:5000", "Ingest", "b1", ["e-1", "e-2"], "host-a");
        await access.AppendAsync(entry).WaitAsync(Limits.Call);
        await access.AppendAsync(entry with { ReceivedAt = At.AddMinutes(1), BatchId = "b2", EventIds = ["e-2", "e-3"] }).WaitAsync(Limits.Call);
        Assert.Equal(At.AddDays(1), (await access.RevokeAsync(keyId, At.AddDays(1)).WaitAsync(Limits.Call))?.RevokedAt);

        await _database.DisposeAsync();
        _database = SqliteDatabase.Open(_folder, NullLogger.Instance);
        access = new SqliteAccess(_database);

        var found = await access.FindAsync(keyId).WaitAsync(Limits.Call);
        Assert.NotNull(found);
        Assert.Equal((key.Role, key.RegionId, key.Label, key.Limits, At.AddDays(1)), (found.Role, found.RegionId, found.Label, found.Limits, found.RevokedAt));
        Assert.True(ApiKeySecret.TryParse(apiKey, out _, out var secret) && ApiKeySecret.Matches(found.SecretHash, secret));
        Assert.Equal(1, await _database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT count(*) FROM salesops_api_keys WHERE instr(secret_hash, $secret) = 0";
            command.Parameters.AddWithValue("$secret", System.Text.Encoding.UTF8.GetBytes(secret));
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }));
        Assert.Equal(["b2", "b1"], (await access.ListAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, "e-2", 10).WaitAsync(Limits.Call)).Select(e => e.BatchId));
        Assert.Equal(["b2"], (await access.ListAsync(At.AddSeconds(30), At.AddMinutes(2), null, 100).WaitAsync(Limits.Call)).Select(e => e.BatchId));
    }

    [Fact]
    public async Task ASecondOpenOfTheFolder_IsRefusedNamingIt_UntilTheFirstIsClosed()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => SqliteDatabase.Open(_folder, NullLogger.Instance));
        Assert.Contains("is in use by another SalesOps server", refused.Message);
        Assert.Contains(Path.GetFullPath(_folder), refused.Message);

        await _database.DisposeAsync();
        _database = SqliteDatabase.Open(_folder, NullLogger.Instance);
        await new SqliteJournal(_database).AppendAsync("after", 1, [Entry("ok")]).WaitAsync(Limits.Call);
    }

    private static async Task<GrainState<ProbeState>> ReadAsync(SqliteSnapshots storage, GrainId id)
    {
        var state = new GrainState<ProbeState>();
        await storage.ReadStateAsync(StateName, id, state).WaitAsync(Limits.Call);
        return state;
    }
}
