using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;

namespace SalesOps.Persistence.Tests;

/// <summary>
/// The ADO.NET membership table on our queries, driven directly (no cluster), so each optimistic-concurrency
/// rule can be checked: the version row is the etag of the whole table.
/// </summary>
[Collection(DatabaseServerCollection.Name)]
public sealed class MembershipTableTests(DatabaseServerFixture fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task MembershipWrites_SucceedOnlyAgainstTheCurrentTableVersion()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);
        await using var services = new ServiceCollection().BuildServiceProvider();
        var table = CreateTable(services, connectionString, "cluster-a");
        await table.InitializeMembershipTableAsync(true, None).WaitAsync(Limits.Call);
        await table.InitializeMembershipTableAsync(true, None).WaitAsync(Limits.Call); // a second silo starting: no error

        var empty = await table.ReadAllAsync(None).WaitAsync(Limits.Call);
        Assert.Empty(empty.Members);
        Assert.Equal("0", empty.Version.VersionEtag);

        var silo = SiloAddress.New(IPAddress.Parse("10.0.0.1"), 11111, 42);
        var otherSilo = SiloAddress.New(IPAddress.Parse("10.0.0.2"), 11111, 43);
        Assert.True(await table.InsertRowAsync(NewEntry(silo), empty.Version.Next(), None).WaitAsync(Limits.Call));
        // A writer still holding version 0 loses; the same silo cannot be inserted twice even at the right version.
        Assert.False(await table.InsertRowAsync(NewEntry(otherSilo), empty.Version.Next(), None).WaitAsync(Limits.Call));
        var afterInsert = await table.ReadAllAsync(None).WaitAsync(Limits.Call);
        Assert.False(await table.InsertRowAsync(NewEntry(silo), afterInsert.Version.Next(), None).WaitAsync(Limits.Call));

        Assert.Equal("1", afterInsert.Version.VersionEtag);
        var (stored, etag) = Assert.Single(afterInsert.Members);
        Assert.Equal(silo, stored.SiloAddress);
        Assert.Equal(SiloStatus.Active, stored.Status);
        Assert.Equal("silo-10.0.0.1", stored.SiloName);
        Assert.Equal(30000, stored.ProxyPort);
        Assert.Equal("1", (await table.ReadAllAsync(None).WaitAsync(Limits.Call)).Version.VersionEtag);

        stored.Status = SiloStatus.Dead;
        stored.SuspectTimes = [Tuple.Create(otherSilo, DateTime.UtcNow)];
        Assert.True(await table.UpdateRowAsync(stored, etag, afterInsert.Version.Next(), None).WaitAsync(Limits.Call));
        // The same update again holds a stale version now.
        Assert.False(await table.UpdateRowAsync(stored, etag, afterInsert.Version.Next(), None).WaitAsync(Limits.Call));

        var afterUpdate = await table.ReadRowAsync(silo, None).WaitAsync(Limits.Call);
        Assert.Equal("2", afterUpdate.Version.VersionEtag);
        var (updated, _) = Assert.Single(afterUpdate.Members);
        Assert.Equal(SiloStatus.Dead, updated.Status);
        var vote = Assert.Single(updated.SuspectTimes!);
        Assert.Equal(otherSilo, vote.Item1);

        var unknown = await table.ReadRowAsync(otherSilo, None).WaitAsync(Limits.Call);
        Assert.Empty(unknown.Members);
        Assert.Equal("2", unknown.Version.VersionEtag);

        // The heartbeat moves IAmAliveTime without touching the version.
        updated.IAmAliveTime = DateTime.UtcNow.AddMinutes(1);
        await table.UpdateIAmAliveAsync(updated, None).WaitAsync(Limits.Call);
        var afterHeartbeat = await table.ReadRowAsync(silo, None).WaitAsync(Limits.Call);
        Assert.Equal("2", afterHeartbeat.Version.VersionEtag);
        Assert.True((afterHeartbeat.Members.Single().Item1.IAmAliveTime - updated.IAmAliveTime).Duration() < TimeSpan.FromMilliseconds(1));

        await table.DeleteMembershipTableEntriesAsync("cluster-a", None).WaitAsync(Limits.Call);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleansmembershiptable"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleansmembershipversiontable"));
    }

    [Fact]
    public async Task ConcurrentInserts_AtTheSameVersion_ExactlyOneWins()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);
        await using var services = new ServiceCollection().BuildServiceProvider();
        var table = CreateTable(services, connectionString, "cluster-b");
        await table.InitializeMembershipTableAsync(true, None).WaitAsync(Limits.Call);
        var version = (await table.ReadAllAsync(None).WaitAsync(Limits.Call)).Version.Next();

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() =>
            table.InsertRowAsync(NewEntry(SiloAddress.New(IPAddress.Parse($"10.0.1.{i}"), 11111, i)), version, None)))).WaitAsync(Limits.Call);

        Assert.Single(results, inserted => inserted);
        var after = await table.ReadAllAsync(None).WaitAsync(Limits.Call);
        Assert.Single(after.Members);
        Assert.Equal("1", after.Version.VersionEtag);
    }

    private static AdoNetClusteringTable CreateTable(IServiceProvider services, string connectionString, string clusterId) => new(
        services,
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-table-tests" }),
        Options.Create(new AdoNetClusteringSiloOptions { Invariant = PostgresStorage.Invariant, ConnectionString = connectionString }),
        NullLogger<AdoNetClusteringTable>.Instance);

    private static MembershipEntry NewEntry(SiloAddress silo)
    {
        var now = DateTime.UtcNow;
        return new MembershipEntry
        {
            SiloAddress = silo,
            SiloName = "silo-" + silo.Endpoint.Address,
            HostName = "host-" + silo.Endpoint.Address,
            Status = SiloStatus.Active,
            ProxyPort = 30000,
            StartTime = now,
            IAmAliveTime = now,
        };
    }
}
