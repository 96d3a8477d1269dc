using Microsoft.Extensions.DependencyInjection;
using Orleans.Messaging;
using Orleans.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>Cluster membership through the ADO.NET clustering provider and our queries.</summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class MembershipTests(OrleansPostgresFixture fixture)
{
    private const int Active = 3;
    private const int Dead = 6;

    [Fact]
    public async Task RunningCluster_HasOneActiveRowPerSiloThatKeepsHeartbeating()
    {
        var silos = fixture.Cluster.GetActiveSilos().Select(s => s.SiloAddress).ToList();
        Assert.True(silos.Count >= 1);

        var rows = await MembershipRowsAsync();

        Assert.Equal(
            silos.Select(Key).Order(StringComparer.Ordinal),
            rows.Where(r => r.Status == Active).Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.True(r.IAmAliveTime >= r.StartTime));
        // Every insert and update of a row bumped the table version.
        var version = await Sql.ScalarAsync<int>(
            fixture.ConnectionString,
            "SELECT version FROM orleansmembershipversiontable WHERE deploymentid = @id",
            ("id", fixture.ClusterId));
        Assert.True(version >= rows.Count, $"table version {version} for {rows.Count} rows");

        // UpdateIAmAlivetimeKey: each active silo moves its heartbeat forward.
        var before = rows.Where(r => r.Status == Active).ToDictionary(r => r.Key, r => r.IAmAliveTime);
        await Eventually.HoldsAsync(
            async () =>
            {
                var now = await MembershipRowsAsync();
                return before.All(b => now.Single(r => r.Key == b.Key).IAmAliveTime > b.Value);
            },
            TimeSpan.FromSeconds(15),
            "every active silo published a newer IAmAliveTime");
    }

    [Fact]
    public async Task Client_ListsTheActiveSilosAsGateways()
    {
        var provider = fixture.Client.ServiceProvider.GetRequiredService<IGatewayListProvider>();

        var gateways = await provider.GetGateways().WaitAsync(Limits.Call);

        // Gateway URIs carry the silo generation; the handles' gateway addresses do not, so compare endpoints.
        var expected = fixture.Cluster.GetActiveSilos().Select(s => s.GatewayAddress.Endpoint.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(expected, gateways.Select(g => $"{g.Host}:{g.Port}").Order(StringComparer.Ordinal));
        Assert.All(gateways, g => Assert.Equal("gwy.tcp", g.Scheme));
    }

    [Fact]
    public async Task DeadRows_AreRemovedByDefunctCleanupWhileActiveRowsStay()
    {
        // A row for a silo that died long ago, written as Orleans would have left it.
        var deadAddress = "10.255.0." + Random.Shared.Next(1, 250);
        await Sql.ExecuteAsync(
            fixture.ConnectionString,
            $"""
            INSERT INTO orleansmembershiptable
                (deploymentid, address, port, generation, siloname, hostname, status, proxyport, suspecttimes, starttime, iamalivetime)
            VALUES ('{fixture.ClusterId}', '{deadAddress}', 11111, 1, 'gone', 'gone-host', {Dead}, 0, NULL, now() - interval '2 days', now() - interval '2 days')
            """);
        var table = fixture.SiloService<IMembershipTable>();

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None).WaitAsync(Limits.Call);

        var rows = await MembershipRowsAsync();
        Assert.DoesNotContain(rows, r => r.Address == deadAddress);
        var silos = fixture.Cluster.GetActiveSilos().Select(s => Key(s.SiloAddress)).ToHashSet();
        Assert.All(silos, s => Assert.Contains(rows, r => r.Key == s && r.Status == Active));
    }

    private static string Key(SiloAddress silo) => $"{silo.Endpoint.Address}:{silo.Endpoint.Port}:{silo.Generation}";

    private async Task<List<MembershipRow>> MembershipRowsAsync()
    {
        var rows = await Sql.RowsAsync(
            fixture.ConnectionString,
            "SELECT address, port, generation, status, starttime, iamalivetime FROM orleansmembershiptable WHERE deploymentid = @id",
            ("id", fixture.ClusterId));
        return
        [
            .. rows.Select(r => new MembershipRow(
                (string)r[0]!,
                $"{r[0]}:{r[1]}:{r[2]}",
                (int)r[3]!,
                (DateTime)r[4]!,
                (DateTime)r[5]!)),
        ];
    }

    private sealed record MembershipRow(string Address, string Key, int Status, DateTime StartTime, DateTime IAmAliveTime);
}
