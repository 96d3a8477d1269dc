namespace SalesOps.Domain;

/// <summary>
/// Order-preserving integer keys for rep ids: for any two ids, their keys compare as the ids do (ordinal), so a
/// leaderboard breaks ties between equal scores with one integer comparison instead of a string comparison
/// (ADR 0034). A region's boards share one order. Keys are spaced 2³² apart; an id sorting between two others takes
/// the midpoint of their keys, and when no integer is left between them every key is renumbered, which
/// <see cref="Epoch"/> tells the boards (they refresh their copies before ranking again).
/// </summary>
public sealed class RepOrder
{
    private const long Gap = 1L << 32;

    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);
    private readonly List<string> _ids = new();   // ordinal order
    private readonly List<long> _sortedKeys = new(); // the key of each id in _ids

    public RepOrder()
    {
    }

    /// <summary>An order holding <paramref name="repIds"/> at once (one sort instead of an insertion each).</summary>
    public RepOrder(IEnumerable<string> repIds)
    {
        var ids = repIds.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(ids, StringComparer.Ordinal);
        _ids.AddRange(ids);
        _keys.EnsureCapacity(ids.Length);
        _sortedKeys.Capacity = ids.Length;
        for (var i = 0; i < ids.Length; i++)
        {
            _keys.Add(ids[i], (i + 1) * Gap);
            _sortedKeys.Add((i + 1) * Gap);
        }
    }

    /// <summary>Changes whenever existing keys are renumbered; a key once read stays valid until then.</summary>
    public long Epoch { get; private set; }

    public int Count => _ids.Count;

    /// <summary>The rep's key, assigned on first sight (which may renumber the others: see <see cref="Epoch"/>).</summary>
    public long KeyOf(string repId)
    {
        if (_keys.TryGetValue(repId, out var key))
        {
            return key;
        }

        var at = ~_ids.BinarySearch(repId, StringComparer.Ordinal);
        var below = at > 0 ? _sortedKeys[at - 1] : 0;
        var above = at < _ids.Count ? _sortedKeys[at] : (below <= long.MaxValue - (2 * Gap) ? below + (2 * Gap) : long.MaxValue);
        _ids.Insert(at, repId);
        if (above - below >= 2)
        {
            key = below + ((above - below) / 2);
            _sortedKeys.Insert(at, key);
            _keys.Add(repId, key);
            return key;
        }

        // No integer left between the neighbours: space every key evenly again.
        _sortedKeys.Insert(at, 0);
        for (var i = 0; i < _ids.Count; i++)
        {
            _sortedKeys[i] = (i + 1) * Gap;
            _keys[_ids[i]] = (i + 1) * Gap;
        }

        Epoch++;
        return _keys[repId];
    }
}
