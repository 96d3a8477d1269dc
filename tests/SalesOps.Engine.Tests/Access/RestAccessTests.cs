using System.Net;
using Google.Protobuf;
using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Access;

/// <summary>
/// The JSON routes of the web port pass the same gate as gRPC (the access interceptor runs for transcoded calls):
/// every caller of the access fixture, and none, makes the same calls both ways and is let through or refused alike,
/// a refusal with the same google.rpc.Status under the HTTP status transcoding maps its code to.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class RestAccessTests(AccessFixture server)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static DateTime Due => DateTime.UtcNow + Bound;

    /// <summary>The callers: no credentials, a key that is not one, then the fixture's keys and tokens.</summary>
    private static readonly string[] Callers =
        ["none", "not-a-key", "admin", "connector", "connector-east", "screen-east", "rep-ann", "rep-ann-token", "manager-east", "manager-west"];

    [Fact]
    public async Task EveryCallerOverJson_IsLetThroughOrRefused_ExactlyAsOverGrpc()
    {
        var s = server.S;
        var calls = new (string Name, Func<ApiClients, Task> Grpc, Func<HttpClient, Task<HttpResponseMessage>> Json)[]
        {
            ("GetRep ann", c => c.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann") }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/reps/{s.Id("ann")}")),
            ("GetRegion west", c => c.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("west") }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/regions/{s.Id("west")}")),
            ("GetCustomer acme", c => c.Query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = s.Id("acme") }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/customers/{s.Id("acme")}")),
            ("GetLeaderboard east", c => c.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("east"), Metric = V1.LeaderboardMetric.Bookings }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/leaderboards/{s.Id("east")}?metric=LEADERBOARD_METRIC_BOOKINGS")),
            ("GetStageTable", c => c.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due).ResponseAsync,
                h => Get(h, "/v1/stageTable")),
            ("ListAtRisk east", c => c.Query.ListAtRiskOpportunitiesAsync(new V1.ListAtRiskOpportunitiesRequest { ScopeRegionId = s.Id("east") }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/regions/{s.Id("east")}/atRiskOpportunities")),
            ("Forecasts rep bob", c => c.Query.GetForecastSubmissionsAsync(new V1.GetForecastSubmissionsRequest { Scope = V1.TargetScope.Rep, ScopeId = s.Id("bob"), Period = "2026-11" }, deadline: Due).ResponseAsync,
                h => Get(h, $"/v1/forecastSubmissions?scope=TARGET_SCOPE_REP&scopeId={s.Id("bob")}&period=2026-11")),
            ("IngestOne activity bob", c => c.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = s.Activity("bob", 5).ToProto() }, deadline: Due).ResponseAsync,
                h => Post(h, "/v1/events:ingest", s.Activity("bob", 5).ToProto())),
            ("BatchIngest", c => c.Ingest.BatchIngestAsync(new V1.BatchIngestRequest(), deadline: Due).ResponseAsync,
                h => Post(h, "/v1/events:batchIngest", new V1.BatchIngestRequest())),
            ("ListApiKeys", c => c.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: Due).ResponseAsync,
                h => Get(h, "/v1/apiKeys")),
            ("WatchLeaderboard west", async c =>
                {
                    using var watch = c.Watch.WatchLeaderboard(new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("west"), Metric = V1.LeaderboardMetric.Bookings }, deadline: Due);
                    Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None).Within());
                },
                h => Get(h, $"/v1/leaderboards/{s.Id("west")}:watch?metric=LEADERBOARD_METRIC_BOOKINGS", HttpCompletionOption.ResponseHeadersRead)),
        };

        var mismatches = new List<string>();
        var refusals = 0;
        foreach (var caller in Callers)
        {
            var credential = caller switch
            {
                "none" => null,
                "not-a-key" => "sok_nosuchkey_" + new string('x', 43),
                _ => server.Keys[caller],
            };
            using var clients = server.Clients(credential);
            using var http = RestApiTests.Http(server.WebAddress, credential);
            foreach (var (name, grpc, json) in calls)
            {
                var expected = await GrpcStatusAsync(() => grpc(clients));
                using var response = await json(http);
                var status = (int)response.StatusCode;
                if (status != HttpStatusOf(expected.Code))
                {
                    mismatches.Add($"{caller}, {name}: gRPC {(StatusCode)expected.Code}, JSON {status}");
                    continue;
                }

                if (expected.Code != (int)StatusCode.OK)
                {
                    refusals++;
                    var actual = RestApiTests.Parser.Parse<Google.Rpc.Status>(await response.Content.ReadAsStringAsync().Within());
                    if (!actual.Equals(expected))
                    {
                        mismatches.Add($"{caller}, {name}: gRPC {expected}, JSON {actual}");
                    }
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        // Not a vacuous agreement: the table holds refusals of both kinds and calls let through.
        Assert.True(refusals > calls.Length * 2, $"only {refusals} refusals");
    }

    [Fact]
    public async Task AConnectorsBatchOverJson_AnswersAnEventOutsideItsRegionPermissionDenied_AndAppliesTheOthers()
    {
        var s = server.S;
        var outside = s.Activity("bob", 6).ToProto(); // west: outside connector-east's region
        var inside = s.Activity("ann", 6).ToProto();
        using var http = RestApiTests.Http(server.WebAddress, server.Keys["connector-east"]);
        var ack = await RestApiTests.PostAsync<V1.BatchIngestResponse>(http, "/v1/events:batchIngest", new V1.BatchIngestRequest { BatchId = "rest-east", Events = { outside, inside } });
        Assert.Equal((1, 1), (ack.Accepted, ack.Rejected));
        Assert.Equal([V1.EventStatus.PermissionDenied, V1.EventStatus.Accepted], ack.Results.Select(r => r.Status));

        // The same refusal as a unary gRPC call of the same event.
        using var grpc = server.Clients(server.Keys["connector-east"]);
        var e = await Assert.ThrowsAsync<RpcException>(() => grpc.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = outside }, deadline: Due).ResponseAsync);
        Assert.Equal(e.GetRpcStatus(), ack.Results[0].Error);

        // And the audit log names the JSON call like any other.
        using var admin = server.Clients(server.Keys["admin"]);
        var audit = await admin.Admin.ListAuditRecordsAsync(new V1.ListAuditRecordsRequest { EventId = inside.EventId }, deadline: Due);
        Assert.Equal(("BatchIngest", "rest-east"), (audit.Records.Single().Method, audit.Records.Single().BatchId));
    }

    /// <summary>What transcoding answers for a gRPC status (google.rpc.Code to HTTP, as in google/rpc/code.proto).</summary>
    private static int HttpStatusOf(int code) => (StatusCode)code switch
    {
        StatusCode.OK => 200,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };

    /// <summary>The call's status: OK, or the google.rpc.Status it failed with (code and message when it has no details).</summary>
    private static async Task<Google.Rpc.Status> GrpcStatusAsync(Func<Task> call)
    {
        try
        {
            await call().Within();
            return new Google.Rpc.Status { Code = (int)StatusCode.OK };
        }
        catch (RpcException e)
        {
            return e.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)e.StatusCode, Message = e.Status.Detail };
        }
    }

    private static async Task<HttpResponseMessage> Get(HttpClient http, string path, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await http.SendAsync(request, completion).Within();
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, IMessage body) =>
        RestApiTests.SendAsync(http, HttpMethod.Post, path, JsonFormatter.Default.Format(body));
}
