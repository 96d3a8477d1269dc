using System.Net;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// Metrics and the dashboard on the real server's web port: the scrape moves with what the engine does (before and
/// after, never absolute counts: other servers in this process share the meter), and the development identity on
/// loopback is an admin.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TelemetryApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private const string Ingested = "salesops_ingest_events_total";

    [Fact]
    public async Task MetricsScrape_AfterEventsIngestedOverGrpc_CountsThemByStatusAndTimesTheAck()
    {
        var s = new Scenario("otel-ingest");
        var before = await MetricsScrape.OfAsync(server.WebAddress);

        var setUp = await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 10_000, h: 1));
        Assert.Equal(0, setUp.Rejected);
        var ack = await server.SendBatchAsync(
            "mixed",
            s.Won("o1", 2),
            s.Payment("ann", "acme", 100, 3) with { Amount = -5 },
            s.Activity("nobody", 4));
        Assert.Equal(
            [V1.EventStatus.Accepted, V1.EventStatus.InvalidArgument, V1.EventStatus.NotFound],
            ack.Results.Select(r => r.Status));
        var again = await server.SendBatchAsync("again", s.Won("o1", 2) with { EventId = ack.Results[0].EventId });
        Assert.Equal(V1.EventStatus.Duplicate, Assert.Single(again.Results).Status);

        MetricsScrape after = before;
        double Moved(string status) => after.Sum(Ingested, ("status", status)) - before.Sum(Ingested, ("status", status));
        await Wait.UntilAsync(
            async () =>
            {
                after = await MetricsScrape.OfAsync(server.WebAddress);
                return Moved("accepted") >= 5 && Moved("invalid_argument") >= 1 && Moved("not_found") >= 1 && Moved("duplicate") >= 1;
            },
            () => $"the ingest counter to move: accepted +{Moved("accepted")}, invalid_argument +{Moved("invalid_argument")}, not_found +{Moved("not_found")}, duplicate +{Moved("duplicate")}");

        const string acks = "salesops_ingest_ack_duration_seconds_count";
        Assert.True(after.Sum(acks, ("method", "Ingest")) - before.Sum(acks, ("method", "Ingest")) >= 3, "three acknowledged batches timed");
    }

    [Fact]
    public async Task MetricsScrape_Always_IncludesTheRuntimeAndEveryWatcherKind()
    {
        // Orleans' own meter is checked against a server process (DurableTelemetryTests): in this process every host's
        // "Microsoft.Orleans" instruments share one OpenTelemetry stream each, and a host disposed by another collection
        // retires the stream this server's instruments write to.
        var scrape = await MetricsScrape.OfAsync(server.WebAddress);
        Assert.True(scrape.Any(l => l.StartsWith("dotnet_gc_", StringComparison.Ordinal)), "runtime metrics");
        Assert.All(
            new[] { "board", "alerts", "screen" },
            kind => Assert.True(scrape.Any(l => l.StartsWith("salesops_watchers{", StringComparison.Ordinal) && l.Contains($"kind=\"{kind}\"", StringComparison.Ordinal)), $"watchers of kind {kind}, even when none"));
    }

    [Fact]
    public async Task MetricsScrape_WhileABoardIsWatched_CountsTheWatcherAndTimesTheEventToItsPush()
    {
        var s = new Scenario("otel-push");
        Assert.Equal(0, (await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"))).Rejected);
        var before = await MetricsScrape.OfAsync(server.WebAddress);
        const string pushes = "salesops_push_latency_seconds_count";

        using var cts = new CancellationTokenSource(Deadline);
        var request = new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 };
        using (var call = server.Watch.WatchLeaderboard(request, cancellationToken: cts.Token))
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token).Within());
            Assert.True(call.ResponseStream.Current.Snapshot);
            // Polled: the exporter answers scrapes within 300 ms of each other from one collection.
            await Wait.UntilAsync(
                async () => (await MetricsScrape.OfAsync(server.WebAddress)).Sum("salesops_watchers", ("kind", "board")) >= 1,
                "the open board watcher to be counted");

            Assert.Equal(0, (await server.SendBatchAsync("win", s.Open("o1", "ann", "acme", 25_000, h: 1), s.Won("o1", 2))).Rejected);
            Assert.True(await call.ResponseStream.MoveNext(cts.Token).Within());
            Assert.Equal(s.Id("ann"), Assert.Single(call.ResponseStream.Current.Entries).RepId);

            MetricsScrape after = before;
            await Wait.UntilAsync(
                async () =>
                {
                    after = await MetricsScrape.OfAsync(server.WebAddress);
                    return after.Sum(pushes, ("kind", "board")) > before.Sum(pushes, ("kind", "board"));
                },
                "the push written to the watcher to be timed from the event's acceptance");
        }
    }

    [Fact]
    public async Task Dashboard_FromLoopbackWithoutCredentials_AnswersTheDevelopmentAdmin()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress), Timeout = Deadline };

        using var page = await http.GetAsync(new Uri("/dashboard/", UriKind.Relative)).Within();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync().Within(), StringComparison.Ordinal);

        using var counters = await http.GetAsync(new Uri("/dashboard/DashboardCounters", UriKind.Relative)).Within();
        Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
    }

    [Fact]
    public async Task Dashboard_WithAnInvalidKey_IsRefusedUnauthenticated()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress), Timeout = Deadline };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/dashboard/", UriKind.Relative));
        request.Headers.Add("x-api-key", "sok_nosuchkey_0000000000000000000000");

        using var response = await http.SendAsync(request).Within();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
