using System.Collections.Concurrent;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Server.Push;

/// <summary>
/// Answers "is this region within that one" for alert filters, and a region's name for what people read, per host.
/// A region's parent and name are fixed when it is defined (regions cannot be redefined), so once read they are kept
/// for good.
/// </summary>
public sealed class RegionTree(GrainRefs grains)
{
    /// <summary>Beyond this depth a parent chain is taken as corrupt rather than followed (a tree this deep is not a company).</summary>
    private const int MaxDepth = 64;

    /// <summary>Beyond this many regions the cache is cleared rather than grown (far beyond any company's tree).</summary>
    private const int Limit = 100_000;

    private readonly ConcurrentDictionary<string, (string Parent, string Name)> _regions = new(StringComparer.Ordinal);

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

            id = (await ReadAsync(id)).Parent;
        }

        return false;
    }

    /// <summary>
    /// The smallest region whose subtree holds every one of <paramref name="regionIds"/> (the company when they share no
    /// other); the one region itself for a single one.
    /// </summary>
    public async ValueTask<string> CommonAncestorAsync(IReadOnlyCollection<string> regionIds)
    {
        var first = regionIds.First();
        var candidate = first;
        for (var depth = 0; depth < MaxDepth && candidate.Length > 0; depth++)
        {
            var holdsAll = true;
            foreach (var id in regionIds)
            {
                if (!await IsWithinAsync(id, candidate))
                {
                    holdsAll = false;
                    break;
                }
            }

            if (holdsAll)
            {
                return candidate;
            }

            candidate = candidate == RegionState.CompanyId ? "" : (await ReadAsync(candidate)).Parent;
        }

        return RegionState.CompanyId;
    }

    /// <summary>The region's name; the id itself for a region not (yet) defined, so a reader still sees something.</summary>
    public async ValueTask<string> NameAsync(string regionId)
    {
        if (regionId.Length == 0)
        {
            return "";
        }

        var name = (await ReadAsync(regionId)).Name;
        return name.Length > 0 ? name : regionId;
    }

    /// <summary>The names of the reps' regions, in order (empty for a rep with no region).</summary>
    public async ValueTask<string[]> NamesAsync(IReadOnlyList<SalesOps.Abstractions.RepProfile> profiles)
    {
        var names = new string[profiles.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = await NameAsync(profiles[i].RegionId);
        }

        return names;
    }

    private async ValueTask<(string Parent, string Name)> ReadAsync(string regionId)
    {
        if (_regions.TryGetValue(regionId, out var known))
        {
            return known;
        }

        var s = await grains.Region(regionId).GetSnapshotAsync();
        if (!s.Defined)
        {
            // Not kept: the region may be defined later.
            return ("", "");
        }

        known = (regionId == RegionState.CompanyId ? "" : s.ParentId.Length == 0 ? RegionState.CompanyId : s.ParentId, s.Name);
        if (_regions.Count > Limit)
        {
            _regions.Clear();
        }

        _regions.TryAdd(regionId, known);
        return known;
    }
}
