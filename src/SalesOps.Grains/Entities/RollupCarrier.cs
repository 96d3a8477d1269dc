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
        region => $"region {region}")
{
    /// <summary>This carrier, with each roll-up's acceptance stamp (<see cref="AcceptanceStamps"/>) taken from <paramref name="stampOf"/> by region.</summary>
    internal ICarrier<Rollup> Stamped(Func<string, long> stampOf) =>
        For<Rollup>((region, sender, first, last, rollup) => new RollupItem(sender, last, rollup, first) { AcceptedAt = stampOf(region) });
}
