using System.Collections.Concurrent;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Server.Push;

/// <summary>
/// Answers "is this region within that one" for alert filters, per host. A region's parent is fixed when it is
/// defined (regions cannot be redefined), so a parent once read is kept for good.
/// </summary>
public sealed class RegionTree(GrainRefs grains)
{
    /// <summary>Beyond this depth a parent chain is taken as corrupt rather than followed (a tree this deep is not a company).</summary>
    private const int MaxDepth = 64;

    private readonly ConcurrentDictionary<string, string> _parents = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="regionId"/> is <paramref name="scopeId"/> or one of its sub-regions.</summary>
    public async ValueTask<bool> IsWithinAsync(string regionId, string scopeId)
    {
        if (scopeId == RegionState.CompanyId)
        {
            return true;
        }

        var id = regionId;
        for (var depth = 0; depth < MaxDepth && id.Length > 0; depth++)
        {
            if (id == scopeId)
            {
                return true;
            }

            if (id == RegionState.CompanyId)
            {
                return false;
            }

            id = await ParentAsync(id);
        }

        return false;
    }

    private async ValueTask<string> ParentAsync(string regionId)
    {
        if (_parents.TryGetValue(regionId, out var parent))
        {
            return parent;
        }

        var s = await grains.Region(regionId).GetSnapshotAsync();
        if (!s.Defined)
        {
            // Not kept: the region may be defined later.
            return "";
        }

        parent = s.ParentId.Length == 0 ? RegionState.CompanyId : s.ParentId;
        _parents.TryAdd(regionId, parent);
        return parent;
    }
}
