using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Carries the rep books' roll-ups to their regions, per silo (<see cref="BatchCarrier{TItem}"/>): what reaches it
/// while a region's call is in flight, from any rep book of the silo, goes in the next call
/// (<see cref="IRegionGrain.ApplyRollupsAsync"/>).
/// </summary>
public sealed class RollupCarrier(GrainRefs grains)
    : BatchCarrier<RollupItem>((region, items) => grains.Region(region).ApplyRollupsAsync(items))
{
    /// <summary>Queues a roll-up for the region; completes when the region has applied it, or fails with the call.</summary>
    public Task SendAsync(string region, string sender, long firstSequence, long sequence, Rollup rollup) =>
        SendAsync(region, new RollupItem(sender, sequence, rollup, firstSequence));
}
