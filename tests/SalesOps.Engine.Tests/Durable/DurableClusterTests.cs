using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// The engine's grains on a two-silo in-process cluster in durable mode: a silo is killed
/// (<c>KillSiloAsync</c>) and every grain it hosted comes back on the survivor from its snapshot and journal.
/// </summary>
[Collection(DurableClusterCollection.Name)]
public sealed class DurableClusterTests(DurableClusterFixture fixture)
{
    private static readonly EngineSettings Settings = new EngineOptions().ToSettings();

    [Fact]
    public async Task SiloKilled_ItsGrainsComeBackOnTheSurvivorWithTheirState()
    {
        var workload = new DurableWorkload("kill", seed: 21, reps: 12, customers: 8);
        var sent = new List<SalesEvent>();
        foreach (var batch in workload.Setup())
        {
            await IngestUntilAcknowledgedAsync(batch, sent);
        }

        for (var i = 0; i < 25; i++)
        {
            await IngestUntilAcknowledgedAsync(workload.NextBatch(60), sent);
        }

        var reference = Reference(sent);
        await AssertGrainsMatchAsync(reference, workload, "before the kill");

        // Kill a silo that is not the one the client's gateway list starts with; its grains must move.
        var victim = fixture.Cluster.Silos[^1];
        await fixture.Cluster.KillSiloAsync(victim).Within(TimeSpan.FromSeconds(60));

        for (var i = 0; i < 5; i++)
        {
            await IngestUntilAcknowledgedAsync(workload.NextBatch(60), sent);
        }

        await AssertGrainsMatchAsync(Reference(sent), workload, "after the kill");
    }

    /// <summary>Ingests a batch, re-sending what answers UNAVAILABLE (a silo was just lost) until all is acknowledged.</summary>
    private async Task IngestUntilAcknowledgedAsync(List<SalesEvent> batch, List<SalesEvent> sent)
    {
        sent.AddRange(batch);
        var pending = batch;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (pending.Count > 0)
        {
            var outcomes = await fixture.Ingestor.IngestBatchAsync(pending).Within(TimeSpan.FromSeconds(60));
            var rejected = outcomes.Where(o => !o.IsAccepted && o.Code is not OutcomeCode.Duplicate and not OutcomeCode.Unavailable).ToList();
            Assert.True(rejected.Count == 0, $"rejected: {string.Join("; ", rejected.Select(o => $"{o.Code} {o.Message}"))}");
            pending = pending.Where((_, i) => outcomes[i].Code == OutcomeCode.Unavailable).ToList();
            if (pending.Count > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{pending.Count} events still UNAVAILABLE");
                await Task.Delay(200);
            }
        }
    }

    private static InMemorySalesEngine Reference(List<SalesEvent> sent)
    {
        var engine = new InMemorySalesEngine(Settings);
        foreach (var e in sent)
        {
            Assert.True(engine.Apply(e).IsAccepted, $"reference rejected {e}");
        }

        return engine;
    }

    private async Task AssertGrainsMatchAsync(InMemorySalesEngine reference, DurableWorkload workload, string when)
    {
        var grains = fixture.Cluster.Client;
        List<string> differences = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            differences = [];
            try
            {
                foreach (var repId in workload.RepIds)
                {
                    var rep = await grains.GetGrain<IRepGrain>(repId).GetSnapshotAsync().Within();
                    var got = Counter.ToSet(rep.Counters);
                    if (!reference.Reps[repId].Figures().ContentEquals(got))
                    {
                        differences.Add($"rep {repId}: {string.Join("; ", reference.Reps[repId].Figures().Differences(got).Take(3))}");
                    }
                }

                foreach (var regionId in workload.RegionIds.Append(RegionState.CompanyId))
                {
                    var region = await grains.GetGrain<IRegionGrain>(regionId).GetSnapshotAsync().Within();
                    var got = Counter.ToSet(region.Counters);
                    if (!reference.Regions[regionId].Figures.ContentEquals(got))
                    {
                        differences.Add($"region {regionId}: {string.Join("; ", reference.Regions[regionId].Figures.Differences(got).Take(3))}");
                    }

                    foreach (var (key, board) in reference.Regions[regionId].Boards)
                    {
                        var snapshot = await grains.GetGrain<IRegionGrain>(regionId).GetLeaderboardAsync(key.Period.Code, (byte)key.Metric, 1_000, "", 0).Within();
                        if (!board.Top(1_000).Select(e => (e.Rank, e.RepId, e.Score)).SequenceEqual(snapshot.Top.Select(e => (e.Rank, e.RepId, e.Score))))
                        {
                            differences.Add($"board {regionId} {key}");
                        }
                    }
                }

                foreach (var customerId in workload.CustomerIds)
                {
                    var c = reference.Customers[customerId];
                    var got = await grains.GetGrain<ICustomerGrain>(customerId).GetSnapshotAsync().Within();
                    if ((c.OrderCount, c.LifetimeValue, c.Collections, c.LastContact) != (got.Orders, got.LifetimeValue, got.Collections, got.LastContact))
                    {
                        differences.Add($"customer {customerId}");
                    }
                }

                foreach (var (id, opp) in reference.Opportunities)
                {
                    var got = await grains.GetGrain<IOpportunityBookGrain>(OpportunityBooks.Of(id)).GetSnapshotAsync(id).Within();
                    if ((opp.OwnerRepId, opp.Amount, opp.StageIndex) != (got.OwnerRepId, got.Amount, got.StageIndex))
                    {
                        differences.Add($"opportunity {id}");
                    }
                }
            }
            catch (Exception ex) when (ex is TimeoutException || EventIngestor.IsTransient(ex))
            {
                differences.Add($"query failed: {ex.GetType().Name}");
            }

            if (differences.Count > 0)
            {
                await Task.Delay(250);
            }
        }
        while (differences.Count > 0 && DateTime.UtcNow < deadline);

        Assert.True(differences.Count == 0, $"{when}: {differences.Count} differences, e.g. {string.Join(" | ", differences.Take(6))}");
    }
}
