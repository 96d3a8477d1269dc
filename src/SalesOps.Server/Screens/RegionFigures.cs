using System.Collections.Concurrent;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Screens;

/// <summary>A target-progress or team slide as a screen watches it: its index, its regions (one for target progress) and period.</summary>
/// <param name="Metrics">Target progress: the metrics named (empty: every one the region has a target for); a team slide: its one metric.</param>
public sealed record FigureSlide(int Index, V1.Slide.KindOneofCase Kind, string[] Regions, Period Period, TargetMetric[] Metrics, bool ByAttainment);

/// <summary>
/// Regions' figures for the target-progress and team slides of screens, read from the region grains and shared by
/// every screen of a server: a period's counters are kept for <see cref="CountersLifetime"/>, a region's name and
/// targets for <see cref="ProfileLifetime"/>. A hundred screens of one office cost a read per region and second, not a
/// read per screen; a target set meanwhile shows within ten seconds.
/// </summary>
public sealed class RegionFigures(GrainRefs grains, EngineSettings settings)
{
    public static readonly TimeSpan CountersLifetime = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ProfileLifetime = TimeSpan.FromSeconds(10);

    /// <summary>Beyond this many entries a cache is cleared rather than grown.</summary>
    private const int Limit = 10_000;

    private readonly ConcurrentDictionary<(string Region, int Period), Cached<FigureSet?>> _counters = new();
    private readonly ConcurrentDictionary<string, Cached<Profile?>> _profiles = new(StringComparer.Ordinal);

    private sealed record Profile(string Name, TargetBook Targets);

    private sealed record Cached<T>(DateTimeOffset ReadAt, Task<T> Value);

    /// <summary>A slide's figures now: target progress of its region, or its teams best first.</summary>
    public async Task<V1.ScreenFiguresUpdate> UpdateAsync(FigureSlide slide, DateTimeOffset now)
    {
        var elapsed = settings.Calendar.ElapsedShare(slide.Period, now);
        var update = new V1.ScreenFiguresUpdate { Slide = slide.Index, ElapsedShare = elapsed };
        if (slide.Kind == V1.Slide.KindOneofCase.TargetProgress)
        {
            if (await ReadAsync(slide.Regions[0], slide.Period) is not { } region)
            {
                return update;
            }

            var metrics = slide.Metrics.Length > 0
                ? slide.Metrics
                : region.Profile.Targets.All
                    .Where(t => t.Key.Period == slide.Period && t.Key.Dimension.IsNone && t.Levels.MustAchieve > 0)
                    .Select(t => t.Key.Metric).Distinct().Order().ToArray();
            foreach (var metric in metrics)
            {
                update.Rows.Add(Row(slide.Regions[0], region.Profile.Name, FigureReport.Progress(region.Counters, region.Profile.Targets, slide.Period, metric, elapsed), 0));
            }

            return update;
        }

        var teams = new List<TeamStanding>(slide.Regions.Length);
        foreach (var id in slide.Regions)
        {
            if (await ReadAsync(id, slide.Period) is { } region)
            {
                teams.Add(new TeamStanding(id, region.Profile.Name, FigureReport.Progress(region.Counters, region.Profile.Targets, slide.Period, slide.Metrics[0], elapsed)));
            }
        }

        foreach (var team in TeamContest.Rank(teams, slide.ByAttainment))
        {
            update.Rows.Add(Row(team.RegionId, team.Name, team.Figure, team.Rank));
        }

        return update;
    }

    /// <summary>True when two updates of a slide show the same figures (pace and the elapsed share aside, which move with time alone).</summary>
    public static bool SameFigures(V1.ScreenFiguresUpdate a, V1.ScreenFiguresUpdate b) =>
        a.Rows.Count == b.Rows.Count && a.Rows.Zip(b.Rows).All(p =>
            p.First.RegionId == p.Second.RegionId && p.First.RegionName == p.Second.RegionName && p.First.Metric == p.Second.Metric
            && p.First.Actual == p.Second.Actual && p.First.MustAchieve == p.Second.MustAchieve && p.First.Stretch == p.Second.Stretch
            && p.First.Rank == p.Second.Rank && p.First.BehindPace == p.Second.BehindPace);

    private static V1.ScreenFigureRow Row(string regionId, string name, TargetFigure figure, int rank) => new()
    {
        RegionId = regionId,
        RegionName = name.Length > 0 ? name : regionId,
        Metric = Api.ProtoMapper.ToWire(figure.Metric),
        Actual = figure.Actual,
        MustAchieve = figure.MustAchieve,
        Stretch = figure.Stretch,
        MustAttainment = figure.MustAttainment,
        Pace = figure.Pace,
        Rank = rank,
        BehindPace = figure.MustAchieve > 0 && figure.BehindPace,
    };

    /// <summary>The region's name, targets and counters of the period; null for a region not defined.</summary>
    private async Task<(Profile Profile, FigureSet Counters)?> ReadAsync(string regionId, Period period)
    {
        var profile = await CachedAsync(_profiles, regionId, ProfileLifetime, async () =>
        {
            var s = await grains.Region(regionId).GetSnapshotAsync();
            return s.Defined ? new Profile(s.Name, TargetRow.ToBook(s.Targets)) : null;
        });
        if (profile is null)
        {
            return null;
        }

        var counters = await CachedAsync(_counters, (regionId, period.Code), CountersLifetime, async () =>
            await grains.Region(regionId).GetCountersAsync(period.Code) is { } c ? Counter.ToSet(c) : null);
        return counters is null ? null : (profile, counters);
    }

    /// <summary>A cached read, shared by the readers that ask while it runs; a failed read is forgotten at once.</summary>
    private static async Task<T> CachedAsync<TKey, T>(ConcurrentDictionary<TKey, Cached<T>> cache, TKey key, TimeSpan lifetime, Func<Task<T>> read)
        where TKey : notnull
    {
        var now = DateTimeOffset.UtcNow; // wall time: the cache's age, not the engine's clock
        if (!cache.TryGetValue(key, out var cached) || now - cached.ReadAt > lifetime)
        {
            if (cache.Count > Limit)
            {
                cache.Clear();
            }

            cached = new Cached<T>(now, read());
            cache[key] = cached;
        }

        try
        {
            return await cached.Value;
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<TKey, Cached<T>>(key, cached));
            throw;
        }
    }
}
