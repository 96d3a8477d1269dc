using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// Whether a region, rep or customer exists, for ingest's reference checks and the API's scope checks. Existence
/// never ends (no event removes a region, rep or customer), so a yes is remembered and the grain is not asked again;
/// a no is always asked again.
/// </summary>
/// <remarks>
/// A grain answers only from a usable journal: an activation whose journal write failed (its state may hold an input
/// that was never committed) answers nothing until it is rebuilt, so a remembered yes was committed.
/// </remarks>
public sealed class KnownEntities(GrainRefs grains)
{
    /// <summary>Entities known to exist; bounded (about 100 MB at the limit), beyond which the grains are asked.</summary>
    private const int Limit = 1_000_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(EntityKind, string), byte> _known = new();

    /// <summary>True when every reference is already known to exist; answered without asking any grain.</summary>
    public bool AllKnown(IReadOnlyList<EntityRef> refs)
    {
        foreach (var r in refs)
        {
            if (!_known.ContainsKey((r.Kind, r.Id)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the entity exists: remembered, or asked of its grain (again, if Orleans rejects the call).</summary>
    public async Task<bool> ExistsAsync(EntityRef r)
    {
        var key = (r.Kind, r.Id);
        if (_known.ContainsKey(key))
        {
            return true;
        }

        var exists = await RejectedCalls.CallAsync((grains, r), static s => s.r.Kind switch
        {
            EntityKind.Region => s.grains.Region(s.r.Id).IsDefinedAsync(),
            EntityKind.Rep => s.grains.RepBookOf(s.r.Id).IsJoinedAsync(s.r.Id),
            EntityKind.Customer => s.grains.Customer(s.r.Id).IsRegisteredAsync(),
            _ => Task.FromResult(false),
        });
        if (exists && _known.Count < Limit)
        {
            _known.TryAdd(key, 0);
        }

        return exists;
    }
}
