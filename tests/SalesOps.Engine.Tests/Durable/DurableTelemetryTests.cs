using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// Metrics of a server process in postgres mode: journal commits are timed, a push written to a board watcher is
/// timed from the event's acceptance through the roll-up carrier (the path durable mode takes), and Orleans' meter and
/// the runtime's are in the same scrape.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DurableTelemetryTests(PostgresFixture postgres)
{
    [Fact]
    public async Task PostgresMode_EventsIngestedWhileABoardIsWatched_TimesJournalCommitsAndTheEventToItsPush_BesideOrleansMeter()
    {
        var s = new Scenario("otel-durable");
        await using var server = new ServerProcess(await postgres.DatabaseAsync("telemetry"), "telemetry", "--migrate");
        await server.StartAsync();
        var web = $"http://127.0.0.1:{server.WebPort}";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        foreach (var e in new SalesEvent[] { s.Region("r"), s.Rep("ann", "r"), s.Customer("acme") })
        {
            await server.Ingest.IngestOneAsync(e.ToOne(), deadline: deadline);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = server.Watch.WatchLeaderboard(
            new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id("r"), Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 },
            cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token).Within(TimeSpan.FromSeconds(60)));

        await server.Ingest.IngestOneAsync(s.Open("o1", "ann", "acme", 25_000, h: 1).ToOne(), deadline: deadline);
        await server.Ingest.IngestOneAsync(s.Won("o1", 2).ToOne(), deadline: deadline);
        await Wait.UntilAsync(
            async () =>
            {
                Assert.True(await call.ResponseStream.MoveNext(cts.Token).Within(TimeSpan.FromSeconds(60)), server.Log);
                return call.ResponseStream.Current.Entries.Any(e => e.RepId == s.Id("ann") && e.Score > 0);
            },
            "the won deal on the watched board",
            TimeSpan.FromSeconds(60));

        MetricsScrape scrape = null!;
        await Wait.UntilAsync(
            async () =>
            {
                scrape = await MetricsScrape.OfAsync(web);
                return scrape.Sum("salesops_push_latency_seconds_count", ("kind", "board")) >= 1;
            },
            () => "the push to be timed: " + server.Log,
            TimeSpan.FromSeconds(30));
        Assert.True(scrape.Sum("salesops_journal_commit_duration_seconds_count", ("outcome", "ok")) >= 5, "every ingest call's journal append is timed");
        Assert.True(scrape.Sum("salesops_ingest_events_total", ("status", "accepted")) >= 5, "the accepted events are counted");
        Assert.True(scrape.Any(l => l.StartsWith("salesops_outbox_depth", StringComparison.Ordinal)), "the outbox depth gauge");
        Assert.True(scrape.Any(l => l.StartsWith("dotnet_gc_", StringComparison.Ordinal)), "runtime metrics");

        // Orleans' meter, in a process that hosts one silo as production does. Its activations-created counter, not its
        // live-activations gauge: Orleans first reports that gauge tens of seconds after start.
        await Wait.UntilAsync(
            async () => (scrape = await MetricsScrape.OfAsync(web)).Sum("orleans_catalog_activation_created_total") > 0,
            () => $"grain activations counted by Orleans' meter (last scrape: {scrape.Count(l => l.Contains("otel_scope_name=\"Microsoft.Orleans\"", StringComparison.Ordinal))} of its lines, {scrape.Count(_ => true)} in all): " + server.Log,
            TimeSpan.FromSeconds(30));
    }
}
