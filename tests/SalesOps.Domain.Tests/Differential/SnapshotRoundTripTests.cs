using System.Diagnostics;
using System.Globalization;
using SalesOps.Domain.Tests.Differential;
using SalesOps.Reference;
using Xunit.Abstractions;

namespace SalesOps.Domain.Tests;

/// <summary>
/// Snapshots against the live aggregates over the differential test's random histories: an engine takes each
/// delivery; at random cut points every aggregate is snapshotted and restored into a second engine (later cuts restore
/// the restored engine again, and each original's snapshot must equal its copy's byte for byte); from the first cut on
/// both engines take every remaining delivery, re-sends and periodic pace checks, and must agree on every outcome,
/// every rep effect (region deltas, board updates with sequence numbers), every alert, and at each cut and at the end
/// on the whole state. Watches are not durable: at each cut both engines' watches start again (ADR 0036).
/// Reproduce one seed: <c>SALESOPS_SNAPSHOT_SEED=123 dotnet test tests/SalesOps.Domain.Tests --filter SnapshotRoundTripTests</c>;
/// run more: <c>SALESOPS_SNAPSHOT_COUNT=5000</c>.
/// </summary>
public sealed class SnapshotRoundTripTests
{
    private const int DefaultSequences = 150;
    private const int MaxResendRounds = 8;
    private const int PaceEvery = 7;

    private readonly ITestOutputHelper _output;

    public SnapshotRoundTripTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomHistoriesCutAnywhere_RestoredEngineMatchesOriginal()
    {
        var seeds = Seeds();
        var results = new (string? Failure, Dictionary<string, long> Stats)[seeds.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results[i] = Run(seeds[i]));
        clock.Stop();

        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (_, stats) in results)
        {
            foreach (var (k, v) in stats)
            {
                totals[k] = totals.GetValueOrDefault(k) + v;
            }
        }

        _output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{seeds.Count} sequences in {clock.Elapsed.TotalSeconds:F1} s; {string.Join(", ", totals.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))}"));

        var failures = results.Where(r => r.Failure is not null).Select(r => r.Failure!).ToList();
        Assert.True(failures.Count == 0, failures.Count == 0 ? "" : $"{failures.Count} of {seeds.Count} seeds disagree.\n{failures[0]}");

        if (seeds.Count >= 150)
        {
            // Agreement proves little unless the restored state is actually put to work.
            foreach (var path in new[]
            {
                "after cut Accepted", "after cut Duplicate", "after cut NotFound", "after cut FailedPrecondition", "after cut InvalidArgument",
                "after cut move accepted", "after cut board update", "after cut region delta", "after cut BehindPace", "after cut BigDealWon",
                "after cut Overtake", "chained restores", "at cut behind-pace entries", "at cut moved board rows", "at cut region boards",
                "at cut rep memberships > 1", "at cut rep scores", "at cut customer orders", "at cut won deals", "cut at start",
                "at cut forecast accuracy scores", "at cut forecast submissions",
            })
            {
                Assert.True(totals.GetValueOrDefault(path) > 0, $"the snapshot test never exercised '{path}'");
            }
        }
    }

    private static List<int> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_SNAPSHOT_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var only))
        {
            return [only];
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_SNAPSHOT_COUNT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : DefaultSequences;
        return Enumerable.Range(1, count).ToList();
    }

    private static (string? Failure, Dictionary<string, long> Stats) Run(int seed)
    {
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var failure = RunChecked(seed, stats);
            return (failure is null ? null : $"seed {seed} (reproduce with SALESOPS_SNAPSHOT_SEED={seed}): {failure}", stats);
        }
        catch (Exception ex)
        {
            return ($"seed {seed}: exception {ex}", stats);
        }
    }

    private static string? RunChecked(int seed, Dictionary<string, long> stats)
    {
        void Count(string key, long by = 1) => stats[key] = stats.GetValueOrDefault(key) + by;

        var sc = ScenarioGenerator.Create(seed);
        var rng = new Random(unchecked((seed * 7919) + 17));
        var settings = EngineObservation.Settings(sc);
        var watched = Watched(sc);
        var original = new InMemorySalesEngine(settings);
        InMemorySalesEngine? restored = null;
        RepEffects? effectsOriginal = null;
        RepEffects? effectsRestored = null;
        original.EffectsObserved = (_, fx) => effectsOriginal = fx;
        foreach (var (region, board) in watched)
        {
            original.Watch(region, board);
        }

        // Cut points over the first round of delivery, including before the first event (always for every 25th seed)
        // and after the last.
        var cuts = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(sc.Delivery.Count + 1)).ToHashSet();
        if (seed % 25 == 0)
        {
            cuts.Add(0);
        }
        var index = 0;
        var queue = sc.Delivery;
        for (var round = 0; round < MaxResendRounds && queue.Count > 0; round++)
        {
            var resend = new List<SalesEvent>();
            foreach (var e in queue)
            {
                if (cuts.Contains(index) && Cut(index) is { } cutProblem)
                {
                    return cutProblem;
                }

                effectsOriginal = effectsRestored = null;
                var alertsBefore = original.Alerts.Count;
                var regionBefore = e is RepMoved m0 && original.Reps.TryGetValue(m0.RepId, out var r0) ? r0.RegionId : null;
                var got = original.Apply(e);
                if (got.Code == OutcomeCode.NotFound)
                {
                    resend.Add(e);
                }

                if (restored is not null)
                {
                    var alertsBeforeRestored = restored.Alerts.Count;
                    var again = restored.Apply(e);
                    if (again != got)
                    {
                        return $"delivery #{index} {e}: original {got}, restored {again}";
                    }

                    if (!SameEffects(effectsOriginal, effectsRestored))
                    {
                        return $"delivery #{index} {e}: effects differ\noriginal: {Describe(effectsOriginal)}\nrestored: {Describe(effectsRestored)}";
                    }

                    if (NewAlerts(original, alertsBefore, restored, alertsBeforeRestored, Count) is { } alertProblem)
                    {
                        return $"delivery #{index} {e}: {alertProblem}";
                    }

                    Count($"after cut {got.Code}");
                    if (e is RepMoved moved && got.IsAccepted && regionBefore != original.Reps[moved.RepId].RegionId)
                    {
                        Count("after cut move accepted");
                    }

                    if (effectsOriginal is { } fx)
                    {
                        Count("after cut board update", fx.Boards.Count);
                        Count("after cut region delta", fx.RegionDeltas.Count);
                    }
                }

                if (index % PaceEvery == PaceEvery - 1 && e.OccurredAt != default)
                {
                    // The clock moves on for forecasts too: periods that ended by then are scored on the boards.
                    var before = original.Alerts.Count;
                    original.CheckPace(e.OccurredAt);
                    original.CloseForecastPeriods(e.OccurredAt);
                    if (restored is not null)
                    {
                        var beforeRestored = restored.Alerts.Count;
                        restored.CheckPace(e.OccurredAt);
                        restored.CloseForecastPeriods(e.OccurredAt);
                        if (NewAlerts(original, before, restored, beforeRestored, Count) is { } paceProblem)
                        {
                            return $"pace check after delivery #{index} at {e.OccurredAt:O}: {paceProblem}";
                        }
                    }
                }

                index++;
            }

            queue = resend;
        }

        if (cuts.Contains(index) && Cut(index) is { } lastCut)
        {
            return lastCut;
        }

        if (restored is null)
        {
            return "no cut was made";
        }

        return Compare(original, restored, "at the end") ?? SameSnapshots(Snapshot(original), Snapshot(restored), "at the end");

        string? Cut(int at)
        {
            Count("cuts");
            if (at == 0)
            {
                Count("cut at start");
            }

            CutStats(original, Count);
            var source = restored ?? original;
            if (restored is not null)
            {
                Count("chained restores");
            }

            var snapshots = Snapshot(source);
            if (restored is not null && SameSnapshots(Snapshot(original), snapshots, $"at cut {at}") is { } differs)
            {
                return differs;
            }

            var copy = Restore(settings, snapshots);
            foreach (var (region, board) in watched)
            {
                // A watch is not in a snapshot: the restored engine's starts again at the cut, its reps' best ranks
                // from the ranking there (ADR 0036), as a server's do after a restart. The original's watch starts again
                // there too, so that both remember the same bests and must raise the same overtakes.
                original.Unwatch(region, board);
                original.Watch(region, board);
                copy.Watch(region, board);
            }

            copy.EffectsObserved = (_, fx) => effectsRestored = fx;
            restored = copy;
            return SameSnapshots(snapshots, Snapshot(copy), $"re-snapshot of the copy restored at cut {at}")
                ?? Compare(original, copy, $"right after the cut at {at}");
        }
    }

    /// <summary>Every board of every region the scenario defines, in every period it reports on.</summary>
    private static List<(string Region, BoardKey Board)> Watched(Scenario sc) =>
        sc.Delivery.OfType<RegionDefined>().Select(r => r.RegionId).Append(RegionState.CompanyId).Distinct(StringComparer.Ordinal)
            .SelectMany(r => EngineObservation.Periods(sc).SelectMany(p => RepState.BoardMetrics.Select(m => (r, new BoardKey(p, m)))))
            .ToList();

    private static string? NewAlerts(InMemorySalesEngine a, int fromA, InMemorySalesEngine b, int fromB, Action<string, long> count)
    {
        var newA = a.Alerts.Skip(fromA).ToList();
        var newB = b.Alerts.Skip(fromB).ToList();
        if (!newA.SequenceEqual(newB))
        {
            return $"alerts differ\noriginal: {string.Join("\n  ", newA)}\nrestored: {string.Join("\n  ", newB)}";
        }

        foreach (var alert in newA)
        {
            count($"after cut {alert.Kind}", 1);
        }

        return null;
    }

    private static void CutStats(InMemorySalesEngine engine, Action<string, long> count)
    {
        count("at cut behind-pace entries", engine.Reps.Values.Sum(r => r.Pace.Behind.Count) + engine.Regions.Values.Sum(r => r.Pace.Behind.Count));
        count("at cut region boards", engine.Regions.Values.Sum(r => r.Boards.Count));
        count("at cut moved board rows", engine.Regions.Values.SelectMany(r => r.Boards.Values).Sum(b => b.Top(b.Count).Count(e => e.Movement != 0)));
        count("at cut rep memberships > 1", engine.Reps.Values.Count(r => r.Memberships.Count > 1));
        count("at cut rep scores", engine.Reps.Values.Sum(r => r.Scores.Count));
        count("at cut forecast accuracy scores", engine.Reps.Values.Sum(r => r.Scores.Keys.Count(k => k.Metric == LeaderboardMetric.ForecastAccuracy)));
        count("at cut forecast submissions", engine.Reps.Values.Sum(r => r.Forecasts.Periods.Sum(p => r.Forecasts.Of(p).Count))
            + engine.Regions.Values.Sum(r => r.Forecasts.Periods.Sum(p => r.Forecasts.Of(p).Count)));
        count("at cut customer orders", engine.Customers.Values.Sum(c => c.OrderCount));
        count("at cut customer activity entries", engine.Customers.Values.Sum(c => c.ActivityEntries));
        count("at cut deal activity entries", engine.DealActivities.Entries);
        count("at cut won deals", engine.Opportunities.Values.Count(o => o.IsOpened && o.Contribution(engine.Settings.Stages).Order is not null));
    }

    private sealed record EngineSnapshots(
        List<(string Id, byte[] Bytes)> Regions,
        List<(string Id, byte[] Bytes)> Reps,
        List<(string Id, byte[] Bytes)> Customers,
        List<(string Id, byte[] Bytes)> Opportunities,
        List<DealActivityEntry> Join);

    private static EngineSnapshots Snapshot(InMemorySalesEngine engine) => new(
        engine.Regions.Values.Select(r => (r.Id, r.ToSnapshot())).ToList(),
        engine.Reps.Values.Select(r => (r.Id, r.ToSnapshot())).ToList(),
        engine.Customers.Values.Select(c => (c.Id, c.ToSnapshot())).ToList(),
        engine.Opportunities.Values.Select(o => (o.Id, o.ToSnapshot())).ToList(),
        engine.DealActivities.ToMemento());

    private static InMemorySalesEngine Restore(EngineSettings settings, EngineSnapshots s) => new(
        settings,
        s.Regions.Select(r => RegionState.FromSnapshot(r.Bytes, settings.Dedup)),
        s.Reps.Select(r => RepState.FromSnapshot(r.Bytes, settings.Dedup)),
        s.Customers.Select(c => CustomerState.FromSnapshot(c.Bytes, settings.Dedup)),
        s.Opportunities.Select(o => OpportunityState.FromSnapshot(o.Bytes, settings.Dedup)),
        DealActivities.FromMemento(s.Join));

    private static string? SameSnapshots(EngineSnapshots a, EngineSnapshots b, string when)
    {
        if (!a.Join.SequenceEqual(b.Join))
        {
            return $"{when}: the deal activity joins differ: {a.Join.Count} vs {b.Join.Count} entries";
        }

        foreach (var (kind, x, y) in new[] { ("region", a.Regions, b.Regions), ("rep", a.Reps, b.Reps), ("customer", a.Customers, b.Customers), ("opportunity", a.Opportunities, b.Opportunities) })
        {
            if (!x.Select(i => i.Id).SequenceEqual(y.Select(i => i.Id)))
            {
                return $"{when}: {kind} ids differ: [{string.Join(", ", x.Select(i => i.Id))}] vs [{string.Join(", ", y.Select(i => i.Id))}]";
            }

            for (var i = 0; i < x.Count; i++)
            {
                if (!x[i].Bytes.AsSpan().SequenceEqual(y[i].Bytes))
                {
                    return $"{when}: snapshots of {kind} {x[i].Id} differ\n{System.Text.Encoding.UTF8.GetString(x[i].Bytes)}\n{System.Text.Encoding.UTF8.GetString(y[i].Bytes)}";
                }
            }
        }

        return null;
    }

    private static string? Compare(InMemorySalesEngine a, InMemorySalesEngine b, string when)
    {
        var x = Dump(a);
        var y = Dump(b);
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var l = i < x.Count ? x[i] : "(nothing)";
            var r = i < y.Count ? y[i] : "(nothing)";
            if (l != r)
            {
                return $"{when}: state differs at line {i}\noriginal: {l}\nrestored: {r}";
            }
        }

        return null;
    }

    /// <summary>Everything the aggregates answer through their public members, in their enumeration order.</summary>
    private static List<string> Dump(InMemorySalesEngine engine)
    {
        var lines = new List<string>();
        void Add(FormattableString line) => lines.Add(FormattableString.Invariant(line));
        static string Figures(FigureSet set) =>
            string.Join(" ", set.Values.Select(kv => FormattableString.Invariant($"{kv.Key.Figure}/{kv.Key.Period}/{kv.Key.A}/{kv.Key.B}={kv.Value}")));
        static string Targets(TargetBook book) =>
            string.Join(" ", book.All.Select(t => FormattableString.Invariant($"{t.Key}={t.Levels.MustAchieve}/{t.Levels.Stretch}")));
        static string Behind(PaceTracker pace) => string.Join(" ", pace.Behind.Select(b => FormattableString.Invariant($"{b}")));
        static string Window(EventIdWindow window) => FormattableString.Invariant(
            $"horizon={window.Horizon:O} {string.Join(" ", window.Export().Ids.Select(i => FormattableString.Invariant($"{i.Key}@{i.Value}")))}");

        foreach (var (id, r) in engine.Regions)
        {
            Add($"region {id}={r.Id} defined={r.IsDefined} by={r.DefineEventId} name={r.Name} parent={r.ParentId} boards={r.Boards.Count}");
            Add($"  seen targets {Window(r.SeenTargets)}");
            Add($"  figures {Figures(r.Figures)}");
            Add($"  targets {Targets(r.Targets)}");
            Add($"  behind {Behind(r.Pace)}");
            foreach (var (key, board) in r.Boards)
            {
                Add($"  board {key.Period} {key.Metric} v{board.Version} n{board.Count} same={ReferenceEquals(board, r.Board(key))}");
                foreach (var row in board.Top(board.Count))
                {
                    Add($"    #{row.Rank} {row.RepId} {row.Score:R} {row.Movement:+0;-0;0} rank={board.RankOf(row.RepId)} score={board.ScoreOf(row.RepId):R}");
                }
            }
        }

        foreach (var (id, r) in engine.Reps)
        {
            Add($"rep {id}={r.Id} joined={r.IsJoined} name={r.Name} {r.Role} {r.Style} region={r.RegionId} since={r.JoinedAt:O} maxCredited={r.MaxCreditedAt:O} seq={r.BoardSeq}");
            Add($"  memberships {string.Join(" ", r.Memberships.Select(m => FormattableString.Invariant($"{m.Stamp.At:O}/{m.Stamp.EventId}/{m.RegionId}")))}");
            Add($"  current {Figures(r.Current)}");
            Add($"  historical {Figures(r.Historical)}");
            Add($"  targets {Targets(r.Targets)}");
            Add($"  behind {Behind(r.Pace)}");
            Add($"  scores {string.Join(" ", r.Scores.Select(s => FormattableString.Invariant($"{s.Key.Period}/{s.Key.Metric}={s.Value:R}")))}");
            Add($"  seen {Window(r.Seen)}");
        }

        foreach (var (id, c) in engine.Customers)
        {
            Add($"customer {id}={c.Id} registered={c.IsRegistered} by={c.RegisterEventId} name={c.Name} at={c.RegisteredAt:O} orders={c.OrderCount} ltv={c.LifetimeValue} collections={c.Collections} contact={c.LastContact:O} last={c.LastOrder:O} key={c.KeyAccount} activities={c.ActivityEntries}");
            Add($"  orders {string.Join(" ", c.Orders.Select(o => FormattableString.Invariant($"{o.Key}={o.Value.Amount}@{o.Value.WonAt:O}")))}");
        }

        foreach (var (id, o) in engine.Opportunities)
        {
            Add($"opportunity {id}={o.Id} opened={o.IsOpened} by={o.OpenEventId} at={o.OpenedAt:O} customer={o.CustomerId} {o.ProductLine} {o.Channel} owner={o.OwnerRepId} amount={o.Amount} close={o.ExpectedClose:O} stage={o.StageIndex}@{o.StageAt:O} reached={o.ReachedLevel}");
            Add($"  seen {Window(o.Seen)}");
        }

        return lines;
    }

    /// <summary>Same deltas per region (keys and counters in order) and same board updates (sequence, scope, changes in order).</summary>
    private static bool SameEffects(RepEffects? a, RepEffects? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.RegionDeltas.Keys.SequenceEqual(b.RegionDeltas.Keys)
            && a.RegionDeltas.All(kv => kv.Value.Values.SequenceEqual(b.RegionDeltas[kv.Key].Values))
            && a.Boards.Count == b.Boards.Count
            && a.Boards.Zip(b.Boards).All(p =>
                p.First.RegionId == p.Second.RegionId
                && p.First.Update.RepId == p.Second.Update.RepId
                && p.First.Update.Seq == p.Second.Update.Seq
                && p.First.Update.InScope == p.Second.Update.InScope
                && p.First.Update.Full == p.Second.Update.Full
                && p.First.Update.Changes.SequenceEqual(p.Second.Update.Changes));
    }

    /// <summary>A rep's effects in full and in order: deltas per region, board updates with sequence numbers.</summary>
    private static string Describe(RepEffects? effects)
    {
        if (effects is null)
        {
            return "(none)";
        }

        var lines = new List<string>();
        foreach (var (region, delta) in effects.RegionDeltas)
        {
            lines.Add(FormattableString.Invariant(
                $"delta {region}: {string.Join(" ", delta.Values.Select(kv => FormattableString.Invariant($"{kv.Key.Figure}/{kv.Key.Period}/{kv.Key.A}/{kv.Key.B}={kv.Value}")))}"));
        }

        foreach (var (region, u) in effects.Boards)
        {
            lines.Add(FormattableString.Invariant(
                $"board {region}: {u.RepId} #{u.Seq} inScope={u.InScope} full={u.Full} {string.Join(" ", u.Changes.Select(c => FormattableString.Invariant($"{c.Board.Period}/{c.Board.Metric}={c.Score:R}")))}"));
        }

        return string.Join('\n', lines);
    }
}
