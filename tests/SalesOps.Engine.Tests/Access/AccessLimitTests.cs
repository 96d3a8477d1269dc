using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Access;

/// <summary>A server with small limits, so that reaching each takes a handful of calls.</summary>
public sealed class LimitsFixture : ServerFixture
{
    public LimitsFixture()
        : base(new Dictionary<string, string>
        {
            ["Auth:Required"] = "true",
            ["Auth:BootstrapAdminKey"] = AccessFixture.AdminKey,
            ["Auth:Limits:WatchStreams"] = "3",
            ["Auth:Limits:MaxWatchers"] = "6",
            ["Auth:Limits:FailedAuthenticationsPerMinute"] = "5",
        })
    {
    }

    public Scenario S { get; } = new("lim");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var admin = Clients(AccessFixture.AdminKey);
        foreach (var e in new SalesEvent[] { S.Region("r"), S.Rep("ann", "r"), S.Rep("bob", "r"), S.Rep("cid", "r") })
        {
            await admin.Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow.AddSeconds(15));
        }
    }

    public ApiClients Clients(string? credential) => new(Address, credential);
}

[CollectionDefinition(Name)]
public sealed class LimitsCollection : ICollectionFixture<LimitsFixture>
{
    public const string Name = "access-limits";
}

/// <summary>Per-key and server-wide limits: over one is RESOURCE_EXHAUSTED with when to retry, and changes nothing.</summary>
[Collection(LimitsCollection.Name)]
public sealed class AccessLimitTests(LimitsFixture server)
{
    private static DateTime Due => DateTime.UtcNow.AddSeconds(15);

    private async Task<string> KeyAsync(V1.CreateApiKeyRequest request)
    {
        using var admin = server.Clients(AccessFixture.AdminKey);
        return await AccessFixture.CreateKeyAsync(admin, request);
    }

    [Fact]
    public async Task OneKeyFlooding_IsRefusedWithRetryInfo_WhileAnotherKeysEventsGoThroughPromptly()
    {
        var flooder = await KeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "flooder", Limits = new V1.KeyLimits { EventsPerSecond = 100 } });
        var steady = await KeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "steady" });
        using var flood = server.Clients(flooder);
        using var other = server.Clients(steady);
        var s = server.S;
        var accepted = 0L;
        RpcException? refusal = null;

        var flooding = Task.Run(async () =>
        {
            for (var round = 0; round < 20 && refusal is null; round++)
            {
                using var call = flood.Ingest.Ingest(deadline: Due);
                var batch = new V1.IngestRequest { BatchId = $"flood-{round}" };
                batch.Events.Add(Enumerable.Range(0, 1_000).Select(_ => s.Activity("ann", 2).ToProto()));
                try
                {
                    await call.RequestStream.WriteAsync(batch);
                    await call.RequestStream.CompleteAsync();
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        Interlocked.Add(ref accepted, call.ResponseStream.Current.Accepted);
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    refusal = e;
                }
            }
        });
        var latencies = new List<TimeSpan>();
        while (!flooding.IsCompleted)
        {
            var watch = Stopwatch.StartNew();
            var reply = await other.Ingest.IngestOneAsync(s.Activity("bob", 2).ToOne(), deadline: Due);
            latencies.Add(watch.Elapsed);
            Assert.Equal(V1.EventStatus.Accepted, reply.Result.Status);
            await Task.Delay(20);
        }

        await flooding;
        Assert.NotNull(refusal);
        var info = refusal.GetRpcStatus()!;
        Assert.Equal(ApiErrors.LimitExceeded, info.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
        Assert.NotNull(info.GetDetail<Google.Rpc.RetryInfo>()?.RetryDelay);
        Assert.Contains("100 events a second", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.NotEmpty(latencies);
        Assert.True(latencies.Max() < TimeSpan.FromSeconds(2), $"the other key waited up to {latencies.Max().TotalMilliseconds:F0} ms");

        // What the refused batch carried changed nothing: ann (sent to by the flooder only) counts exactly the acknowledged events.
        using var admin = server.Clients(AccessFixture.AdminKey);
        var ann = await admin.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = s.At(2).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture) }, deadline: Due);
        Assert.Equal(Interlocked.Read(ref accepted), ann.Figures.ActivityTotal);
    }

    [Fact]
    public async Task WatchStreams_AreCappedPerKey_AndPerServer()
    {
        var keys = new[] { await KeyAsync(Screen("tv-1")), await KeyAsync(Screen("tv-2")), await KeyAsync(Screen("tv-3")) };
        var open = new List<(ApiClients Clients, AsyncServerStreamingCall<V1.WatchLeaderboardResponse> Call)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await WatchAsync(keys[0]));
            }

            var perKey = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(keys[0]));
            Assert.Equal(StatusCode.ResourceExhausted, perKey.StatusCode);
            Assert.Contains("may hold 3 watch streams", perKey.Status.Detail, StringComparison.Ordinal);

            for (var i = 0; i < 3; i++)
            {
                open.Add(await WatchAsync(keys[1]));
            }

            var perServer = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(keys[2]));
            Assert.Equal(StatusCode.ResourceExhausted, perServer.StatusCode);
            Assert.Contains("this server holds its most watch streams", perServer.Status.Detail, StringComparison.Ordinal);

            open[0].Call.Dispose();
            open[0].Clients.Dispose();
            open.RemoveAt(0);
            await Wait.UntilAsync(async () =>
            {
                try
                {
                    open.Add(await WatchAsync(keys[2]));
                    return true;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    return false;
                }
            }, "a watch stream admitted once another closed");
        }
        finally
        {
            foreach (var (clients, call) in open)
            {
                call.Dispose();
                clients.Dispose();
            }
        }
    }

    [Fact]
    public async Task ARequestLargerThanTheKeyMaySend_IsRefused_UnaryAndStreamed()
    {
        var key = await KeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "small requests", Limits = new V1.KeyLimits { MaxRequestBytes = 1_000 } });
        using var c = server.Clients(key);
        var s = server.S;
        await c.Ingest.IngestOneAsync(s.Activity("cid", 3).ToOne(), deadline: Due);
        var big = s.Activity("cid", 3).ToProto();
        big.EventId = new string('x', 2_000);

        var unary = await Assert.ThrowsAsync<RpcException>(async () => await c.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = big }, deadline: Due));
        Assert.Equal(StatusCode.ResourceExhausted, unary.StatusCode);

        using var call = c.Ingest.Ingest(deadline: Due);
        var batch = new V1.IngestRequest { BatchId = "big" };
        batch.Events.Add(big);
        await call.RequestStream.WriteAsync(batch);
        var streamed = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, streamed.StatusCode);
        Assert.Contains("at most 1000 bytes", streamed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAddressThatKeepsFailingToAuthenticate_IsThrottled_EvenWithAValidKeyAfterwards()
    {
        // From 127.0.0.2, so the other tests' address (127.0.0.1) is not throttled.
        using var bad = FromSecondLoopback("sok_aaaaaaaaaaaa_" + new string('A', 43));
        for (var i = 0; i < 5; i++)
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await bad.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        var throttled = await Assert.ThrowsAsync<RpcException>(async () => await bad.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due));
        using var good = FromSecondLoopback(AccessFixture.AdminKey);
        var evenGood = await Assert.ThrowsAsync<RpcException>(async () => await good.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due));
        using var elsewhere = server.Clients(AccessFixture.AdminKey);
        await elsewhere.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due);

        Assert.Equal(StatusCode.ResourceExhausted, throttled.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, evenGood.StatusCode);
        Assert.NotNull(throttled.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>());
    }

    private static V1.CreateApiKeyRequest Screen(string label) => new() { Role = V1.Role.Screen, Label = label };

    private async Task<(ApiClients, AsyncServerStreamingCall<V1.WatchLeaderboardResponse>)> WatchAsync(string key)
    {
        var clients = server.Clients(key);
        var call = clients.Watch.WatchLeaderboard(new V1.WatchLeaderboardRequest { ScopeRegionId = server.S.Id("r"), Metric = V1.LeaderboardMetric.Bookings });
        try
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15)));
            return (clients, call);
        }
        catch
        {
            call.Dispose();
            clients.Dispose();
            throw;
        }
    }

    /// <summary>Clients whose connections come from 127.0.0.2 (the server listens on 127.0.0.1).</summary>
    private ApiClients FromSecondLoopback(string credential)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new ApiClients(server.Address, credential, handler);
    }
}
