using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Domain.Tests.Differential;
using SalesOps.Reference;
using Xunit.Abstractions;
using History = SalesOps.Reference.Scenario;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// Drives the real engine — grains on an in-process cluster, through <see cref="Grains.EventIngestor.IngestBatchAsync"/> as
/// the gRPC service does — with the differential test's random histories (out of order, duplicates, re-sends, invalid
/// events), in random batches, with faults injected, and compares every outcome and, once the engine is quiet, every
/// deal, rep, region, customer, leaderboard and report with the from-scratch <see cref="ReferenceModel"/>.
/// </summary>
/// <remarks>
/// <para>
/// Sequences share the cluster, so each one's entity ids get a prefix of their own and its "company" is a region of its
/// own under the real company (event ids are kept: de-duplication is per entity). Prefixing keeps the ordinal order of
/// ids, so ties rank as in the reference.
/// </para>
/// <para>
/// An ingest call made to fail before it applies (or rejected too often) answers UNAVAILABLE and changed nothing: the
/// CRM re-sends the event after the batch, and the reference sees it there. One made to fail after it applied answers
/// UNAVAILABLE too, but the engine has it in place: the reference takes it in place, and takes the re-send as one more
/// delivery (a DUPLICATE if it was accepted).
/// </para>
/// <para>
/// Quiet means: every rep book and region flushed, state equal to the reference, then every fault injected until that
/// moment retried successfully by its sender, and the state still equal. Bounded by <see cref="SettleTimeout"/>.
/// </para>
/// </remarks>
public sealed class GrainDifferential(DifferentialCluster cluster, ITestOutputHelper output)
{
    private const int MaxResendRounds = 8;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Before any history the generator makes.</summary>
    private static readonly DateTimeOffset RootDefinedAt = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private IGrainFactory Grains => cluster.Cluster.Client;

    public async Task RunAsync(string testFilter)
    {
        var seeds = Seeds();
        var parallel = int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_GRAIN_DIFF_PARALLEL"), CultureInfo.InvariantCulture, out var p) ? p : 16;
        var results = new ConcurrentBag<(int Seed, string? Failure, Dictionary<string, long> Stats)>();
        var clock = Stopwatch.StartNew();
        var siloKills = Task.CompletedTask;
        if (cluster.SiloKills is { } kills)
        {
            kills.Starting(seeds.Count, seeds.Sum(s => (long)ScenarioGenerator.Create(s, cluster.TimeZone, cluster.Stages).HistoryCount));
            siloKills = kills.RunAsync(cluster.Cluster, output.WriteLine);
        }

        await Parallel.ForEachAsync(seeds, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (seed, _) =>
        {
            var stats = new Dictionary<string, long>(StringComparer.Ordinal);
            string? failure;
            try
            {
                failure = await RunSeedAsync(seed, stats);
            }
            catch (Exception ex)
            {
                failure = $"exception {ex}";
            }
            finally
            {
                cluster.SiloKills?.Done(seed);
            }

            results.Add((seed, failure is null ? null : $"{cluster.Mode} seed {seed}: {failure}", stats));
        });
        await siloKills.WaitAsync(TimeSpan.FromMinutes(3));
        clock.Stop();

        var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var faults = cluster.Faults.Counts.Concat(cluster.SiloKills?.Counts ?? new Dictionary<string, long>());
        foreach (var (k, v) in results.SelectMany(r => r.Stats).Concat(faults.Select(kv => KeyValuePair.Create("fault: " + kv.Key, kv.Value))))
        {
            totals[k] = totals.GetValueOrDefault(k) + v;
        }

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{cluster.Mode}: {seeds.Count} sequences in {clock.Elapsed.TotalSeconds:F1} s ({parallel} at a time); {string.Join(", ", totals.Select(t => $"{t.Key}={t.Value}"))}"));
        output.WriteLine($"Reproduce one seed: SALESOPS_GRAIN_DIFF_SEED=<seed> dotnet test tests/SalesOps.Engine.Tests --filter \"FullyQualifiedName~{testFilter}\"");

        var failures = results.Where(r => r.Failure is not null).OrderBy(r => r.Seed).ToList();
        Assert.True(
            failures.Count == 0,
            failures.Count == 0 ? "" : $"{failures.Count} of {seeds.Count} {cluster.Mode} sequences disagree (seeds {string.Join(", ", failures.Take(20).Select(f => f.Seed))}; "
                + $"reproduce one with SALESOPS_GRAIN_DIFF_SEED={failures[0].Seed}).\n{failures[0].Failure}");

        if (cluster.SiloKills is { } killed)
        {
            // The run proves nothing about silo kills unless they happened while events were going in.
            Assert.True(
                totals.GetValueOrDefault("fault: silos killed mid-ingest") == killed.Planned,
                $"{totals.GetValueOrDefault("fault: silos killed mid-ingest")} of {killed.Planned} silo kills happened mid-ingest");
        }

        if (seeds.Count >= 50 && cluster.CallFaults.MessageRate > 0)
        {
            // Agreement proves little unless the run met the situations it is about.
            foreach (var path in new[]
            {
                "Accepted", "Duplicate", "InvalidArgument", "NotFound", "FailedPrecondition", "resent", "move accepted",
                "unavailable, not applied", "unavailable, applied",
                "fault: fail before", "fault: fail after", "fault: reject", "fault: duplicate", "fault: delay",
                "fault: fail before CreditAsync", "fault: fail after ApplyRollupAsync", "fault: duplicate SetOrderAsync",
                "beyond de-dup window", "duplicate after ids were forgotten", "forecast accuracy on a board",
                "at risk: stalled", "at risk: overdue", "at risk: slipping",
            }.Concat(cluster.Kills is null ? [] : ActivationKills.Required.Select(k => "fault: " + k)))
            {
                Assert.True(totals.GetValueOrDefault(path) > 0, $"the {cluster.Mode} run never produced '{path}'");
            }
        }
    }

    private List<int> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_GRAIN_DIFF_SEED"), CultureInfo.InvariantCulture, out var only))
        {
            return [only];
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("SALESOPS_GRAIN_DIFF_COUNT"), CultureInfo.InvariantCulture, out var n) ? n : cluster.DefaultSequences;
        return Enumerable.Range(cluster.FirstSeed, count).ToList();
    }

    private async Task<string?> RunSeedAsync(int seed, Dictionary<string, long> stats)
    {
        var sc = ScenarioGenerator.Create(
            seed, cluster.TimeZone, cluster.Stages, cluster.Dedup, cluster.Risk, forecastCutoffDays: cluster.Settings.ForecastCutoffDays, planMinHistory: cluster.Settings.Planning.MinHistory);
        var keys = new Keys($"d{seed}-");
        // The engine refuses events dated after its clock (the machine's here) plus the configured skew.
        var reference = new ReferenceModel(
            sc.Stages, sc.Calendar, sc.Dedup, DateTimeOffset.UtcNow + cluster.Settings.MaxFutureSkew, cluster.Settings.ForecastCutoffDays, cluster.Settings.Planning.MinHistory);
        var rng = new Random(seed * 7919);
        var log = new List<string>();
        // Events whose fate the engine cannot tell: left UNAVAILABLE where the window took them, then refused on re-send
        // as beyond the de-dup window (the batch's newer events of the entity moved it): applied by the first send, or
        // not at all.
        var uncertain = new List<(int Position, SalesEvent Event)>();
        var sequence = keys.Prefix;
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        stats["sequences"] = 1;
        stats["events"] = sc.HistoryCount;

        var root = await AnsweredAsync(new RegionDefined(sequence + "root", RootDefinedAt, keys.Root, "Root", ""));
        if (root.Code is not (OutcomeCode.Accepted or OutcomeCode.Duplicate))
        {
            return $"the sequence's root region was not defined: {root}";
        }

        string? Check(SalesEvent e, Outcome got, List<SalesEvent> resend, string how, DateTime sentAt)
        {
            // A move is checked against the history credited to the rep so far; a credit whose delivery failed is
            // credited when its retry arrives (docs/semantics.md, rule 4). So when the engine accepted a move the
            // reference refuses as back-dated, and the fault layer shows a credit to the rep's book was late while the
            // move was applied, the reference takes the move as the engine did — only if what refuses it is a deal's
            // credit (activities and payments are the rep's own events, never late). Otherwise it is a difference.
            if (e is RepMoved move && got.Code == OutcomeCode.Accepted && reference.RefusedOnlyForDealCredits(move)
                && (cluster.Faults.Lagged("CreditAsync", Grains.GetGrain<IRepBookGrain>(RepBooks.Of(keys.Key(move.RepId))).GetGrainId().ToString(), sentAt)
                    || cluster.SiloKills?.Overlaps(sentAt, DateTime.UtcNow) == true))
            {
                reference.AcceptAnyway(e);
                log.Add($"#{log.Count} {Comparison.Describe(e)} -> engine {got.Code} | reference Accepted as the engine did: a credit to the rep was late{how}");
                Count("move accepted before a late credit");
                return null;
            }

            Count(got.Code.ToString());
            var dedup = reference.DedupView(e);
            dedup.CountInto(stats);
            if (Comparison.Outcome(sc, e, reference.Decide(e), dedup, got.Code.ToString(), got.Field, got.Message, log, how) is { } failure)
            {
                return failure;
            }

            if (got.Code == OutcomeCode.NotFound)
            {
                resend.Add(e);
            }

            if (e is RepMoved && got.Code == OutcomeCode.Accepted)
            {
                Count("move accepted");
            }

            return null;
        }

        var queue = sc.Delivery;
        for (var round = 0; round < MaxResendRounds && queue.Count > 0; round++)
        {
            var resend = new List<SalesEvent>();
            for (var start = 0; start < queue.Count;)
            {
                var size = rng.Next(4) == 0 ? 1 : rng.Next(2, 41);
                var batch = queue.Skip(start).Take(size).ToList();
                start += batch.Count;
                if (round > 0)
                {
                    stats["resent"] = stats.GetValueOrDefault("resent") + batch.Count;
                }

                var mode = rng.Next(10) switch
                {
                    < 6 => IngestFaultMode.RejectOnly,
                    < 8 => IngestFaultMode.FailBefore,
                    _ => IngestFaultMode.FailAfter,
                };
                var faultsBefore = cluster.Faults.IngestFaults(sequence);
                var sentAt = DateTime.UtcNow;
                cluster.SiloKills?.Sent(batch.Count);
                var outcomes = await cluster.Faults.IngestAsync(sequence, mode, () => cluster.Ingestor.IngestBatchAsync(batch.Select(keys.Rekey).ToList()).WaitAsync(CallTimeout));
                var injected = cluster.Faults.IngestFaults(sequence) > faultsBefore;
                var unanswered = new List<SalesEvent>();
                var probed = cluster.SiloKills?.Overlaps(sentAt, DateTime.UtcNow) == true ? await ProbeAsync(batch, outcomes, keys) : null;

                // An UNAVAILABLE that may or may not have been applied: the engine tells which by answering DUPLICATE to
                // a later copy of it in the batch, or else to its re-send, where the reference, without it, would not
                // (only the first re-send of copies that all failed tells: UnavailableFate). Then the reference takes it
                // in place; otherwise after the batch.
                void Settle(int i, string why)
                {
                    var (fate, source) = UnavailableFate.Judge(batch, outcomes, probed!, i, reference.Peek(batch[i]).Code);
                    switch (fate)
                    {
                        case Fate.Unknown:
                            uncertain.Add((reference.Accepted.Count, batch[i]));
                            log.Add($"#{log.Count} {Comparison.Describe(batch[i])} -> engine UNAVAILABLE ({why}; {source}: beyond the de-dup window, applied or not, the figures tell)");
                            Count($"unavailable {why}, fate unknown");
                            break;
                        case Fate.Applied:
                            var (code, field) = reference.Decide(batch[i]);
                            log.Add($"#{log.Count} {Comparison.Describe(batch[i])} -> engine UNAVAILABLE ({why}; {source}: applied) | reference {code} {field}");
                            Count($"unavailable {why}, applied");
                            break;
                        case Fate.ToldByEarlierCopy:
                            log.Add($"#{log.Count} {Comparison.Describe(batch[i])} -> engine UNAVAILABLE ({why}; {source}: settled with it)");
                            Count($"unavailable {why}, settled with an earlier copy");
                            break;
                        default:
                            log.Add($"#{log.Count} {Comparison.Describe(batch[i])} -> engine UNAVAILABLE ({why}; {source}: not applied)");
                            Count($"unavailable {why}, not applied");
                            break;
                    }
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    if (outcomes[i].Code != OutcomeCode.Unavailable)
                    {
                        if (Check(batch[i], outcomes[i], resend, "", sentAt) is { } failure)
                        {
                            return failure;
                        }

                        continue;
                    }

                    if (probed?[i] is not null)
                    {
                        Settle(i, "after a silo kill");
                        continue;
                    }

                    if (!injected)
                    {
                        return $"UNAVAILABLE with no fault injected in its batch: {outcomes[i].Message}\nevent: {batch[i]}";
                    }

                    if (!cluster.Faults.Explains(sequence, keys.Rekey(batch[i])))
                    {
                        // Not the injected fault (which hit another call of the batch): only a call of this batch that
                        // timed out or was cancelled beside it may answer so (applied or not); anything else, such as
                        // back-pressure, is a failure. Re-sent at once, as after a silo kill; checked after the batch.
                        string[] causes = [nameof(TimeoutException), nameof(OperationCanceledException), nameof(TaskCanceledException), nameof(OrleansMessageRejectionException)];
                        if (!causes.Any(c => outcomes[i].Message.Contains($"({c})", StringComparison.Ordinal)))
                        {
                            return $"UNAVAILABLE that no injected fault explains: {outcomes[i].Message}\nevent: {batch[i]}";
                        }

                        probed ??= new Outcome?[batch.Count];
                        probed[i] = await cluster.Ingestor.IngestAsync(keys.Rekey(batch[i])).WaitAsync(CallTimeout);
                        Settle(i, "beside an injected fault");
                        continue;
                    }

                    if (mode == IngestFaultMode.FailAfter)
                    {
                        // Applied where it stood; only the answer was lost.
                        var (code, field) = reference.Decide(batch[i]);
                        log.Add($"#{log.Count} {Comparison.Describe(batch[i])} -> engine UNAVAILABLE (applied) | reference {code} {field}");
                        Count("unavailable, applied");
                    }
                    else
                    {
                        Count("unavailable, not applied");
                    }

                    unanswered.Add(batch[i]);
                }

                // What a silo kill left unanswered was re-sent already (to learn whether it had been applied): its answer
                // is the re-send's, checked after the batch as any re-send's.
                for (var i = 0; i < batch.Count; i++)
                {
                    if (probed?[i] is { } again && Check(batch[i], again, resend, " (re-sent at once after UNAVAILABLE)", sentAt) is { } failure)
                    {
                        return failure;
                    }
                }

                // The CRM re-sends what was not answered, after the batch, until it gets an answer.
                foreach (var e in unanswered)
                {
                    var resentAt = DateTime.UtcNow;
                    var again = await cluster.Ingestor.IngestAsync(keys.Rekey(e)).WaitAsync(CallTimeout);
                    for (var attempt = 0; again.Code == OutcomeCode.Unavailable && attempt < 5; attempt++)
                    {
                        again = await cluster.Ingestor.IngestAsync(keys.Rekey(e)).WaitAsync(CallTimeout);
                    }

                    if (Check(e, again, resend, " (re-sent after UNAVAILABLE)", resentAt) is { } failure)
                    {
                        return failure;
                    }
                }
            }

            queue = resend;
        }

        if (cluster.SiloKills is { } kills)
        {
            // Read only once every kill is over: reads are not what is under test.
            kills.Done(seed);
            await kills.Recovered.WaitAsync(TimeSpan.FromMinutes(3));
        }

        foreach (var rows in sc.RiskInstants.Select(at => reference.AtRisk(at, sc.Risk)))
        {
            stats["at risk: stalled"] = stats.GetValueOrDefault("at risk: stalled") + rows.Count(r => r.Stalled);
            stats["at risk: overdue"] = stats.GetValueOrDefault("at risk: overdue") + rows.Count(r => r.Overdue);
            stats["at risk: slipping"] = stats.GetValueOrDefault("at risk: slipping") + rows.Count(r => r.Slipping);
        }

        return await SettleAndCompareAsync(sc, keys, reference, uncertain, stats, log);
    }

    /// <summary>
    /// Re-sends, in order, each event of the batch a silo kill left UNAVAILABLE, once the kill is over, until the engine
    /// answers; null for the others.
    /// </summary>
    private async Task<Outcome?[]?> ProbeAsync(List<SalesEvent> batch, Outcome[] outcomes, Keys keys)
    {
        if (outcomes.All(o => o.Code != OutcomeCode.Unavailable))
        {
            return null;
        }

        await cluster.SiloKills!.QuietAsync(TimeSpan.FromSeconds(90));
        var answers = new Outcome?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Code == OutcomeCode.Unavailable)
            {
                answers[i] = await AnsweredAsync(keys.Rekey(batch[i]));
            }
        }

        return answers;
    }

    /// <summary>Ingests one event; while a silo kill leaves it UNAVAILABLE, sends it again for up to a minute and a half.</summary>
    private async Task<Outcome> AnsweredAsync(SalesEvent e)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var sentAt = DateTime.UtcNow;
        var got = await cluster.Ingestor.IngestAsync(e).WaitAsync(CallTimeout);
        while (got.Code == OutcomeCode.Unavailable && cluster.SiloKills?.Overlaps(sentAt, DateTime.UtcNow) == true && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            sentAt = DateTime.UtcNow;
            got = await cluster.Ingestor.IngestAsync(e).WaitAsync(CallTimeout);
        }

        return got;
    }

    private async Task<string?> SettleAndCompareAsync(
        History sc, Keys keys, ReferenceModel reference, List<(int Position, SalesEvent Event)> uncertain, Dictionary<string, long> stats, List<string> log)
    {
        // The reference with each combination of the events of unknown fate applied, where the rules allow it (the first
        // has none). Few: each needs a lost answer and a window moved by its own batch.
        if (uncertain.Count > 4)
        {
            return $"{uncertain.Count} events of unknown fate in one sequence; the comparison tries at most 4:\n{string.Join('\n', log.Take(400))}";
        }

        var candidates = Enumerable.Range(0, 1 << uncertain.Count)
            .Select(mask => mask == 0 ? reference : reference.WithAlso(uncertain.Where((_, i) => (mask & (1 << i)) != 0).ToList()))
            .OfType<ReferenceModel>()
            .ToList();
        var deadline = DateTime.UtcNow + SettleTimeout;
        var ids = Ids.Of(sc);
        var settled = false;
        var rounds = 0;
        while (true)
        {
            rounds++;
            await FlushAsync(ids, keys);
            ObservedState observed;
            try
            {
                observed = await ObserveAsync(sc, ids, keys, reference);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansMessageRejectionException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                // a read the kills cut short (a grain killed while the read was forwarded to it): read again
                await Task.Delay(50);
                continue;
            }

            // Accuracy boards: the rep books score each period that ended by their clock, the machine's here.
            List<string> Problems(ReferenceModel model)
            {
                var found = Comparison.Differences(model, observed, sc.ReportPeriods, sc.Now, DateTimeOffset.UtcNow);
                found.AddRange(Comparison.AtRiskDifferences(model, observed, sc.RiskInstants, sc.Risk));
                found.AddRange(Comparison.PipelineDifferences(model, observed));
                return found;
            }

            var problems = Problems(reference);
            if (problems.Count > 0 && !settled && candidates.Skip(1).FirstOrDefault(c => Problems(c).Count == 0) is { } other)
            {
                // Those the engine applied (their first send went through): from now on the reference holds them.
                reference = other;
                problems = [];
                stats["unknown fate settled by the figures"] = stats.GetValueOrDefault("unknown fate settled by the figures") + 1;
            }

            if (problems.Count == 0)
            {
                stats["forecast accuracy on a board"] = observed.Boards.Where(b => b.Key.Metric == nameof(LeaderboardMetric.ForecastAccuracy)).Sum(b => (long)b.Value.Count);
                if (settled)
                {
                    stats["settle rounds"] = stats.GetValueOrDefault("settle rounds") + rounds;
                    return null;
                }

                // Equal now; equal still once every fault injected so far has been retried by its sender?
                var mark = cluster.Faults.Mark();
                if (!await WaitResolvedAsync(ids, keys, mark, deadline))
                {
                    return $"the state matched, but faults injected until then were not retried successfully within {SettleTimeout.TotalSeconds:F0} s: "
                        + string.Join("; ", cluster.Faults.Unresolved(mark).Take(10));
                }

                settled = true;
                if (rounds > 1)
                {
                    stats["settled after a retry"] = stats.GetValueOrDefault("settled after a retry") + 1;
                }

                continue;
            }

            if (DateTime.UtcNow > deadline)
            {
                return $"{problems.Count} differences {(settled ? "after the state had been equal (a retry counted twice?)" : "after waiting for quiet")} (engine vs reference):\n"
                    + (uncertain.Count > 0 ? $"(also against the reference with each of the {candidates.Count - 1} combinations the rules allow of the {uncertain.Count} events of unknown fate applied)\n" : "")
                    + $"{string.Join('\n', problems.Take(40))}\ndeliveries ({log.Count}):\n{string.Join('\n', log.Take(400))}";
            }

            await Task.Delay(50);
        }
    }

    private async Task<bool> WaitResolvedAsync(Ids ids, Keys keys, long mark, DateTime deadline)
    {
        while (!await cluster.Faults.WaitResolvedAsync(mark, TimeSpan.FromSeconds(Math.Clamp((deadline - DateTime.UtcNow).TotalSeconds, 0, 2))))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            // What a killed sender had queued goes out once it is woken.
            await FlushAsync(ids, keys);
        }

        return true;
    }

    private async Task FlushAsync(Ids ids, Keys keys)
    {
        // Rep books deliver roll-ups behind their answers; regions pass theirs up on a tick. Injected faults may fail a
        // flush: what failed stays queued and the next round flushes it again.
        if (cluster.Kills is { } kills)
        {
            // A deal book or customer killed with credits queued sends them when it is next woken: by its next message,
            // or by the recovery sweep (a five-minute reminder). Wake the killed ones as the sweep would, sooner: any
            // sequence's, since books are shared and this sequence waits for every fault injected before it settles.
            var dealBooks = Grains.GetGrain<IOpportunityBookGrain>(0).GetGrainId().Type;
            var customers = Grains.GetGrain<ICustomerGrain>("-").GetGrainId().Type;
            foreach (var id in kills.Dormant.Where(id => id.Type == dealBooks))
            {
                await IgnoreFaults(Grains.GetGrain(id).AsReference<IOpportunityBookGrain>().RecoverAsync());
            }

            foreach (var id in kills.Dormant.Where(id => id.Type == customers))
            {
                await IgnoreFaults(Grains.GetGrain(id).AsReference<ICustomerGrain>().RecoverAsync());
            }
        }

        foreach (var book in ids.Reps.Select(r => RepBooks.Of(keys.Key(r))).Distinct())
        {
            await IgnoreFaults(Grains.GetGrain<IRepBookGrain>(book).FlushAsync());
        }

        foreach (var region in ids.Regions.Append(ReferenceModel.Company))
        {
            await IgnoreFaults(Grains.GetGrain<IRegionGrain>(keys.Key(region)).FlushAsync());
        }
    }

    private static async Task IgnoreFaults(Task flush)
    {
        try
        {
            await flush.WaitAsync(CallTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansMessageRejectionException or OperationCanceledException)
        {
            // a flush the faults (or a loaded machine: "message expired before placement") cut short; the next round flushes again
        }
    }

    private async Task<ObservedState> ObserveAsync(History sc, Ids ids, Keys keys, ReferenceModel reference)
    {
        var stages = cluster.Settings.Stages;
        var calendar = cluster.Settings.Calendar;
        var reps = new Dictionary<string, RepSnapshot>(StringComparer.Ordinal);
        var regions = new Dictionary<string, RegionSnapshot>(StringComparer.Ordinal);

        // The at-risk list as the query builds it, at each instant compared: every book of the sequence's deals, asked
        // for the same instant.
        var dealBooks = ids.Deals.Select(id => OpportunityBooks.Of(keys.Key(id))).Distinct().ToList();
        var atRisk = new Dictionary<DateTimeOffset, List<RefAtRisk>>();
        foreach (var at in sc.RiskInstants.Distinct())
        {
            var answers = await Task.WhenAll(dealBooks.Select(book => Grains.GetGrain<IOpportunityBookGrain>(book).GetAtRiskDealsAsync(at).WaitAsync(CallTimeout)));
            atRisk[at] = answers.SelectMany(a => a)
                .Where(d => d.OpportunityId.StartsWith(keys.Prefix, StringComparison.Ordinal))
                .OrderBy(d => d.OpportunityId, StringComparer.Ordinal)
                .Select(d => EngineObservation.AtRisk(
                    keys.Unkey(d.OpportunityId),
                    keys.Unkey(d.OwnerRepId),
                    EngineObservation.StageId(stages, d.StageIndex),
                    new DealRisk((RiskConditions)d.Conditions, d.DaysInStage, d.StallDays, DateOnly.FromDayNumber(d.ExpectedCloseDay), d.DaysOverdue, d.Pushes)))
                .ToList();
        }

        var observed = new ObservedState
        {
            AtRisk = at => atRisk[at],
            Report = (isRep, id, period) =>
            {
                var p = Period.TryParse(period, out var parsed) ? parsed : throw new ArgumentException(period);
                var (counters, targets, inputs) = isRep ? (reps[id].Counters, reps[id].Targets, reps[id].Inputs) : (regions[id].Counters, regions[id].Targets, regions[id].Inputs);
                var set = Counter.ToSet(counters);
                return EngineObservation.Report(FigureReport.Build(set, TargetRow.ToBook(targets), cluster.Settings, isRep ? TargetScope.Rep : TargetScope.Region, p, sc.Now, PlanningInputsRow.ToBook(inputs)), set, keys.Unkey);
            },
            Forecast = (isRep, id, period) =>
            {
                var p = Period.TryParse(period, out var parsed) ? parsed : throw new ArgumentException(period);
                var (counters, forecasts) = isRep ? (reps[id].Counters, reps[id].Forecasts) : (regions[id].Counters, regions[id].Forecasts);
                return EngineObservation.Forecast(ForecastView.Build(ForecastRow.ToBook(forecasts), Counter.ToSet(counters), stages, p, sc.Now, cluster.Settings.Forecasts));
            },
            Pipeline = (isRep, id, period, from, to) => EngineObservation.Pipeline(Counter.ToSet(isRep ? reps[id].Counters : regions[id].Counters), period, from, to),
        };

        // Reads go out together: a sequence reads a few hundred things each round.
        var deals = await Task.WhenAll(ids.Deals.Select(id => Grains.GetGrain<IOpportunityBookGrain>(OpportunityBooks.Of(keys.Key(id))).GetSnapshotAsync(keys.Key(id)).WaitAsync(CallTimeout)));
        foreach (var (id, o) in ids.Deals.Zip(deals))
        {
            if (o.Opened)
            {
                observed.Deals[id] = new ObservedDeal(keys.Unkey(o.OwnerRepId), o.Amount, EngineObservation.StageId(stages, o.StageIndex), DateOnly.FromDayNumber(o.ExpectedCloseDay), o.StageChangedAt, null);
            }
        }

        var repSnapshots = await Task.WhenAll(ids.Reps.Select(id => Grains.GetGrain<IRepBookGrain>(RepBooks.Of(keys.Key(id))).GetSnapshotAsync(keys.Key(id)).WaitAsync(CallTimeout)));
        foreach (var (id, r) in ids.Reps.Zip(repSnapshots))
        {
            var counters = EngineObservation.Counters(Counter.ToSet(r.Counters), keys.Unkey);
            if (r.Joined)
            {
                reps[id] = r;
                observed.Reps[id] = new ObservedRep(keys.Unkey(r.RegionId), counters);
            }
            else if (counters.Count > 0)
            {
                observed.Reps["(never joined) " + id] = new ObservedRep("", counters);
            }
        }

        // The orphaned-deals list as the query builds it: who left, from the rep books; their open deals, from the deal books.
        var repIds = ids.Reps.Select(keys.Key).ToHashSet(StringComparer.Ordinal);
        var departures = await Task.WhenAll(ids.Reps.Select(id => RepBooks.Of(keys.Key(id))).Distinct()
            .Select(book => Grains.GetGrain<IRepBookGrain>(book).GetDeparturesAsync().WaitAsync(CallTimeout)));
        var departed = departures.SelectMany(d => d).Select(d => d.RepId).Where(repIds.Contains).ToArray();
        if (departed.Length > 0)
        {
            var open = await Task.WhenAll(ids.Deals.Select(id => OpportunityBooks.Of(keys.Key(id))).Distinct()
                .Select(book => Grains.GetGrain<IOpportunityBookGrain>(book).GetOpenDealsOfAsync(departed).WaitAsync(CallTimeout)));
            observed.Orphans.AddRange(open.SelectMany(o => o)
                .Where(o => o.OpportunityId.StartsWith(keys.Prefix, StringComparison.Ordinal))
                .Select(o => (keys.Unkey(o.OpportunityId), keys.Unkey(o.OwnerRepId)))
                .OrderBy(o => o.Item1, StringComparer.Ordinal));
        }

        var boards = reference.Leaderboards(reference.Counters().Reps, DateTimeOffset.UtcNow);
        var regionIds = ids.Regions.Append(ReferenceModel.Company).ToList();
        var regionSnapshots = await Task.WhenAll(regionIds.Select(id => Grains.GetGrain<IRegionGrain>(keys.Key(id)).GetSnapshotAsync().WaitAsync(CallTimeout)));
        var boardReads = new List<(RefBoard Key, Task<BoardSnapshot> Read)>();
        foreach (var (id, r) in regionIds.Zip(regionSnapshots))
        {
            if (!r.Defined)
            {
                continue;
            }

            regions[id] = r;
            var counters = EngineObservation.Counters(Counter.ToSet(r.Counters), keys.Unkey);
            if (id == ReferenceModel.Company)
            {
                // The sequence's root is a region under the real company, so it counts its own targets as sent up; the
                // company it stands for has no parent and sends nothing.
                foreach (var sent in counters.Keys.Where(k => k.Figure == nameof(Figure.SentTargets) || k.Figure.StartsWith(nameof(Figure.SentTargets) + "|", StringComparison.Ordinal)).ToList())
                {
                    counters.Remove(sent);
                }
            }

            observed.Regions[id] = new ObservedRegion(id == ReferenceModel.Company ? "" : keys.Unkey(r.ParentId), counters);

            // Every board the reference has here, and every board of a period the region has scores in.
            var periods = counters.Keys.Where(k => k.Figure is ReferenceModel.Fig.Bookings or ReferenceModel.Fig.Collections or ReferenceModel.Fig.ActivityCount).Select(k => k.Period)
                .Concat(boards.Keys.Where(b => b.Region == id).Select(b => b.Period))
                .Distinct(StringComparer.Ordinal);
            foreach (var period in periods)
            {
                var code = Period.TryParse(period, out var parsed) ? parsed.Code : throw new ArgumentException(period);
                foreach (var metric in Enum.GetValues<LeaderboardMetric>())
                {
                    boardReads.Add((
                        new RefBoard(id, period, EngineObservation.Metric(metric)),
                        Grains.GetGrain<IRegionGrain>(keys.Key(id)).GetLeaderboardAsync(code, (byte)metric, 1_000, "", 0).WaitAsync(CallTimeout)));
                }
            }
        }

        await Task.WhenAll(boardReads.Select(b => b.Read));
        foreach (var (key, read) in boardReads)
        {
            observed.Boards[key] = EngineObservation.Rows((await read).Top.Select(e => (e.Rank, keys.Unkey(e.RepId), e.Score)));
        }

        var customers = await Task.WhenAll(ids.Customers.Select(id => Grains.GetGrain<ICustomerGrain>(keys.Key(id)).GetSnapshotAsync().WaitAsync(CallTimeout)));
        foreach (var (id, c) in ids.Customers.Zip(customers))
        {
            if (c.Registered)
            {
                observed.Customers[id] = new RefCustomer(c.Orders, c.LifetimeValue, c.LastOrder, c.Collections, c.LastContact);
            }
        }

        return observed;
    }

    /// <summary>Every entity id a history names (valid ones: at most 128 characters, non-blank).</summary>
    private sealed record Ids(List<string> Deals, List<string> Reps, List<string> Regions, List<string> Customers)
    {
        public static Ids Of(History sc)
        {
            var deals = new HashSet<string>(StringComparer.Ordinal);
            var reps = new HashSet<string>(StringComparer.Ordinal);
            var regions = new HashSet<string>(StringComparer.Ordinal);
            var customers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in sc.Delivery)
            {
                switch (e)
                {
                    case RegionDefined r:
                        regions.Add(r.RegionId);
                        break;
                    case RepJoined j:
                        reps.Add(j.RepId);
                        break;
                    case CustomerRegistered c:
                        customers.Add(c.CustomerId);
                        break;
                    case OpportunityOpened o:
                        deals.Add(o.OpportunityId);
                        break;
                }
            }

            static List<string> Valid(HashSet<string> ids) => ids.Where(i => !string.IsNullOrWhiteSpace(i) && i.Length <= 128 && i != ReferenceModel.Company).Order(StringComparer.Ordinal).ToList();
            return new Ids(Valid(deals), Valid(reps), Valid(regions), Valid(customers));
        }
    }

    /// <summary>A sequence's own ids: a prefix on every entity id, and a region of its own standing for the company.</summary>
    private sealed class Keys(string prefix)
    {
        public string Prefix => prefix;

        public string Root => prefix + "root";

        public string Key(string id) => id.Length == 0 ? "" : id == ReferenceModel.Company ? Root : prefix + id;

        public string Unkey(string id) => id == Root ? ReferenceModel.Company : id.StartsWith(prefix, StringComparison.Ordinal) ? id[prefix.Length..] : "?" + id;

        public SalesEvent Rekey(SalesEvent e) => e switch
        {
            RegionDefined r => r with { RegionId = Key(r.RegionId), ParentRegionId = r.ParentRegionId.Length == 0 ? Root : Key(r.ParentRegionId) },
            RepJoined j => j with { RepId = Key(j.RepId), RegionId = Key(j.RegionId) },
            RepMoved m => m with { RepId = Key(m.RepId), RegionId = Key(m.RegionId) },
            RepLeft l => l with { RepId = Key(l.RepId) },
            CustomerRegistered c => c with { CustomerId = Key(c.CustomerId) },
            CustomerKeyAccountChanged k => k with { CustomerId = Key(k.CustomerId) },
            OpportunityOpened o => o with { OpportunityId = Key(o.OpportunityId), OwnerRepId = Key(o.OwnerRepId), CustomerId = Key(o.CustomerId) },
            OpportunityStageChanged s => s with { OpportunityId = Key(s.OpportunityId) },
            OpportunityAmountChanged a => a with { OpportunityId = Key(a.OpportunityId) },
            OpportunityReassigned r => r with { OpportunityId = Key(r.OpportunityId), NewOwnerRepId = Key(r.NewOwnerRepId) },
            OpportunityWon w => w with { OpportunityId = Key(w.OpportunityId) },
            OpportunityLost l => l with { OpportunityId = Key(l.OpportunityId) },
            ActivityLogged a => a with { RepId = Key(a.RepId), CustomerId = Key(a.CustomerId), OpportunityId = Key(a.OpportunityId) },
            PaymentReceived p => p with { RepId = Key(p.RepId), CustomerId = Key(p.CustomerId) },
            TargetSet t => t with
            {
                ScopeId = Key(t.ScopeId),
                Dimension = t.Dimension.Kind == DimensionKind.Customer ? t.Dimension with { Value = Key(t.Dimension.Value ?? "") } : t.Dimension,
            },
            ForecastSubmitted f => f with { ScopeId = Key(f.ScopeId) },
            PlanningInputsRecorded i => i with { ScopeId = Key(i.ScopeId) },
            _ => throw new ArgumentException($"no id mapping for {e.GetType().Name}", nameof(e)),
        };
    }
}
