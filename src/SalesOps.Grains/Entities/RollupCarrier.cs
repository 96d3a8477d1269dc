using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Carries the rep books' roll-ups to their regions, per silo (<see cref="BatchCarrier{TItem}"/>): what reaches it
/// while a region's call is in flight, from any rep book of the silo, goes in the next call
/// (<see cref="IRegionGrain.ApplyRollupsAsync"/>).
/// </summary>
public sealed class RollupCarrier(GrainRefs grains)
    : BatchCarrier<RollupItem>(
        async (region, items) =>
        {
            await grains.Region(region).ApplyRollupsAsync(items);
            return []; // a region over its bound refuses the whole call
        },
        region => $"region {region}"),
      ICarrier<Rollup>
{
    /// <summary>Queues a roll-up for the region; completes when the region has applied it, or fails with the call.</summary>
    public Task SendAsync(string destination, string sender, long firstSequence, long lastSequence, Rollup message) =>
        SendAsync(destination, new RollupItem(sender, lastSequence, message, firstSequence));

    /// <summary>This carrier, with each roll-up's acceptance stamp (<see cref="AcceptanceStamps"/>) taken from <paramref name="stampOf"/> by region.</summary>
    internal ICarrier<Rollup> Stamped(Func<string, long> stampOf) => new StampedCarrier(this, stampOf);

    private sealed class StampedCarrier(RollupCarrier carrier, Func<string, long> stampOf) : ICarrier<Rollup>
    {
        public Task SendAsync(string destination, string sender, long firstSequence, long lastSequence, Rollup message) =>
            carrier.SendAsync(destination, new RollupItem(sender, lastSequence, message, firstSequence) { AcceptedAt = stampOf(destination) });
    }
}
