using SalesOps.Access;

namespace SalesOps.Persistence.Tests;

/// <summary>API keys and the audit log in PostgreSQL: what a cluster's servers share, kept across restarts.</summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class AccessStoreTests(OrleansPostgresFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AKey_IsKeptWithItsHashOnly_FoundById_ListedAndRevokedOnce()
    {
        await using var store = new PostgresAccess(fixture.ConnectionString);
        var (keyId, apiKey, hash) = ApiKeySecret.Generate();
        var key = new ApiKeyRecord(keyId, hash, Role.Connector, "east", "", ["activity_logged"], "HubSpot", At, At.AddDays(30), null, new KeyLimits(500, null, 1_000_000), "admin-1");

        await store.AddAsync(key).WaitAsync(Limits.Call);

        var found = await store.FindAsync(keyId).WaitAsync(Limits.Call);
        Assert.NotNull(found);
        Assert.Equal(
            (key.Role, key.RegionId, key.Label, key.CreatedAt, key.ExpiresAt, key.Limits, key.CreatedBy),
            (found.Role, found.RegionId, found.Label, found.CreatedAt, found.ExpiresAt, found.Limits, found.CreatedBy));
        Assert.Equal(["activity_logged"], found.EventKinds);
        Assert.True(ApiKeySecret.TryParse(apiKey, out _, out var secret) && ApiKeySecret.Matches(found.SecretHash, secret));
        var stored = await Sql.ScalarAsync<long>(fixture.ConnectionString, $"SELECT count(*) FROM salesops_api_keys WHERE key_id = '{keyId}' AND position(convert_to('{secret}', 'UTF8') in secret_hash) = 0");
        Assert.Equal(1, stored);
        Assert.Contains(await store.ListAsync().WaitAsync(Limits.Call), k => k.KeyId == keyId);

        var revoked = await store.RevokeAsync(keyId, At.AddDays(1)).WaitAsync(Limits.Call);
        var again = await store.RevokeAsync(keyId, At.AddDays(2)).WaitAsync(Limits.Call);

        Assert.Equal(At.AddDays(1), revoked?.RevokedAt);
        Assert.Equal(At.AddDays(1), again?.RevokedAt);
        Assert.False(again!.IsActiveAt(At.AddDays(1)));
        Assert.Null(await store.FindAsync("nosuchkeyid0").WaitAsync(Limits.Call));
    }

    [Fact]
    public async Task AuditEntries_AreFoundByEventId_AndByTimeRange_NewestFirst()
    {
        await using var store = new PostgresAccess(fixture.ConnectionString);
        var tag = Guid.NewGuid().ToString("N");
        var first = new AuditEntry(At, "api-key", "k1", Role.Connector, "ipv4:127.0.0.1:5000", "Ingest", "b1", [$"{tag}-1", $"{tag}-2"], "host-a");
        var second = first with { ReceivedAt = At.AddMinutes(1), BatchId = "b2", EventIds = [$"{tag}-2", $"{tag}-3"] };
        await store.AppendAsync(first).WaitAsync(Limits.Call);
        await store.AppendAsync(second).WaitAsync(Limits.Call);

        var withTwo = await store.ListAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, $"{tag}-2", 10).WaitAsync(Limits.Call);
        var withOne = await store.ListAsync(DateTimeOffset.MinValue, DateTimeOffset.MaxValue, $"{tag}-1", 10).WaitAsync(Limits.Call);
        var inRange = await store.ListAsync(At.AddSeconds(30), At.AddMinutes(2), null, 1000).WaitAsync(Limits.Call);

        Assert.Equal(["b2", "b1"], withTwo.Select(e => e.BatchId));
        Assert.Equal(first.EventIds, Assert.Single(withOne).EventIds);
        Assert.Equal((first.Identity, first.Role, first.Peer, first.Server, first.ReceivedAt), (withOne[0].Identity, withOne[0].Role, withOne[0].Peer, withOne[0].Server, withOne[0].ReceivedAt));
        Assert.Contains(inRange, e => e.BatchId == "b2" && e.EventIds.Contains($"{tag}-3"));
        Assert.DoesNotContain(inRange, e => e.EventIds.Contains($"{tag}-1"));
    }
}
