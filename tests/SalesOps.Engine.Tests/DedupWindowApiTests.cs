using Grpc.Core;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>The real server configured with a small de-dup window: three days and four ids per entity.</summary>
public sealed class SmallDedupWindowServerFixture() : ServerFixture(new Dictionary<string, string>
{
    ["Engine:DedupWindowDays"] = "3",
    ["Engine:DedupWindowCount"] = "4",
});

[CollectionDefinition(Name)]
public sealed class SmallDedupWindowServerCollection : ICollectionFixture<SmallDedupWindowServerFixture>
{
    public const string Name = "server with a small de-dup window";
}

/// <summary>End to end over gRPC: what a CRM gets for re-sends inside the de-dup window and for events older than it.</summary>
[Collection(SmallDedupWindowServerCollection.Name)]
public sealed class DedupWindowApiTests(SmallDedupWindowServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private Task<V1.GetRepResponse> RepAsync(Scenario s) =>
        server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline).ResponseAsync;

    [Fact]
    public async Task EventsOlderThanTheWindow_AreRefusedFinallyNamingOccurredAtAndReSendsInsideItAreDuplicates()
    {
        var s = new Scenario("dedup-api");
        var first = s.Activity("ann", h: 1);
        var latest = s.Activity("ann", h: 100); // 99 hours later: the rep forgets its join and the first activity
        var setup = await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"), first, latest);
        Assert.Equal(4, setup.Accepted);
        var before = await RepAsync(s);
        Assert.Equal(2, before.Figures.ActivityTotal);

        var ack = await server.SendBatchAsync(
            "late",
            latest,                       // a re-send inside the window
            first,                        // a re-send of an event the rep no longer remembers
            s.Activity("ann", h: 20),     // new, but more than three days before the rep's newest
            s.Activity("ann", h: 90));    // new and inside the window

        Assert.Equal(
            [V1.EventStatus.Duplicate, V1.EventStatus.FailedPrecondition, V1.EventStatus.FailedPrecondition, V1.EventStatus.Accepted],
            ack.Results.Select(r => r.Status));
        foreach (var refused in ack.Results.Where(r => r.Status == V1.EventStatus.FailedPrecondition))
        {
            Assert.Equal((int)StatusCode.FailedPrecondition, refused.Error.Code);
            Assert.Equal(("occurred_at", ApiErrors.Conflict), StatusDetails.Named(refused.Error));
            Assert.Contains("de-dup window", refused.Error.Message, StringComparison.Ordinal);
        }

        var one = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(first.ToOne(), deadline: DateTime.UtcNow + Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, one.StatusCode);
        Assert.Equal(("occurred_at", ApiErrors.Conflict), StatusDetails.Named(one));

        // The first activity counts once, the refused ones not at all, the new one inside the window once.
        var after = await RepAsync(s);
        Assert.Equal(3, after.Figures.ActivityTotal);
    }
}
