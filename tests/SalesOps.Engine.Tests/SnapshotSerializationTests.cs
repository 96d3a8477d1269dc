using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using SalesOps.Runtime;
using SalesOps.Abstractions;
using SalesOps.Grains;
using SalesOps.Grains.Durability;

namespace SalesOps.Engine.Tests;

/// <summary>Snapshots go through the storage serializer durable mode uses (Orleans' binary one) and come back whole.</summary>
public sealed class SnapshotSerializationTests
{
    private static OrleansGrainStorageSerializer StorageSerializer()
    {
        var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        return new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
    }

    [Fact]
    public void OpportunityBookCheckpoint_WithRepCreditLanes_RoundTrips()
    {
        var credits = new[] { new Credit(1, 2, 3, 400, DateTimeOffset.UnixEpoch, null) };
        var cp = new OpportunityBookGrainSnapshot
        {
            Sequence = 9,
            Deals = [[1, 2, 3]],
            Credits = [new OutboxLane<RepCredits[]>("17", 4, [(3, [new RepCredits("ann", credits)]), (4, [new RepCredits("bob", credits), new RepCredits("ann", [])])])],
            Orders = [new OutboxLane<DealOrder>("c", 1, [(1, new DealOrder("o", null))])],
        };
        var serializer = StorageSerializer();
        var back = serializer.Deserialize<OpportunityBookGrainSnapshot>(serializer.Serialize(cp))!;
        Assert.Equal(9, back.Sequence);
        var lane = Assert.Single(back.Credits);
        Assert.Equal(("17", 4L), (lane.Destination, lane.LastSequence));
        Assert.Equal(["ann", "bob", "ann"], lane.Pending.SelectMany(p => p.Message).Select(c => c.RepId));
        Assert.Equal(400, lane.Pending[1].Message[0].Credits[0].Value);
    }

    [Fact]
    public void RepBookCheckpoint_WithRepsInboxLanesAndTouches_RoundTrips()
    {
        var rollup = new Rollup([new Counter(1, 2, 3, 4, 500)], [new BoardChange("ann", 7, true, false, [new Score(2, 0, 500)])]);
        var cp = new RepBookGrainSnapshot
        {
            Sequence = 12,
            Reps = [[1], [2, 3]],
            Credits = new() { ["oppbook/3"] = 5 },
            Rollups = [new OutboxLane<Rollup>("east", 9, [(9, rollup)])],
            Customers = [("acme", new CustomerTouch("ann", "e1", 70, null))],
        };
        var serializer = StorageSerializer();
        var back = serializer.Deserialize<RepBookGrainSnapshot>(serializer.Serialize(cp))!;
        Assert.Equal(12, back.Sequence);
        Assert.Equal([[1], [2, 3]], back.Reps);
        Assert.Equal(5, back.Credits["oppbook/3"]);
        Assert.Equal(500, Assert.Single(back.Rollups).Pending[0].Message.Counters[0].Value);
        Assert.Equal(("acme", 70L), (back.Customers[0].Customer, back.Customers[0].Touch.Amount));
        Assert.True(back.HasPendingOutput);
    }
}
