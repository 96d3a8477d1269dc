using System.Collections.Concurrent;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Server.Screens;

/// <summary>
/// Reps' must-achieve targets for the boards screens show, read from their books and kept for
/// <see cref="Lifetime"/>: every screen of a server shares them, so a hundred screens of one office cost one read per
/// rep and half-minute, not a read per screen and board update. A target set meanwhile shows within that time.
/// </summary>
public sealed class RepTargets(GrainRefs grains)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, TargetRow[] Rows)> _byRep = new(StringComparer.Ordinal);

    /// <summary>The target metric a board's score is the actual of; null for boards whose score is not (attainment, forecast accuracy).</summary>
    public static TargetMetric? MetricOf(LeaderboardMetric board) => board switch
    {
        LeaderboardMetric.Bookings => TargetMetric.Bookings,
        LeaderboardMetric.Collections => TargetMetric.Collections,
        LeaderboardMetric.Activities => TargetMetric.Activities,
        _ => null,
    };

    /// <summary>The rep's must-achieve for the whole metric in the period; null when none is set.</summary>
    public async ValueTask<long?> MustAchieveAsync(string repId, Period period, TargetMetric metric)
    {
        var now = DateTimeOffset.UtcNow; // wall time: the cache's age, not the engine's clock
        if (!_byRep.TryGetValue(repId, out var cached) || now - cached.ReadAt > Lifetime)
        {
            var snapshot = await grains.RepBookOf(repId).GetSnapshotAsync(repId);
            cached = (now, snapshot.Targets);
            _byRep[repId] = cached;
        }

        foreach (var row in cached.Rows)
        {
            if (row.Period == period.Code && row.Metric == (byte)metric && row.DimensionKind == 0 && row.MustAchieve > 0)
            {
                return row.MustAchieve;
            }
        }

        return null;
    }
}
