using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
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
        var cp = new OpportunityBookCheckpoint
        {
            Sequence = 9,
            Deals = [[1, 2, 3]],
            Credits = [new OutboxLane<RepCredits[]>("17", 4, [(3, [new RepCredits("ann", credits)]), (4, [new RepCredits("bob", credits), new RepCredits("ann", [])])])],
            Orders = [new OutboxLane<DealOrder>("c", 1, [(1, new DealOrder("o", null))])],
        };
        var serializer = StorageSerializer();
        var back = serializer.Deserialize<OpportunityBookCheckpoint>(serializer.Serialize(cp))!;
        Assert.Equal(9, back.Sequence);
        var lane = Assert.Single(back.Credits);
        Assert.Equal(("17", 4L), (lane.Destination, lane.LastSequence));
        Assert.Equal(["ann", "bob", "ann"], lane.Pending.SelectMany(p => p.Message).Select(c => c.RepId));
        Assert.Equal(400, lane.Pending[1].Message[0].Credits[0].Value);
    }
}
