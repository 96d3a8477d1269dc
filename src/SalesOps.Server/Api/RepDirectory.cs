using System.Collections.Concurrent;
using SalesOps.Abstractions;
using SalesOps.Grains;

namespace SalesOps.Server.Api;

/// <summary>
/// Display names and regions of reps for leaderboard rows, kept per host. A rep's name never changes and a move is
/// rare, so a profile is reused for <see cref="MaxAge"/> before it is asked again: a row may show the region a rep
/// left up to that long ago. Unknown reps are asked in one call per rep book.
/// </summary>
public sealed class RepDirectory(GrainRefs grains)
{
    /// <summary>How long a profile is shown before it is read again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many cached profiles the cache is cleared rather than grown (a million reps is far beyond a company).</summary>
    private const int Limit = 1_000_000;

    private readonly ConcurrentDictionary<string, (RepProfile Profile, long ReadAt)> _profiles = new(StringComparer.Ordinal);

    /// <summary>The profile of each rep id, in order.</summary>
    public async ValueTask<RepProfile[]> ProfilesAsync(IReadOnlyList<string> repIds)
    {
        var result = new RepProfile[repIds.Count];
        var now = Environment.TickCount64;
        Dictionary<long, List<int>>? missing = null;
        for (var i = 0; i < repIds.Count; i++)
        {
            if (_profiles.TryGetValue(repIds[i], out var cached) && now - cached.ReadAt < (long)MaxAge.TotalMilliseconds)
            {
                result[i] = cached.Profile;
                continue;
            }

            missing ??= new Dictionary<long, List<int>>();
            var book = RepBooks.Of(repIds[i]);
            if (!missing.TryGetValue(book, out var positions))
            {
                missing[book] = positions = new List<int>();
            }

            positions.Add(i);
        }

        if (missing is null)
        {
            return result;
        }

        if (_profiles.Count > Limit)
        {
            _profiles.Clear();
        }

        await Task.WhenAll(missing.Select(async m =>
        {
            var profiles = await grains.RepBook(m.Key).GetProfilesAsync(m.Value.Select(i => repIds[i]).ToArray());
            for (var k = 0; k < profiles.Length; k++)
            {
                result[m.Value[k]] = profiles[k];
                _profiles[profiles[k].RepId] = (profiles[k], now);
            }
        }));
        return result;
    }
}
