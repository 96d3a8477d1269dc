using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using SalesOps.Runtime;
using Xunit.Abstractions;

namespace SalesOps.Persistence.Tests;

/// <summary>Grain state in the snapshots provider: durability across a silo crash and etag concurrency.</summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class SnapshotStorageTests(OrleansPostgresFixture fixture)
{
    private const string DirectType = "direct-probe";

    [Fact]
    public async Task SiloHostingAGrainIsKilled_GrainReactivatesOnSurvivorWithWrittenState()
    {
        var grain = fixture.Client.GetGrain<ISnapshotProbeGrain>("failover-" + Guid.NewGuid().ToString("N"));
        await grain.WriteAsync("written before the crash").WaitAsync(Limits.Call);
        var host = await grain.GetHostAsync().WaitAsync(Limits.Call);
        var victim = fixture.Cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(host));
        Assert.True(fixture.Cluster.GetActiveSilos().Count() >= 2, "the test needs a survivor");

        await fixture.Cluster.KillSiloAsync(victim).WaitAsync(Limits.Cluster);
        try
        {
            var state = await Eventually.SucceedsAsync(
                () => grain.GetStateAsync(),
                Limits.Failover,
                TimeSpan.FromSeconds(6),
                "calling the grain after its silo was killed");
            var newHost = await grain.GetHostAsync().WaitAsync(Limits.Call);

            Assert.NotEqual(host, newHost);
            Assert.Equal("written before the crash", state.Value);
            Assert.Equal(1, state.Writes);
            // The victim's row says Dead (UpdateMembershipKey). An in-process kill is not a hard crash: the silo
            // still marks itself dead on the way down, so this does not exercise detection by probes.
            await Eventually.HoldsAsync(
                async () => await Sql.ScalarAsync<int>(
                    fixture.ConnectionString,
                    "SELECT status FROM orleansmembershiptable WHERE deploymentid = @id AND port = @port AND generation = @generation",
                    ("id", fixture.ClusterId),
                    ("port", host.Endpoint.Port),
                    ("generation", host.Generation)) == 6,
                Limits.Failover,
                "the killed silo's membership row says Dead");
        }
        finally
        {
            // Leave two silos for the other tests of the collection.
            await fixture.Cluster.StartAdditionalSiloAsync().WaitAsync(Limits.Cluster);
            await fixture.Cluster.WaitForLivenessToStabilizeAsync().WaitAsync(Limits.Cluster);
        }
    }

    [Fact]
    public async Task GrainWritesState_RowHoldsVersionAndNamedVersionedOrleansBinaryPayload()
    {
        var grain = fixture.Client.GetGrain<ISnapshotProbeGrain>("binary-" + Guid.NewGuid().ToString("N"));

        await grain.WriteAsync("first").WaitAsync(Limits.Call);
        await grain.WriteAsync("second").WaitAsync(Limits.Call);

        var rows = await Sql.RowsAsync(
            fixture.ConnectionString,
            "SELECT version, payloadbinary FROM orleansstorage WHERE serviceid = @service AND graintypestring = @type AND grainidextensionstring = @key",
            ("service", fixture.ServiceId),
            ("type", SnapshotProbeGrain.StateName),
            ("key", grain.GetPrimaryKeyString()));
        var row = Assert.Single(rows);
        Assert.Equal(2, row[0]);
        var payload = (byte[])row[1]!;

        // Stored with Orleans' binary serializer (field ids, no CLR type names), not the provider's JSON default,
        // behind a header naming the state type and its schema version (ADR 0011).
        Assert.Equal((nameof(ProbeState), 1), SnapshotFormat.Describe(payload));
        var state = fixture.SiloService<SnapshotFormat>().Deserialize<ProbeState>(new BinaryData(payload));
        Assert.NotNull(state);
        Assert.Equal("second", state.Value);
        Assert.Equal(2, state.Writes);
    }

    [Fact]
    public async Task GrainWritesAfterSomeoneElseWrote_RaisesInconsistentStateException()
    {
        var grain = fixture.Client.GetGrain<ISnapshotProbeGrain>("conflict-" + Guid.NewGuid().ToString("N"));
        await grain.WriteAsync("mine").WaitAsync(Limits.Call);
        // Someone else (a duplicate activation, an operator) writes the same state row.
        var storage = fixture.SnapshotStorage();
        var other = new GrainState<ProbeState>();
        await storage.ReadStateAsync(SnapshotProbeGrain.StateName, grain.GetGrainId(), other).WaitAsync(Limits.Call);
        Assert.Equal("mine", ValueOf(other));
        other.State = new ProbeState { Value = "theirs", Writes = 10 };
        await storage.WriteStateAsync(SnapshotProbeGrain.StateName, grain.GetGrainId(), other).WaitAsync(Limits.Call);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.WriteAsync("mine again").WaitAsync(Limits.Call));

        var reloaded = await grain.ReloadAsync().WaitAsync(Limits.Call);
        Assert.Equal("theirs", reloaded.Value);
        await grain.WriteAsync("mine after reload").WaitAsync(Limits.Call);
        Assert.Equal("mine after reload", (await grain.ReloadAsync().WaitAsync(Limits.Call)).Value);
    }

    [Fact]
    public async Task SecondFirstWriteOfTheSameState_RaisesInconsistentStateException()
    {
        var storage = fixture.SnapshotStorage();
        var id = NewGrainId("double-insert");
        var first = new GrainState<ProbeState>(new ProbeState { Value = "first" });
        var second = new GrainState<ProbeState>(new ProbeState { Value = "second" });

        await storage.WriteStateAsync(DirectType, id, first).WaitAsync(Limits.Call);

        Assert.Equal("1", first.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(DirectType, id, second).WaitAsync(Limits.Call));
        Assert.Equal("first", ValueOf(await ReadAsync(storage, id)));
    }

    [Fact]
    public async Task ConcurrentFirstWrites_ExactlyOneSucceeds()
    {
        var storage = fixture.SnapshotStorage();
        var id = NewGrainId("race");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await storage.WriteStateAsync(DirectType, id, new GrainState<ProbeState>(new ProbeState { Value = $"writer {i}" }));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }))).WaitAsync(Limits.Call);

        Assert.Single(outcomes, won => won);
        var stored = await ReadAsync(storage, id);
        Assert.Equal("1", stored.ETag);
        Assert.Equal(1L, await CountRowsAsync(id));
    }

    [Fact]
    public async Task WriteWithStaleEtag_RaisesInconsistentStateExceptionAndKeepsNewerState()
    {
        var storage = fixture.SnapshotStorage();
        var id = NewGrainId("stale");
        await storage.WriteStateAsync(DirectType, id, new GrainState<ProbeState>(new ProbeState { Value = "v1" })).WaitAsync(Limits.Call);
        var a = await ReadAsync(storage, id);
        var b = await ReadAsync(storage, id);
        a.State = new ProbeState { Value = "from a" };
        await storage.WriteStateAsync(DirectType, id, a).WaitAsync(Limits.Call);
        Assert.Equal("2", a.ETag);

        b.State = new ProbeState { Value = "from stale b" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(DirectType, id, b).WaitAsync(Limits.Call));

        var stored = await ReadAsync(storage, id);
        Assert.Equal("from a", ValueOf(stored));
        Assert.Equal("2", stored.ETag);
    }

    [Fact]
    public async Task ClearedState_ReadsAsNewAndStaleCopiesStillConflict()
    {
        var storage = fixture.SnapshotStorage();
        var id = NewGrainId("clear");
        var owner = new GrainState<ProbeState>(new ProbeState { Value = "to be cleared" });
        await storage.WriteStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);
        var stale = await ReadAsync(storage, id);

        await storage.ClearStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);

        Assert.Equal("2", owner.ETag);
        Assert.False(owner.RecordExists);
        var afterClear = await ReadAsync(storage, id);
        Assert.Equal("", ValueOf(afterClear));
        Assert.Equal("2", afterClear.ETag);
        stale.State = new ProbeState { Value = "stale after clear" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(DirectType, id, stale).WaitAsync(Limits.Call));
        owner.State = new ProbeState { Value = "written after clear" };
        await storage.WriteStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);
        Assert.Equal("written after clear", ValueOf(await ReadAsync(storage, id)));
    }

    [Fact]
    public async Task ClearWithDeleteStateOnClear_RemovesRowAndNextWriteStartsAtVersionOne()
    {
        var storage = fixture.SnapshotStorage(OrleansPostgresFixture.DeletingStorageName);
        var id = NewGrainId("delete");
        var owner = new GrainState<ProbeState>(new ProbeState { Value = "to be deleted" });
        await storage.WriteStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);
        var stale = await ReadAsync(storage, id);

        await storage.ClearStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);

        Assert.Null(owner.ETag);
        Assert.False(owner.RecordExists);
        Assert.Equal(0L, await CountRowsAsync(id));
        stale.State = new ProbeState { Value = "stale after delete" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(DirectType, id, stale).WaitAsync(Limits.Call));
        owner.State = new ProbeState { Value = "written after delete" };
        await storage.WriteStateAsync(DirectType, id, owner).WaitAsync(Limits.Call);
        Assert.Equal("1", owner.ETag);
        Assert.Equal("written after delete", ValueOf(await ReadAsync(storage, id)));
    }

    private Task<long> CountRowsAsync(GrainId id) => Sql.ScalarAsync<long>(
        fixture.ConnectionString,
        "SELECT count(*) FROM orleansstorage WHERE serviceid = @service AND graintypestring = @type AND grainidextensionstring = @key",
        ("service", fixture.ServiceId),
        ("type", DirectType),
        ("key", id.Key.ToString()!));

    private static string ValueOf(GrainState<ProbeState> state) => Assert.IsType<ProbeState>(state.State).Value;

    private static GrainId NewGrainId(string prefix) => GrainId.Create("snapshotprobe", $"{prefix}-{Guid.NewGuid():N}");

    private static async Task<GrainState<ProbeState>> ReadAsync(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<ProbeState>();
        await storage.ReadStateAsync(DirectType, id, state).WaitAsync(Limits.Call);
        return state;
    }
}
