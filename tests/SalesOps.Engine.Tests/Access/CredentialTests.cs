using System.Security.Cryptography;
using Grpc.Core;
using SalesOps.Server.Api;
using SalesOps.Server.Hosting;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Access;

/// <summary>Credentials of every wrong kind are refused alike, keys are revocable, and ingest calls are audited.</summary>
[Collection(AccessCollection.Name)]
public sealed class CredentialTests(AccessFixture server)
{
    private static readonly Dictionary<string, object> Manager = new() { ["sub"] = "mia", ["salesops_role"] = "manager", ["salesops_region"] = "company" };

    public static TheoryData<string> BadCredentials() =>
    [
        "none", "empty key", "malformed key", "random text", "wrong secret", "bootstrap key with a typo",
        "token signed by another key", "alg none", "expired token", "token not yet valid", "wrong issuer", "wrong audience",
        "token without a role", "token with an unknown role", "manager token without a region", "token without a subject", "garbage bearer token",
    ];

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task BadCredentials_AreUnauthenticated_WithOneMessageForAll(string kind)
    {
        var credential = kind switch
        {
            "none" => null,
            "empty key" => "",
            "malformed key" => "sok_short_x",
            "random text" => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            "wrong secret" => server.Keys["screen-east"][..^4] + "AAAA",
            "bootstrap key with a typo" => AccessFixture.AdminKey[..^1] + (AccessFixture.AdminKey[^1] == 'A' ? "B" : "A"),
            "token signed by another key" => AccessFixture.Token(Manager, signWith: RSA.Create(2048)),
            "alg none" => AccessFixture.UnsignedToken(Manager),
            "expired token" => AccessFixture.Token(Manager, notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1)),
            "token not yet valid" => AccessFixture.Token(Manager, notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2)),
            "wrong issuer" => AccessFixture.Token(Manager, issuer: "https://evil.test"),
            "wrong audience" => AccessFixture.Token(Manager, audience: "another-api"),
            "token without a role" => AccessFixture.Token(new() { ["sub"] = "mia", ["salesops_region"] = "company" }),
            "token with an unknown role" => AccessFixture.Token(new() { ["sub"] = "mia", ["salesops_role"] = "root", ["salesops_region"] = "company" }),
            "manager token without a region" => AccessFixture.Token(new() { ["sub"] = "mia", ["salesops_role"] = "manager" }),
            "token without a subject" => AccessFixture.Token(new() { ["salesops_role"] = "admin" }),
            "garbage bearer token" => "a.b.c",
            _ => throw new ArgumentException(kind),
        };
        using var clients = server.Clients(credential);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await clients.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: DateTime.UtcNow.AddSeconds(15)));

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(ApiErrors.Unauthenticated().Status.Detail, e.Status.Detail);
        Assert.Equal(ApiErrors.NotAuthenticated, e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
    }

    [Fact]
    public async Task HealthNeedsNoCredentials()
    {
        using var clients = server.Clients(null);
        var health = new Grpc.Health.V1.Health.HealthClient(Grpc.Net.Client.GrpcChannel.ForAddress(server.Address));
        var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(15));
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task ARevokedKey_IsRefused_AndTheListShowsItRevoked()
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        var created = await admin.Admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "a TV to retire" }, deadline: Due);
        Assert.StartsWith("sok_" + created.Key.KeyId + "_", created.ApiKey, StringComparison.Ordinal);
        using var tv = server.Clients(created.ApiKey);
        await tv.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due);

        var revoked = await admin.Admin.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = created.Key.KeyId }, deadline: Due);

        Assert.NotNull(revoked.Key.RevokedAt);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await tv.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        var active = await admin.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: Due);
        Assert.DoesNotContain(active.Keys, k => k.KeyId == created.Key.KeyId);
        var all = await admin.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest { IncludeInactive = true }, deadline: Due);
        var listed = Assert.Single(all.Keys, k => k.KeyId == created.Key.KeyId);
        Assert.Equal(("a TV to retire", V1.Role.Screen, "bootstrap"), (listed.Label, listed.Role, listed.CreatedBy));
    }

    [Fact]
    public async Task RevokingAKey_EndsItsOpenWatchStreams()
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        var created = await admin.Admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "a TV switched off", RegionId = server.S.Id("east") }, deadline: Due);
        using var tv = server.Clients(created.ApiKey);
        using var board = tv.Watch.WatchLeaderboard(new V1.WatchLeaderboardRequest { ScopeRegionId = server.S.Id("east"), Metric = V1.LeaderboardMetric.Bookings });
        Assert.True(await board.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15)));

        await admin.Admin.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = created.Key.KeyId }, deadline: Due);

        // The fixture trusts what it read of a key for 1 s (Auth:KeyCacheTtl): the stream ends within a few.
        var ended = await Assert.ThrowsAsync<RpcException>(() => board.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotEqual(StatusCode.OK, ended.StatusCode);
    }

    [Fact]
    public async Task RevokingAKey_EndsItsOpenIngestStream()
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        var created = await admin.Admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "a leaked connector key" }, deadline: Due);
        using var connector = server.Clients(created.ApiKey);
        using var call = connector.Ingest.Ingest(deadline: DateTime.UtcNow.AddSeconds(30));
        var first = new V1.IngestRequest { BatchId = "before" };
        first.Events.Add(server.S.Activity("ann", 10).ToProto());
        await call.RequestStream.WriteAsync(first);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1, call.ResponseStream.Current.Accepted);

        await admin.Admin.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = created.Key.KeyId }, deadline: Due);

        // Reset within a few times the fixture's 1 s Auth:KeyCacheTtl; no later batch is answered.
        var ended = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var next = new V1.IngestRequest { BatchId = $"after-{i}" };
                next.Events.Add(server.S.Activity("ann", 10).ToProto());
                await call.RequestStream.WriteAsync(next);
                if (!await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    throw new InvalidOperationException("the stream ended without an error");
                }

                await Task.Delay(100);
            }
        });
        Assert.IsNotType<InvalidOperationException>(ended);
    }

    [Fact]
    public async Task AKeyPastItsExpiry_IsRefused()
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        var created = await admin.Admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest
        {
            Role = V1.Role.Screen, Label = "short-lived", ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddSeconds(2)),
        }, deadline: Due);
        using var tv = server.Clients(created.ApiKey);
        await tv.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due);

        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await tv.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Theory]
    [InlineData("role", "{\"label\":\"x\"}")]
    [InlineData("label", "{\"role\":\"ROLE_SCREEN\"}")]
    [InlineData("rep_id", "{\"role\":\"ROLE_REP\",\"label\":\"x\"}")]
    [InlineData("rep_id", "{\"role\":\"ROLE_SCREEN\",\"label\":\"x\",\"repId\":\"ann\"}")]
    [InlineData("event_kinds", "{\"role\":\"ROLE_CONNECTOR\",\"label\":\"x\",\"eventKinds\":[\"opportunity_sold\"]}")]
    [InlineData("event_kinds", "{\"role\":\"ROLE_SCREEN\",\"label\":\"x\",\"eventKinds\":[\"opportunity_won\"]}")]
    [InlineData("region_id", "{\"role\":\"ROLE_ADMIN\",\"label\":\"x\",\"regionId\":\"east\"}")]
    [InlineData("expires_at", "{\"role\":\"ROLE_SCREEN\",\"label\":\"x\",\"expiresAt\":\"2020-01-01T00:00:00Z\"}")]
    [InlineData("limits.events_per_second", "{\"role\":\"ROLE_CONNECTOR\",\"label\":\"x\",\"limits\":{\"eventsPerSecond\":0}}")]
    public async Task ABadKeyRequest_IsInvalidNamingTheField(string field, string json)
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        var request = Google.Protobuf.JsonParser.Default.Parse<V1.CreateApiKeyRequest>(json);
        var before = (await admin.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest { IncludeInactive = true }, deadline: Due)).Keys.Count;

        var e = await Assert.ThrowsAsync<RpcException>(async () => await admin.Admin.CreateApiKeyAsync(request, deadline: Due));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, StatusDetails.Named(e).Field);
        Assert.Equal(before, (await admin.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest { IncludeInactive = true }, deadline: Due)).Keys.Count);
    }

    [Fact]
    public async Task AnIngestedBatch_IsAttributable_ByEventIdAndByTime()
    {
        var s = server.S;
        var from = DateTime.UtcNow.AddSeconds(-1);
        using var connector = server.Clients(server.Keys["connector"]);
        var keyId = server.Keys["connector"].Split('_')[1];
        var activity = s.Activity("ann", 6).ToProto();
        using (var call = connector.Ingest.Ingest(deadline: Due))
        {
            var batch = new V1.IngestRequest { BatchId = "audit-batch" };
            batch.Events.Add(activity);
            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(V1.EventStatus.Accepted, Assert.Single(call.ResponseStream.Current.Results).Status);
        }

        using var admin = server.Clients(AccessFixture.AdminKey);
        var byId = await admin.Admin.ListAuditRecordsAsync(new V1.ListAuditRecordsRequest { EventId = activity.EventId }, deadline: Due);
        var record = Assert.Single(byId.Records);
        Assert.Equal(("api-key", keyId, V1.Role.Connector, "Ingest", "audit-batch"), (record.IdentityKind, record.Identity, record.Role, record.Method, record.BatchId));
        Assert.Equal([activity.EventId], record.EventIds);
        Assert.Contains("127.0.0.1", record.Peer, StringComparison.Ordinal);
        Assert.InRange(record.ReceivedAt.ToDateTime(), from, DateTime.UtcNow.AddSeconds(1));
        var byTime = await admin.Admin.ListAuditRecordsAsync(new V1.ListAuditRecordsRequest
        {
            FromTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(from), Limit = 1000,
        }, deadline: Due);
        Assert.Contains(byTime.Records, r => r.EventIds.Contains(activity.EventId));
    }

    private static DateTime Due => DateTime.UtcNow.AddSeconds(15);
}

/// <summary>The rule that keeps zero setup safe: no development identity beyond loopback.</summary>
public sealed class AccessStartupTests
{
    [Fact]
    public void BoundBeyondLoopback_WithoutCredentialsRequired_RefusesToStart_SayingWhatToSet()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(["--storage", "memory", "--grpc-host", "0.0.0.0", "--grpc-port", Net.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        Assert.Contains("Auth:Required=true", e.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:BootstrapAdminKeyFile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsRequired_InMemoryMode_WithNoWayToAuthenticate_RefusesToStart()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(["--storage", "memory", "--Auth:Required", "true"]));
        Assert.Contains("nobody could ever authenticate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AShortBootstrapKey_RefusesToStart_NamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(["--storage", "memory", "--Auth:Required", "true", "--Auth:BootstrapAdminKey", "short"]));
        Assert.Contains("Auth:BootstrapAdminKey", e.Message, StringComparison.Ordinal);
    }
}
