using System.Collections.Concurrent;
using SalesOps.Abstractions;
using SalesOps.Grains;

namespace SalesOps.Server.Api;

/// <summary>
/// Display names and regions of reps for leaderboard rows, kept per host. A rep's name never changes and a move is
/// rare, so a profile older than <see cref="MaxAge"/> is still shown while it is read again in the background: the
/// push path waits on a rep book only for a rep it has never shown (a row may show the region a rep left a few
/// seconds ago). Unknown reps are asked in one call per rep book.
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
        List<string>? stale = null;
        for (var i = 0; i < repIds.Count; i++)
        {
            if (_profiles.TryGetValue(repIds[i], out var cached))
            {
                result[i] = cached.Profile;
                if (now - cached.ReadAt >= (long)MaxAge.TotalMilliseconds)
                {
                    // Marked as read now, so one refresh is under way per rep at a time.
                    _profiles[repIds[i]] = (cached.Profile, now);
                    (stale ??= new List<string>()).Add(repIds[i]);
                }

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

        if (stale is not null)
        {
            _ = RefreshAsync(stale);
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

    /// <summary>
    /// The rep's profile no older than <see cref="MaxAge"/>, waiting for a read when the cached one is older: what
    /// access checks use, where a region a rep left must not be trusted beyond that.
    /// </summary>
    public async ValueTask<RepProfile> CurrentAsync(string repId)
    {
        if (_profiles.TryGetValue(repId, out var cached) && Environment.TickCount64 - cached.ReadAt < (long)MaxAge.TotalMilliseconds)
        {
            return cached.Profile;
        }

        var now = Environment.TickCount64;
        var profile = (await grains.RepBook(RepBooks.Of(repId)).GetProfilesAsync([repId]))[0];
        _profiles[repId] = (profile, now);
        return profile;
    }

    /// <summary>Reads profiles again; a failure keeps the old ones (they are read again after <see cref="MaxAge"/>).</summary>
    private async Task RefreshAsync(List<string> repIds)
    {
        try
        {
            foreach (var book in repIds.GroupBy(RepBooks.Of))
            {
                var now = Environment.TickCount64;
                foreach (var p in await grains.RepBook(book.Key).GetProfilesAsync(book.ToArray()))
                {
                    _profiles[p.RepId] = (p, now);
                }
            }
        }
        catch (Exception ex) when (EventIngestor.IsTransient(ex))
        {
        }
    }
}
