using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// The open deals at risk at one instant (docs/semantics.md, "Deals that stall or slip"), put together when asked, like
/// <see cref="OrphanedDeals"/>: every deal book answers for the same "now", and each owner's current profile (name,
/// region) is read from its rep book. Nothing is kept in between, so the list is never stale and costs nothing at ingest.
/// </summary>
public sealed class AtRiskDeals(GrainRefs grains)
{
    /// <summary>The deals at risk at <paramref name="now"/> with their owners' profiles, ordered by deal id.</summary>
    public async Task<IReadOnlyList<(AtRiskDeal Deal, RepProfile Owner)>> ListAsync(DateTimeOffset now)
    {
        var books = await Task.WhenAll(Enumerable.Range(0, OpportunityBooks.Count).Select(b =>
            RejectedCalls.CallAsync((grains, b, now), static s => s.grains.Book(s.b).GetAtRiskDealsAsync(s.now))));
        var deals = books.SelectMany(d => d).OrderBy(d => d.OpportunityId, StringComparer.Ordinal).ToList();
        if (deals.Count == 0)
        {
            return [];
        }

        var owners = deals.Select(d => d.OwnerRepId).Distinct(StringComparer.Ordinal).GroupBy(RepBooks.Of).ToList();
        var profiles = await Task.WhenAll(owners.Select(g =>
            RejectedCalls.CallAsync((grains, g.Key, ids: g.ToArray()), static s => s.grains.RepBook(s.Key).GetProfilesAsync(s.ids))));
        var byId = profiles.SelectMany(p => p).ToDictionary(p => p.RepId, StringComparer.Ordinal);
        return deals.Select(d => (d, byId[d.OwnerRepId])).ToList();
    }
}
