using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// The open deals of reps who left the company (ADR 0014), put together when asked: the rep books know who left,
/// the opportunity books which open deals each rep owns. Nothing is kept in between, so the list is never stale
/// and costs nothing at ingest; the opportunity books are asked only when some rep in scope has left.
/// </summary>
public sealed class OrphanedDeals(GrainRefs grains)
{
    /// <summary>Open deals owned by a departed rep for whom <paramref name="inScope"/> holds, ordered by deal id.</summary>
    public async Task<IReadOnlyList<(OpenDeal Deal, RepDeparture Owner)>> ListAsync(Func<RepDeparture, ValueTask<bool>> inScope)
    {
        var books = await Task.WhenAll(Enumerable.Range(0, RepBooks.Count).Select(b =>
            RejectedCalls.CallAsync((grains, b), static s => s.grains.RepBook(s.b).GetDeparturesAsync())));
        var owners = new Dictionary<string, RepDeparture>(StringComparer.Ordinal);
        foreach (var departure in books.SelectMany(d => d))
        {
            if (await inScope(departure))
            {
                owners[departure.RepId] = departure;
            }
        }

        if (owners.Count == 0)
        {
            return [];
        }

        var ids = owners.Keys.ToArray();
        var deals = await Task.WhenAll(Enumerable.Range(0, OpportunityBooks.Count).Select(b =>
            RejectedCalls.CallAsync((grains, b, ids), static s => s.grains.Book(s.b).GetOpenDealsOfAsync(s.ids))));
        return deals.SelectMany(d => d)
            .OrderBy(d => d.OpportunityId, StringComparer.Ordinal)
            .Select(d => (d, owners[d.OwnerRepId]))
            .ToList();
    }
}
