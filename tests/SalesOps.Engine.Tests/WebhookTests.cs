using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>A server with two webhook connectors: our own events under Standard Webhooks, and HubSpot v3.</summary>
public sealed class WebhookFixture() : ServerFixture(new Dictionary<string, string>
{
    ["Webhooks:Connectors:crm:Secret"] = WebhookFixture.StandardSecret,
    ["Webhooks:Connectors:hubspot:Format"] = "hubspot",
    ["Webhooks:Connectors:hubspot:Secret"] = WebhookFixture.HubSpotSecret,
    ["Webhooks:Connectors:hubspot:Stages:appointmentscheduled"] = "needs_research",
    ["Webhooks:Connectors:hubspot:Stages:contractsent"] = "contract_negotiation",
    ["Webhooks:Connectors:hubspot:Owners:9001"] = "wh-hs-bob",
    ["Webhooks:RetryAfter"] = "00:00:01",
})
{
    public static readonly string StandardSecret = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("a test secret of thirty-two bytes"));
    public const string HubSpotSecret = "hubspot-app-client-secret";
}

/// <summary>
/// CRM webhooks end to end over real HTTP/1.1 on the web port: signatures of every kind refused, the status mapping a
/// retrying CRM acts on, out-of-order deliveries retried until every event counts once, CloudEvents' idempotency key,
/// and HubSpot's v3 deliveries through the stage and owner mapping.
/// </summary>
public sealed class WebhookTests(WebhookFixture server) : IClassFixture<WebhookFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default);

    private static DateTime Due => DateTime.UtcNow + Bound;

    [Fact]
    public async Task SignedDeliveryOfOurEvents_IsTaken_AndAFreshlySignedRetryAnswersDuplicate()
    {
        var s = new Scenario("wh-taken");
        using var http = Http();
        var body = Array(s.Region("east"), s.Rep("ann", "east"), s.Customer("acme"));

        var first = await PostStandardAsync(http, "crm", body, "msg-taken-1");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal((3, 0), (first.Json.GetProperty("accepted").GetInt32(), first.Json.GetProperty("duplicates").GetInt32()));

        var retry = await PostStandardAsync(http, "crm", body, "msg-taken-1", signedAt: DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal((0, 3), (retry.Json.GetProperty("accepted").GetInt32(), retry.Json.GetProperty("duplicates").GetInt32()));
        var rep = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann") }, deadline: Due);
        Assert.Equal(s.Id("east"), rep.RegionId);
    }

    [Fact]
    public async Task SignatureFailuresOfEveryKind_AreRefusedWith401_AndApplyNothing()
    {
        var s = new Scenario("wh-refused");
        using var http = Http();
        var body = Array(s.Region("west"));
        var now = DateTimeOffset.UtcNow;

        async Task RefusedAsync(string header, Action<HttpRequestMessage> tamper, byte[]? sent = null)
        {
            using var request = StandardRequest("crm", body, "msg-refused", now);
            tamper(request);
            if (sent is not null)
            {
                request.Content = new ByteArrayContent(sent);
            }

            using var response = await http.SendAsync(request).WaitAsync(Bound);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {(int)response.StatusCode} {json}");
            Assert.Equal(header, json.GetProperty("field").GetString());
        }

        await RefusedAsync("webhook-signature", r => Replace(r, "webhook-signature", "v1," + Convert.ToBase64String(new byte[32])));
        await RefusedAsync("webhook-signature", _ => { }, sent: Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("West", "Wrst", StringComparison.Ordinal) + " "));
        await RefusedAsync("webhook-signature", r => r.Headers.Remove("webhook-signature"));
        await RefusedAsync("webhook-id", r => r.Headers.Remove("webhook-id"));
        await RefusedAsync("webhook-timestamp", r => r.Headers.Remove("webhook-timestamp"));
        await RefusedAsync("webhook-timestamp", r => Resign(r, body, now.AddMinutes(-6)));
        await RefusedAsync("webhook-timestamp", r => Resign(r, body, now.AddMinutes(6)));

        // Signed with another connector's secret, or sent to a connector that does not exist.
        using (var other = StandardRequest("crm", body, "msg-refused", now, secret: "whsec_" + Convert.ToBase64String(new byte[24])))
        using (var response = await http.SendAsync(other).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var nowhere = StandardRequest("erp", body, "msg-refused", now))
        using (var response = await http.SendAsync(nowhere).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("west") }, deadline: Due).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode); // no refused delivery applied its event

        // Taken once, the very same signed request again is a replay.
        Assert.Equal(HttpStatusCode.OK, (await PostStandardAsync(http, "crm", body, "msg-replayed", signedAt: now)).Status);
        await RefusedAsync("signature", r => Resign(r, body, now, "msg-replayed"));
    }

    [Fact]
    public async Task ABadEvent_Is400NamingItsField_AndAnUnknownFieldIsRefusedToo()
    {
        var s = new Scenario("wh-bad");
        using var http = Http();
        var bad = s.Open("o1", "ann", "acme", 1_000).ToProto();
        bad.OpportunityOpened.Amount.MinorUnits = -5;
        var setup = await PostStandardAsync(http, "crm", Array(s.Region("r"), s.Rep("ann", "r"), s.Customer("acme")), "msg-bad-setup");
        Assert.Equal(HttpStatusCode.OK, setup.Status);

        var refused = await PostStandardAsync(http, "crm", Encoding.UTF8.GetBytes(Json.Format(bad)), "msg-bad");
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        var result = refused.Json.GetProperty("results")[0];
        Assert.Equal(("InvalidArgument", "amount", false), (result.GetProperty("status").GetString(), result.GetProperty("field").GetString(), result.GetProperty("retryable").GetBoolean()));

        var unknown = await PostStandardAsync(http, "crm", Encoding.UTF8.GetBytes("{\"eventId\":\"x1\",\"colour\":\"red\"}"), "msg-bad-2");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("body", unknown.Json.GetProperty("field").GetString());
        Assert.Contains("colour", unknown.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Deliveries arrive in the wrong order — wins before their deals, deals before their reps — and the sender
    /// retries as HubSpot does: on 503 (and 429) after Retry-After, never after 400, 401, 403, 404, 405 or 410. Every
    /// event ends up counted exactly once, and no answer on the way was one that makes a CRM give up.
    /// </summary>
    [Fact]
    public async Task OutOfOrderDeliveries_RetriedAsHubSpotRetries_LoseNothingAndCountNothingTwice()
    {
        var s = new Scenario("wh-order");
        using var http = Http();
        List<SalesEvent[]> deliveries =
        [
            [s.Won("d1", 5), s.Won("d2", 6)],
            [s.Open("d1", "ann", "acme", 30_000, h: 2), s.Open("d2", "bob", "acme", 20_000, h: 2)],
            [s.Rep("ann", "north", h: 1), s.Rep("bob", "north", h: 1)],
            [s.Customer("acme", h: 1)],
            [s.Region("north")],
            [s.Open("d3", "ann", "acme", 7_000, h: 3), s.Won("d3", 7)],
        ];

        var statuses = new List<HttpStatusCode>();
        var pending = deliveries.Select((d, i) => (Body: Array(d), Id: $"msg-order-{i}")).ToList();
        for (var round = 0; pending.Count > 0; round++)
        {
            Assert.True(round < 20, $"deliveries still pending after {round} rounds: {string.Join(", ", pending.Select(p => p.Id))}");
            var next = new List<(byte[] Body, string Id)>();
            foreach (var delivery in pending)
            {
                var answer = await PostStandardAsync(http, "crm", delivery.Body, delivery.Id);
                statuses.Add(answer.Status);
                if (answer.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
                {
                    Assert.True(answer.RetryAfter is { } wait && wait > TimeSpan.Zero, "a retryable answer without Retry-After");
                    next.Add(delivery);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, answer.Status);
                }
            }

            pending = next;
        }

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.DoesNotContain(statuses, c => c is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.BadRequest);
        await Wait.UntilAsync(
            async () => (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("north"), Period = "2026-11" }, deadline: Due)).Figures.Bookings == 57_000,
            "north's bookings to be 57,000: each win counted once");
        var ann = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: Due);
        Assert.Equal((37_000, 2), (ann.Figures.Bookings, ann.Figures.WonCount));
    }

    [Fact]
    public async Task ADeliveryMixingAKnownAndAnUnknownReference_Is503WithWhatItTook_AndItsRetryTakesTheRestCountingNothingTwice()
    {
        var s = new Scenario("wh-mixed");
        using var http = Http();
        Assert.Equal(HttpStatusCode.OK, (await PostStandardAsync(http, "crm", Array(s.Region("west"), s.Rep("ann", "west"), s.Customer("acme")), "msg-mixed-setup")).Status);
        var mixed = Array(s.Open("m1", "ann", "acme", 11_000, h: 1), s.Won("m1", 2), s.Won("m2", 3));

        var first = await PostStandardAsync(http, "crm", mixed, "msg-mixed");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Status);
        Assert.Equal(
            ["Accepted", "Accepted", "NotFound"],
            first.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));

        Assert.Equal(HttpStatusCode.OK, (await PostStandardAsync(http, "crm", Array(s.Open("m2", "ann", "acme", 4_000, h: 1)), "msg-mixed-open")).Status);
        var retry = await PostStandardAsync(http, "crm", mixed, "msg-mixed", signedAt: DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal(
            ["Duplicate", "Duplicate", "Accepted"],
            retry.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        await Wait.UntilAsync(
            async () => (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: Due)).Figures is { Bookings: 15_000, WonCount: 2 },
            "ann's two wins, 15,000 in all, each counted once");
    }

    [Fact]
    public async Task CloudEvents_TakeSourceAndIdAsTheEventId_InStructuredAndBatchMode()
    {
        var s = new Scenario("wh-ce");
        using var http = Http();
        var region = s.Region("south").ToProto();
        var structured = Encoding.UTF8.GetBytes(CloudEvent("crm://acme-crm", "evt-1", region));
        var first = await PostStandardAsync(http, "crm", structured, "msg-ce-1", contentType: "application/cloudevents+json");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("crm://acme-crm#evt-1", first.Json.GetProperty("results")[0].GetProperty("eventId").GetString());

        // The same CloudEvent again, its data carrying another event id: still the same event.
        region.EventId = "something-else";
        var again = await PostStandardAsync(http, "crm", Encoding.UTF8.GetBytes(CloudEvent("crm://acme-crm", "evt-1", region)), "msg-ce-2", contentType: "application/cloudevents+json");
        Assert.Equal((HttpStatusCode.OK, "Duplicate"), (again.Status, again.Json.GetProperty("results")[0].GetProperty("status").GetString()));

        var batch = Encoding.UTF8.GetBytes($"[{CloudEvent("crm://acme-crm", "evt-2", s.Rep("cy", "south").ToProto())},{CloudEvent("crm://other", "evt-1", s.Customer("zeta").ToProto())}]");
        var taken = await PostStandardAsync(http, "crm", batch, "msg-ce-3", contentType: "application/cloudevents-batch+json");
        Assert.Equal(HttpStatusCode.OK, taken.Status);
        Assert.Equal(2, taken.Json.GetProperty("accepted").GetInt32());
        Assert.Equal(s.Id("south"), (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("cy") }, deadline: Due)).RegionId);
    }

    [Fact]
    public async Task HubSpotV3Deliveries_MoveDealsThroughTheMappedStagesOwnersAndAmounts_AndAnUnmappedStageIsKeptForARetry()
    {
        var s = new Scenario("wh-hs");
        using var http = Http();
        var deal = 700_000_000 + Random.Shared.Next(1_000_000);
        var opened = s.Open("unused", "ann", "acme", 10_000, stage: "lead", h: 1).ToProto();
        opened.OpportunityOpened.OpportunityId = $"hs-{deal}";
        var setup = await PostStandardAsync(http, "crm", Array(s.Region("hq"), s.Rep("ann", "hq"), s.Rep("bob", "hq"), s.Customer("acme")), "msg-hs-setup");
        Assert.Equal(HttpStatusCode.OK, setup.Status);
        Assert.Equal(HttpStatusCode.OK, (await PostStandardAsync(http, "crm", Encoding.UTF8.GetBytes(Json.Format(opened)), "msg-hs-open")).Status);

        var at = s.At(2).ToUnixTimeMilliseconds();
        var portal = 62515;
        string Change(int eventId, string property, string value, long occurredAt) =>
            $$"""{"eventId":{{eventId}},"subscriptionId":11,"portalId":{{portal}},"appId":3,"occurredAt":{{occurredAt}},"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":{{deal}},"propertyName":"{{property}}","propertyValue":"{{value}}","changeSource":"CRM"}""";
        var first = $"[{Change(deal + 1, "dealstage", "appointmentscheduled", at)},{Change(deal + 2, "amount", "12500.50", at + 1000)},{Change(deal + 3, "hubspot_owner_id", "9001", at + 2000)},{Change(deal + 4, "dealname", "Big one", at + 2000)}]";
        var taken = await PostHubSpotAsync(http, first);
        Assert.Equal(HttpStatusCode.OK, taken.Status);
        Assert.Equal(3, taken.Json.GetProperty("accepted").GetInt32());

        var unmapped = $"[{Change(deal + 5, "dealstage", "presentationscheduled", at + 3000)}]";
        var kept = await PostHubSpotAsync(http, unmapped);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, kept.Status);
        Assert.True(kept.RetryAfter > TimeSpan.Zero);

        // A cleared owner beside the win: nothing of ours for the one, the other taken.
        var won = await PostHubSpotAsync(http, $"[{Change(deal + 7, "hubspot_owner_id", "", at + 3500)},{Change(deal + 6, "dealstage", "closedwon", at + 4000)}]");
        Assert.Equal(HttpStatusCode.OK, won.Status);
        var o = await server.Query.GetOpportunityAsync(new V1.GetOpportunityRequest { OpportunityId = $"hs-{deal}" }, deadline: Due);
        Assert.Equal((s.Id("bob"), 1_250_050L, "won"), (o.OwnerRepId, o.Amount.MinorUnits, o.StageId));

        // HubSpot re-sends an event with the same eventId: a duplicate.
        var resent = await PostHubSpotAsync(http, $"[{Change(deal + 6, "dealstage", "closedwon", at + 4000)}]");
        Assert.Equal((HttpStatusCode.OK, 1), (resent.Status, resent.Json.GetProperty("duplicates").GetInt32()));

        // A wrong or stale signature is refused.
        using var bad = HubSpotRequest(first, DateTimeOffset.UtcNow, secret: "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(bad).WaitAsync(Bound)).StatusCode);
        using var stale = HubSpotRequest(first, DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(stale).WaitAsync(Bound)).StatusCode);
    }

    private HttpClient Http() => new() { BaseAddress = new Uri(server.WebAddress), DefaultRequestVersion = HttpVersion.Version11, Timeout = Bound };

    private static byte[] Array(params SalesEvent[] events) =>
        Encoding.UTF8.GetBytes("[" + string.Join(",", events.Select(e => Json.Format(e.ToProto()))) + "]");

    private static string CloudEvent(string source, string id, V1.Event data) =>
        $$"""{"specversion":"1.0","id":"{{id}}","source":"{{source}}","type":"salesops.v1.Event","datacontenttype":"application/json","data":{{Json.Format(data)}}}""";

    private sealed record Answer(HttpStatusCode Status, JsonElement Json, TimeSpan? RetryAfter);

    private static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Headers.RetryAfter?.Delta);
    }

    private static async Task<Answer> PostStandardAsync(HttpClient http, string connector, byte[] body, string id, DateTimeOffset? signedAt = null, string contentType = "application/json")
    {
        using var request = StandardRequest(connector, body, id, signedAt ?? DateTimeOffset.UtcNow, contentType: contentType);
        using var response = await http.SendAsync(request).WaitAsync(Bound);
        return await ReadAsync(response);
    }

    private static HttpRequestMessage StandardRequest(string connector, byte[] body, string id, DateTimeOffset signedAt, string? secret = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{connector}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        Sign(request, body, signedAt, id, secret ?? WebhookFixture.StandardSecret);
        return request;
    }

    private static void Sign(HttpRequestMessage request, byte[] body, DateTimeOffset signedAt, string id, string secret)
    {
        var stamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        byte[] signed = [.. Encoding.UTF8.GetBytes($"{id}.{stamp}."), .. body];
        foreach (var h in new[] { "webhook-id", "webhook-timestamp", "webhook-signature" })
        {
            request.Headers.Remove(h);
        }

        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", stamp);
        request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
    }

    private static void Resign(HttpRequestMessage request, byte[] body, DateTimeOffset signedAt, string id = "msg-refused") =>
        Sign(request, body, signedAt, id, WebhookFixture.StandardSecret);

    private static void Replace(HttpRequestMessage request, string header, string value)
    {
        request.Headers.Remove(header);
        request.Headers.Add(header, value);
    }

    private async Task<Answer> PostHubSpotAsync(HttpClient http, string body)
    {
        using var request = HubSpotRequest(body, DateTimeOffset.UtcNow);
        using var response = await http.SendAsync(request).WaitAsync(Bound);
        return await ReadAsync(response);
    }

    private HttpRequestMessage HubSpotRequest(string body, DateTimeOffset signedAt, string secret = WebhookFixture.HubSpotSecret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var uri = $"{server.WebAddress}/webhooks/hubspot";
        var stamp = signedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        byte[] signed = [.. Encoding.UTF8.GetBytes("POST" + uri), .. bytes, .. Encoding.UTF8.GetBytes(stamp)];
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/hubspot") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-HubSpot-Request-Timestamp", stamp);
        request.Headers.Add("X-HubSpot-Signature-v3", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        return request;
    }
}
