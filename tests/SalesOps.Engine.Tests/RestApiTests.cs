using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The JSON form of the API on the web port (the protos' <c>google.api.http</c> rules, ADR 0030) against gRPC on the
/// same server: the same answers, the same errors, and the OpenAPI document generated from the same protos.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RestApiTests(ServerFixture server)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>Reads JSON answers the way proto3 JSON is meant to be read, with the error details transcoding writes.</summary>
    internal static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithTypeRegistry(
        Google.Protobuf.Reflection.TypeRegistry.FromMessages(Google.Rpc.BadRequest.Descriptor, Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.RetryInfo.Descriptor)));

    private static DateTime Due => DateTime.UtcNow + Bound;

    [Fact]
    public async Task EventsSentOverJsonAndGrpc_AreReadTheSameOverBoth()
    {
        var s = new Scenario("rest-same");
        using var http = Http(server.WebAddress);

        // The company's shape over JSON as one batch, a deal over gRPC, another over JSON one by one.
        var batch = new V1.BatchIngestRequest { BatchId = s.Id("setup") };
        batch.Events.Add(new SalesEvent[] { s.Region("east"), s.Rep("ann", "east"), s.Rep("bob", "east"), s.Customer("acme") }.Select(e => e.ToProto()));
        var ack = await PostAsync<V1.BatchIngestResponse>(http, "/v1/events:batchIngest", batch);
        Assert.Equal((s.Id("setup"), 4, 0, 0), (ack.BatchId, ack.Accepted, ack.Duplicates, ack.Rejected));
        Assert.All(ack.Results, r => Assert.Equal(V1.EventStatus.Accepted, r.Status));
        Assert.Equal(ack.Results.Select(r => r.EventId), batch.Events.Select(e => e.EventId));

        await server.IngestEachAsync(Bound, s.Open("o-ann", "ann", "acme", 40_000, h: 1), s.Won("o-ann", 2));
        foreach (var e in new SalesEvent[] { s.Open("o-bob", "bob", "acme", 25_000, h: 1), s.Won("o-bob", 3), s.Open("o-open", "bob", "acme", 9_000, h: 4) })
        {
            var one = await PostAsync<V1.IngestOneResponse>(http, "/v1/events:ingest", e.ToProto()); // the rule's body is the event
            Assert.Equal((e.EventId, V1.EventStatus.Accepted), (one.Result.EventId, one.Result.Status));
        }

        // A re-sent event is a duplicate over JSON too.
        var again = await PostAsync<V1.BatchIngestResponse>(http, "/v1/events:batchIngest", batch);
        Assert.Equal((0, 4), (again.Accepted, again.Duplicates));

        // The region's figures roll up shortly after; once they have, both forms read the same state.
        await Wait.UntilAsync(
            async () => (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("east"), Period = "2026-11" }, deadline: Due)).Figures.Bookings == 65_000,
            "east's bookings to roll up");

        await SameAsync(http, $"/v1/regions/{s.Id("east")}?period=2026-11", new V1.GetRegionRequest { RegionId = s.Id("east"), Period = "2026-11" }, server.Query.GetRegionAsync);
        await SameAsync(http, $"/v1/reps/{s.Id("ann")}?period=2026-11", new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, server.Query.GetRepAsync);
        await SameAsync(http, $"/v1/customers/{s.Id("acme")}", new V1.GetCustomerRequest { CustomerId = s.Id("acme") }, server.Query.GetCustomerAsync);
        await SameAsync(http, $"/v1/opportunities/{s.Id("o-open")}", new V1.GetOpportunityRequest { OpportunityId = s.Id("o-open") }, server.Query.GetOpportunityAsync);
        var board = await SameAsync(
            http, $"/v1/leaderboards/{s.Id("east")}?metric=LEADERBOARD_METRIC_BOOKINGS&period=2026-11&top=5&aroundRepId={s.Id("bob")}&around=1",
            new V1.GetLeaderboardRequest { ScopeRegionId = s.Id("east"), Metric = V1.LeaderboardMetric.Bookings, Period = "2026-11", Top = 5, AroundRepId = s.Id("bob"), Around = 1 },
            server.Query.GetLeaderboardAsync);
        Assert.Equal([s.Id("ann"), s.Id("bob")], board.Top.Select(r => r.RepId));
        await SameAsync(http, "/v1/stageTable", new V1.GetStageTableRequest(), server.Query.GetStageTableAsync);
        await SameAsync(http, $"/v1/regions/{s.Id("east")}/atRiskOpportunities", new V1.ListAtRiskOpportunitiesRequest { ScopeRegionId = s.Id("east") }, server.Query.ListAtRiskOpportunitiesAsync);
        await SameAsync(http, $"/v1/regions/{s.Id("east")}/orphanedOpportunities", new V1.ListOrphanedOpportunitiesRequest { ScopeRegionId = s.Id("east") }, server.Query.ListOrphanedOpportunitiesAsync);
        await SameAsync(
            http, $"/v1/activityReport?scope=TARGET_SCOPE_REGION&scopeId={s.Id("east")}&period=2026-11",
            new V1.GetActivityReportRequest { Scope = V1.TargetScope.Region, ScopeId = s.Id("east"), Period = "2026-11" }, server.Query.GetActivityReportAsync);
        await SameAsync(
            http, $"/v1/forecastSubmissions?scope=TARGET_SCOPE_REP&scopeId={s.Id("ann")}&period=2026-11",
            new V1.GetForecastSubmissionsRequest { Scope = V1.TargetScope.Rep, ScopeId = s.Id("ann"), Period = "2026-11" }, server.Query.GetForecastSubmissionsAsync);
        await SameAsync(
            http, $"/v1/pipelineHistory?scope=TARGET_SCOPE_REGION&scopeId={s.Id("east")}&period=2026-11&fromDate.year=2026&fromDate.month=11&fromDate.day=1&toDate.year=2026&toDate.month=11&toDate.day=10",
            new V1.GetPipelineHistoryRequest
            {
                Scope = V1.TargetScope.Region, ScopeId = s.Id("east"), Period = "2026-11",
                FromDate = new Google.Type.Date { Year = 2026, Month = 11, Day = 1 }, ToDate = new Google.Type.Date { Year = 2026, Month = 11, Day = 10 },
            },
            server.Query.GetPipelineHistoryAsync);

        // proto3 JSON: 64-bit integers are strings, as Google.Protobuf's JsonFormatter writes them.
        using var region = JsonDocument.Parse(await GetStringAsync(http, $"/v1/regions/{s.Id("east")}?period=2026-11"));
        var bookings = region.RootElement.GetProperty("figures").GetProperty("bookings");
        Assert.Equal((JsonValueKind.String, "65000"), (bookings.ValueKind, bookings.GetString()));

        // A watch is one JSON object per line: its first is the snapshot the gRPC stream starts with.
        using var watch = server.Watch.WatchLeaderboard(
            new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("east"), Metric = V1.LeaderboardMetric.Bookings, Period = "2026-11" }, deadline: Due);
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None).Within());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/leaderboards/{s.Id("east")}:watch?metric=LEADERBOARD_METRIC_BOOKINGS&period=2026-11");
        using var lines = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        Assert.Equal(HttpStatusCode.OK, lines.StatusCode);
        using var reader = new StreamReader(await lines.Content.ReadAsStreamAsync().Within());
        var snapshot = Parser.Parse<V1.WatchLeaderboardResponse>((await reader.ReadLineAsync().Within())!);
        Assert.True(snapshot.Snapshot);
        Assert.Equal(watch.ResponseStream.Current, snapshot);
    }

    [Fact]
    public async Task ABadEventOverJson_Is400NamingTheField_WithTheStatusGrpcAnswers()
    {
        var s = new Scenario("rest-bad");
        await server.IngestEachAsync(Bound, s.Region("east"), s.Rep("ann", "east"), s.Customer("acme"));
        var bad = s.Payment("ann", "acme", 5_000, h: 1).ToProto();
        bad.PaymentReceived.Amount.MinorUnits = -5;

        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = bad }, deadline: Due).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        var expected = grpc.GetRpcStatus()!;
        Assert.Equal("amount", expected.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);

        using var http = Http(server.WebAddress);
        using var response = await SendAsync(http, HttpMethod.Post, "/v1/events:ingest", JsonFormatter.Default.Format(bad));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(expected, Parser.Parse<Google.Rpc.Status>(await response.Content.ReadAsStringAsync().Within()));

        // In a batch, the bad event is answered in its place and the good one is applied, as on the stream.
        var batch = new V1.BatchIngestRequest { Events = { bad, s.Activity("ann", 2).ToProto() } };
        var ack = await PostAsync<V1.BatchIngestResponse>(http, "/v1/events:batchIngest", batch);
        Assert.Equal((1, 1), (ack.Accepted, ack.Rejected));
        Assert.Equal((V1.EventStatus.InvalidArgument, expected), (ack.Results[0].Status, ack.Results[0].Error));

        // A body that is not the request's JSON at all is 400 too, and applies nothing.
        using var garbage = await SendAsync(http, HttpMethod.Post, "/v1/events:ingest", """{"eventId": {"not": "a string"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocument_IsServed_AndDescribesTheIngestAndQueryPathsWithTheProtoComments()
    {
        using var http = Http(server.WebAddress);
        using var document = JsonDocument.Parse(await GetStringAsync(http, "/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/v1/events:ingest", "post"), ("/v1/events:batchIngest", "post"),
            ("/v1/reps/{repId}", "get"), ("/v1/regions/{regionId}", "get"), ("/v1/customers/{customerId}", "get"),
            ("/v1/opportunities/{opportunityId}", "get"), ("/v1/leaderboards/{scopeRegionId}", "get"), ("/v1/stageTable", "get"),
            ("/v1/regions/{scopeRegionId}/orphanedOpportunities", "get"), ("/v1/regions/{scopeRegionId}/atRiskOpportunities", "get"),
            ("/v1/forecastSubmissions", "get"), ("/v1/activityReport", "get"), ("/v1/pipelineHistory", "get"),
            ("/v1/apiKeys", "post"), ("/v1/channels/{name}", "get"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path} is not in the document");
        }

        // The descriptions are the protos' comments.
        var ingest = paths.GetProperty("/v1/events:batchIngest").GetProperty("post");
        Assert.StartsWith("One batch, as one call", ingest.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var eventId = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("Event").GetProperty("properties").GetProperty("eventId");
        Assert.Contains("Unique per event at its source", eventId.GetProperty("description").GetString(), StringComparison.Ordinal);

        // Swagger UI beside it; the screen pages are no part of the API.
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.StartsWith("/screen", StringComparison.Ordinal));
        using var ui = await http.GetAsync("/openapi/index.html").Within();
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task AJsonCallAddressedToAnotherHost_IsNotTheDevelopmentIdentity()
    {
        // Without credentials on loopback a call acts as the development identity; one addressed to another host name
        // (DNS rebinding) or sent by another site's page is refused as over gRPC-Web and the screen routes.
        using var http = Http(server.WebAddress);
        var s = new Scenario("rest-host");
        foreach (var (header, value) in new[] { ("Host", "evil.example"), ("Origin", "https://evil.example") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events:ingest") { Content = Json(JsonFormatter.Default.Format(s.Region("east").ToProto())) };
            if (header == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.Add(header, value);
            }

            using var response = await http.SendAsync(request).Within();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {value} → {response.StatusCode}");
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within());
            Assert.Equal((int)StatusCode.Unauthenticated, error.RootElement.GetProperty("code").GetInt32());
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("east") }, deadline: Due).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode); // nothing was applied
    }

    /// <summary>An HTTP/1.1 client of the web port, as curl or a browser is.</summary>
    internal static HttpClient Http(string address, string? credential = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(address), DefaultRequestVersion = HttpVersion.Version11, Timeout = Bound };
        if (credential is not null)
        {
            if (credential.Count(c => c == '.') == 2)
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);
            }
            else
            {
                http.DefaultRequestHeaders.Add("x-api-key", credential);
            }
        }

        return http;
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        return await http.SendAsync(request).Within();
    }

    internal static async Task<string> GetStringAsync(HttpClient http, string path)
    {
        using var response = await SendAsync(http, HttpMethod.Get, path);
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} → {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>POSTs <paramref name="body"/> as JSON and reads the 200 answer.</summary>
    internal static async Task<T> PostAsync<T>(HttpClient http, string path, IMessage body)
        where T : IMessage<T>, new()
    {
        using var response = await SendAsync(http, HttpMethod.Post, path, JsonFormatter.Default.Format(body));
        var text = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path} → {(int)response.StatusCode}: {text}");
        return Parser.Parse<T>(text);
    }

    /// <summary>The JSON answer at <paramref name="path"/> is the gRPC answer to <paramref name="request"/>, field for field.</summary>
    private static async Task<TResponse> SameAsync<TRequest, TResponse>(
        HttpClient http, string path, TRequest request, Func<TRequest, Metadata?, DateTime?, CancellationToken, AsyncUnaryCall<TResponse>> grpc)
        where TResponse : IMessage<TResponse>, new()
    {
        var expected = await grpc(request, null, Due, CancellationToken.None).ResponseAsync.Within();
        var json = await GetStringAsync(http, path);
        var actual = Parser.Parse<TResponse>(json);
        Assert.True(expected.Equals(actual), $"GET {path}\n  JSON: {JsonFormatter.Default.Format(actual)}\n  gRPC: {JsonFormatter.Default.Format(expected)}");
        return actual;
    }
}

/// <summary>The OpenAPI document is a setting (<c>Server:OpenApi</c>): like reflection, on by default on loopback only.</summary>
public sealed class OpenApiSettingTests
{
    [Theory]
    [InlineData("127.0.0.1", null, true)]
    [InlineData("localhost", null, true)]
    [InlineData("0.0.0.0", null, false)]
    [InlineData("192.0.2.7", null, false)]
    [InlineData("0.0.0.0", "true", true)]
    [InlineData("127.0.0.1", "false", false)]
    public void OpenApi_DefaultsToOnlyOnLoopback(string grpcHost, string? setting, bool expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Server:OpenApi"] = setting })
            .Build();

        Assert.Equal(expected, SalesOps.Server.Hosting.OpenApi.Enabled(configuration, new SalesOps.Server.Hosting.ServerOptions { GrpcHost = grpcHost }));
    }
}
