using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Runtime;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// The engine's grains on a two-silo in-process cluster in durable mode: a silo is killed
/// (<c>KillSiloAsync</c>) and every grain it hosted comes back on the survivor from its snapshot and journal.
/// </summary>
[Collection(DurableClusterCollection.Name)]
public sealed class DurableClusterTests(DurableClusterFixture fixture)
{
    private static readonly EngineSettings Settings = new EngineOptions().ToSettings();

    /// <summary>
    /// A region and a customer with the same id come back each from its own snapshot: the storage keys a row by the
    /// grain's key and the state name only, so every grain type's snapshot has a state name of its own.
    /// </summary>
    [Fact]
    public async Task RegionAndCustomerOfOneId_ComeBackEachFromItsOwnSnapshot()
    {
        var s = new Scenario("shared" + Guid.NewGuid().ToString("N")[..6]);
        await IngestUntilAcknowledgedAsync([s.Region("acme"), s.Customer("acme")], []);
        var region = fixture.Cluster.Client.GetGrain<IRegionGrain>(s.Id("acme"));
        var customer = fixture.Cluster.Client.GetGrain<ICustomerGrain>(s.Id("acme"));

        // Each writes its snapshot as it deactivates, and starts from it at the next call.
        await fixture.Cluster.DeactivateAsync(region).Within(TimeSpan.FromSeconds(30));
        await fixture.Cluster.DeactivateAsync(customer).Within(TimeSpan.FromSeconds(30));
        var regionBack = await region.GetSnapshotAsync().Within();
        var customerBack = await customer.GetSnapshotAsync().Within();

        Assert.True(regionBack.Defined);
        Assert.Equal("Region acme", regionBack.Name);
        Assert.True(customerBack.Registered);
        Assert.Equal("Customer acme", customerBack.Name);
    }

    /// <summary>
    /// A deal book that deactivates while its rep book fails every call keeps the credit it could not deliver (durable),
    /// and asks the recovery grain to wake it: the credit arrives a second or so after the rep book answers again, with
    /// no further call to the deal book, instead of at the recovery reminder five minutes later.
    /// </summary>
    [Fact]
    public async Task DealBookDeactivatedWithACreditUndelivered_IsWokenAndDeliversItWithoutAnotherCall()
    {
        var s = new Scenario("wake" + Guid.NewGuid().ToString("N")[..6]);
        await IngestUntilAcknowledgedAsync([s.Region("r"), s.Rep("cy", "r"), s.Customer("c")], []);
        var repBook = fixture.Cluster.Client.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("cy")));
        var repBookKey = repBook.GetGrainId().Key.ToString()!;
        var dealBook = fixture.Cluster.Client.GetGrain<IOpportunityBookGrain>(OpportunityBooks.Of(s.Id("d1")));
        long Pipeline(RepSnapshot rep) => Enumerable.Range(0, 16).Sum(a => Counter.ToSet(rep.Counters).Get(Figure.PipelineAmount, default, (short)a));

        BlockedCalls.Block(nameof(IRepBookGrain.CreditAsync), repBookKey);
        try
        {
            var outcome = await fixture.Ingestor.IngestAsync(s.Open("d1", "cy", "c", 42_000, h: 1)).Within(TimeSpan.FromSeconds(60));
            Assert.True(outcome.IsAccepted, $"{outcome.Code} {outcome.Message}");
            await fixture.Cluster.DeactivateAsync(dealBook).Within(TimeSpan.FromSeconds(30));
            Assert.Equal(0, Pipeline(await repBook.GetSnapshotAsync(s.Id("cy")).Within()));
        }
        finally
        {
            BlockedCalls.Release(nameof(IRepBookGrain.CreditAsync), repBookKey);
        }

        await Wait.UntilAsync(
            async () => Pipeline(await repBook.GetSnapshotAsync(s.Id("cy")).Within()) == 42_000,
            "the credit reached the rep without another call to the deal book",
            TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A deal book that deactivates with a credit undelivered and whose wake request fails delivers the credit as soon
    /// as anything activates it again, a read included: the read delivers nothing by itself, and the next recovery
    /// sweep is minutes away.
    /// </summary>
    [Fact]
    public async Task DealBookWokenByARead_DeliversWhatItsLastActivationLeftQueued()
    {
        var s = new Scenario("read" + Guid.NewGuid().ToString("N")[..6]);
        await IngestUntilAcknowledgedAsync([s.Region("r"), s.Rep("cy", "r"), s.Customer("c")], []);
        var repBook = fixture.Cluster.Client.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("cy")));
        var repBookKey = repBook.GetGrainId().Key.ToString()!;
        var recoveryKey = fixture.Cluster.Client.GetGrain<IRecoveryGrain>(0).GetGrainId().Key.ToString()!;
        var dealBook = fixture.Cluster.Client.GetGrain<IOpportunityBookGrain>(OpportunityBooks.Of(s.Id("d1")));
        long Pipeline(RepSnapshot rep) => Enumerable.Range(0, 16).Sum(a => Counter.ToSet(rep.Counters).Get(Figure.PipelineAmount, default, (short)a));

        BlockedCalls.Block(nameof(IRepBookGrain.CreditAsync), repBookKey);
        BlockedCalls.Block(nameof(IRecoveryGrain.WakeSoonAsync), recoveryKey);
        try
        {
            var outcome = await fixture.Ingestor.IngestAsync(s.Open("d1", "cy", "c", 42_000, h: 1)).Within(TimeSpan.FromSeconds(60));
            Assert.True(outcome.IsAccepted, $"{outcome.Code} {outcome.Message}");
            await fixture.Cluster.DeactivateAsync(dealBook).Within(TimeSpan.FromSeconds(30));
        }
        finally
        {
            BlockedCalls.Release(nameof(IRepBookGrain.CreditAsync), repBookKey);
            BlockedCalls.Release(nameof(IRecoveryGrain.WakeSoonAsync), recoveryKey);
        }

        Assert.Equal(0, Pipeline(await repBook.GetSnapshotAsync(s.Id("cy")).Within()));
        var deal = await dealBook.GetSnapshotAsync(s.Id("d1")).Within();
        Assert.True(deal.Opened);
        await Wait.UntilAsync(
            async () => Pipeline(await repBook.GetSnapshotAsync(s.Id("cy")).Within()) == 42_000,
            "the credit reached the rep once a read woke the deal book",
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task SiloKilled_ItsGrainsComeBackOnTheSurvivorWithTheirState()
    {
        var workload = new DurableWorkload("kill", seed: 21, reps: 12, customers: 8);
        var company = await CompanyFiguresAsync();
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
        await AssertGrainsMatchAsync(reference, workload, company, "before the kill");

        // Kill a silo that is not the one the client's gateway list starts with; its grains must move.
        var victim = fixture.Cluster.Silos[^1];
        await fixture.Cluster.KillSiloAsync(victim).Within(TimeSpan.FromSeconds(60));

        for (var i = 0; i < 5; i++)
        {
            await IngestUntilAcknowledgedAsync(workload.NextBatch(60), sent);
        }

        await AssertGrainsMatchAsync(Reference(sent), workload, company, "after the kill");
    }

    /// <summary>
    /// A rep book holding many reps comes back with each of them: from its snapshot alone after a graceful
    /// deactivation, and from its latest snapshot plus the journal entries after it when its silo is killed. Each
    /// acknowledged event counts once (a re-sent batch answers DUPLICATE) and the regions hold every roll-up once.
    /// </summary>
    [Fact]
    public async Task RepBookOfManyReps_ComesBackFromSnapshotAndJournal_WithEveryRepExactlyOnce()
    {
        while (fixture.Cluster.Silos.Count < 2)
        {
            await fixture.Cluster.StartAdditionalSiloAsync().Within(TimeSpan.FromSeconds(60));
        }

        var workload = new DurableWorkload("repbook", seed: 7, reps: 10, customers: 6, oneRepBook: true);
        var company = await CompanyFiguresAsync();
        var book = fixture.Cluster.Client.GetGrain<IRepBookGrain>(workload.RepBook);
        Assert.All(workload.RepIds, id => Assert.Equal(workload.RepBook, RepBooks.Of(id)));
        var sent = new List<SalesEvent>();
        foreach (var batch in workload.Setup())
        {
            await IngestUntilAcknowledgedAsync(batch, sent);
        }

        for (var i = 0; i < 8; i++)
        {
            await IngestUntilAcknowledgedAsync(workload.NextBatch(40), sent);
        }

        await AssertGrainsMatchAsync(Reference(sent), workload, company, "before any restart");

        // Graceful: the deactivation writes a snapshot; the next activation starts from it.
        await fixture.Cluster.DeactivateAsync(book).Within(TimeSpan.FromSeconds(30));
        await AssertGrainsMatchAsync(Reference(sent), workload, company, "after a graceful deactivation");

        // Crash: the book lives on the silo that is killed, with journal entries after its latest snapshot.
        var victim = fixture.Cluster.Silos[^1];
        var management = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        for (var attempt = 0; await management.GetActivationAddress(book) != victim.SiloAddress; attempt++)
        {
            Assert.True(attempt < 10, "the rep book could not be placed on the silo to kill");
            await fixture.Cluster.MigrateAsync(book, victim.SiloAddress).Within(TimeSpan.FromSeconds(30));
            await book.IsJoinedAsync(workload.RepIds.First()).Within();
        }

        List<SalesEvent> last = [];
        for (var i = 0; i < 4; i++)
        {
            last = workload.NextBatch(DurableClusterFixture.SnapshotEvery * 3 + 2);
            await IngestUntilAcknowledgedAsync(last, sent);
        }

        Assert.Equal(victim.SiloAddress, await management.GetActivationAddress(book));
        await fixture.Cluster.KillSiloAsync(victim).Within(TimeSpan.FromSeconds(60));
        await fixture.Cluster.StartAdditionalSiloAsync().Within(TimeSpan.FromSeconds(60));

        // Every event of the last batch was acknowledged before the crash: re-sent, none is counted again.
        var pending = last;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (pending.Count > 0)
        {
            var outcomes = await fixture.Ingestor.IngestBatchAsync(pending).Within(TimeSpan.FromSeconds(60));
            Assert.All(outcomes, o => Assert.True(o.Code is OutcomeCode.Duplicate or OutcomeCode.Unavailable, $"re-sent after the crash: {o.Code} {o.Message}"));
            pending = pending.Where((_, i) => outcomes[i].Code == OutcomeCode.Unavailable).ToList();
            Assert.True(pending.Count == 0 || DateTime.UtcNow < deadline, $"{pending.Count} events still UNAVAILABLE");
            await Task.Delay(pending.Count > 0 ? 200 : 0);
        }

        await AssertGrainsMatchAsync(Reference(sent), workload, company, "after the kill");
        for (var i = 0; i < 3; i++)
        {
            await IngestUntilAcknowledgedAsync(workload.NextBatch(40), sent);
        }

        await AssertGrainsMatchAsync(Reference(sent), workload, company, "after the kill and more events");
    }

    /// <summary>
    /// Ingest calls that reach one deal book while its call is in flight go to it as one call, each answered with its
    /// own events' outcomes; a call with a deal already in that merged call waits for the next, so the deal's events
    /// stay in order; the credits are counted once each.
    /// </summary>
    [Fact]
    public async Task ConcurrentIngestCallsToOneDealBook_GoAsOneCall_EachAnsweredForItsOwnEvents()
    {
        var s = new Scenario("merge" + Guid.NewGuid().ToString("N")[..6]);
        await IngestUntilAcknowledgedAsync([s.Region("r"), s.Rep("ann", "r"), s.Customer("c")], []);
        var book = OpportunityBooks.Of(s.Id("d0"));
        var deals = Enumerable.Range(0, 40_000).Select(n => "d" + n).Where(d => OpportunityBooks.Of(s.Id(d)) == book).Take(8).ToArray();
        Assert.Equal(8, deals.Length);
        var opens = deals.Select((d, i) => s.Open(d, "ann", "c", 1_000 * (i + 1))).ToArray();
        var key = fixture.Cluster.Client.GetGrain<IOpportunityBookGrain>(book).GetGrainId().Key.ToString()!;
        const string apply = nameof(IOpportunityBookGrain.ApplyAsync);

        BlockedCalls.Hold(apply, key);
        int whileHeld;
        int calls;
        Outcome[] answers;
        try
        {
            var first = fixture.Ingestor.IngestAsync(opens[0]);
            await Wait.UntilAsync(() => BlockedCalls.HeldCalls(apply, key) == 1, "the first call reached the book");
            var others = opens.Skip(1).Select(fixture.Ingestor.IngestAsync).ToList();
            await Wait.UntilAsync(() => fixture.BookCalls.Queued(EntityKind.Opportunity, book) == 7, "the other calls queued for the book");
            var again = fixture.Ingestor.IngestAsync(opens[1]); // a deal already in the merged call: it waits for the next
            await Wait.UntilAsync(() => fixture.BookCalls.Queued(EntityKind.Opportunity, book) == 8, "the re-send queued for the book");
            whileHeld = BlockedCalls.LetGo(apply, key);
            answers = await Task.WhenAll([first, .. others, again]).Within(TimeSpan.FromSeconds(60));
        }
        finally
        {
            calls = BlockedCalls.Forget(apply, key);
        }

        Assert.Equal(1, whileHeld); // the others were not called while the first was held
        Assert.Equal(3, calls); // the first; the seven others together; the re-send of a deal the seven had
        Assert.All(answers[..8], a => Assert.True(a.IsAccepted, $"{a.Code} {a.Message}"));
        Assert.Equal(OutcomeCode.Duplicate, answers[8].Code);
        var rep = fixture.Cluster.Client.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("ann")));
        long Pipeline(RepSnapshot snapshot) => Enumerable.Range(0, 16).Sum(a => Counter.ToSet(snapshot.Counters).Get(Figure.PipelineAmount, default, (short)a));
        await Wait.UntilAsync(
            async () => Pipeline(await rep.GetSnapshotAsync(s.Id("ann")).Within()) == 36_000,
            "the eight deals' pipeline reached the rep, each once");
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

    /// <summary>The company's figures before a test: the tests of this collection share the company region.</summary>
    /// <summary>
    /// The company's figures once quiet (the same in two reads half a second apart, for up to 30 s): the company is
    /// shared by the collection's tests, and an earlier test's last roll-ups may still be on their way up.
    /// </summary>
    private async Task<FigureSet> CompanyFiguresAsync()
    {
        async Task<FigureSet> ReadAsync() =>
            Counter.ToSet((await fixture.Cluster.Client.GetGrain<IRegionGrain>(RegionState.CompanyId).GetSnapshotAsync().Within()).Counters);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = await ReadAsync();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            var now = await ReadAsync();
            if (now.ContentEquals(last))
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    /// <summary>
    /// Every rep, region, customer and deal of the workload as the reference has it; the company's figures are
    /// compared as what this workload added to <paramref name="companyBefore"/>, its boards on this workload's reps.
    /// </summary>
    private async Task AssertGrainsMatchAsync(InMemorySalesEngine reference, DurableWorkload workload, FigureSet companyBefore, string when)
    {
        var ownReps = workload.RepIds.ToHashSet(StringComparer.Ordinal);
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
                    var rep = await grains.GetGrain<IRepBookGrain>(RepBooks.Of(repId)).GetSnapshotAsync(repId).Within();
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
                    var want = reference.Regions[regionId].Figures;
                    if (regionId == RegionState.CompanyId)
                    {
                        want = want.Clone();
                        want.AddAll(companyBefore);
                    }

                    if (!want.ContentEquals(got))
                    {
                        differences.Add($"region {regionId}: {string.Join("; ", want.Differences(got).Take(3))}");
                    }

                    foreach (var (key, board) in reference.Regions[regionId].Boards)
                    {
                        var snapshot = await grains.GetGrain<IRegionGrain>(regionId).GetLeaderboardAsync(key.Period.Code, (byte)key.Metric, 1_000, "", 0).Within();
                        var rows = snapshot.Top.Where(e => ownReps.Contains(e.RepId)).Select(e => (e.RepId, e.Score));
                        if (!board.Top(1_000).Select(e => (e.RepId, e.Score)).SequenceEqual(rows))
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
