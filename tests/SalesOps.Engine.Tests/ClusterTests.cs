using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests;

/// <summary>Grains on a real two-silo in-process cluster, driven through the same ingestor the gRPC API uses.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    private async Task<Outcome[]> IngestAsync(params SalesEvent[] events)
    {
        var results = new Outcome[events.Length];
        for (var i = 0; i < events.Length; i++)
        {
            results[i] = await fixture.Ingestor.IngestAsync(events[i]).Within();
        }

        return results;
    }

    private static void AllAccepted(Outcome[] outcomes) =>
        Assert.All(outcomes, o => Assert.True(o.IsAccepted, $"{o.Code} {o.Field} {o.Message}"));

    private async Task<FigureSet> RegionFiguresAsync(string id)
    {
        var snapshot = await Grains.GetGrain<IRegionGrain>(id).GetSnapshotAsync().Within();
        return Counter.ToSet(snapshot.Counters);
    }

    private async Task<FigureSet> RepFiguresAsync(string id) =>
        Counter.ToSet((await RepBook(id).GetSnapshotAsync(id).Within()).Counters);

    /// <summary>The book that holds the rep.</summary>
    private IRepBookGrain RepBook(string repId) => Grains.GetGrain<IRepBookGrain>(RepBooks.Of(repId));

    /// <summary>The grain key the fault filter sees for the rep's book.</summary>
    private string RepBookKey(string repId) => RepBook(repId).GetGrainId().Key.ToString()!;

    [Fact]
    public async Task WonDeal_RollsUpThroughEveryRegionToTheCompany()
    {
        // A month no other test in this cluster uses, so the company's figures for it are this test's alone.
        var s = new Scenario("rollup") { T0 = new DateTimeOffset(2031, 3, 1, 0, 0, 0, TimeSpan.Zero) };
        var march = Period.OfMonth(2031, 3);
        var companyBefore = await RegionFiguresAsync("company");
        Assert.Equal(0, companyBefore.Get(Figure.Bookings, march));

        AllAccepted(await IngestAsync(
            s.Region("east"), s.Region("shanghai", "east"), s.Rep("ann", "shanghai"), s.Customer("acme"),
            s.Open("deal", "ann", "acme", 120_000, "quote_sent", h: 1),
            s.Won("deal", h: 30)));
        await RepBook(s.Id("ann")).FlushAsync().Within();
        await Grains.GetGrain<IRegionGrain>(s.Id("shanghai")).FlushAsync().Within();

        Assert.Equal(120_000, (await RepFiguresAsync(s.Id("ann"))).Get(Figure.Bookings, march));
        Assert.Equal(120_000, (await RegionFiguresAsync(s.Id("shanghai"))).Get(Figure.Bookings, march));
        Assert.Equal(120_000, (await RegionFiguresAsync(s.Id("east"))).Get(Figure.Bookings, march));
        var companyAfter = await RegionFiguresAsync("company");
        Assert.Equal(120_000, companyAfter.Get(Figure.Bookings, march) - companyBefore.Get(Figure.Bookings, march));
        Assert.Equal(1, companyAfter.Get(Figure.WonCount, Period.OfYear(2031)));
    }

    /// <summary>
    /// A rep book takes a wave's events of many of its reps in one call, and a deal book's credits for several of them
    /// as one message; the reps, regions, boards and customer come out as when every event is sent on its own.
    /// </summary>
    [Fact]
    public async Task BatchOfManyRepsOfOneBook_GivesTheSameFiguresAsSendingEventsOneByOne()
    {
        // The customer counters name each scenario's own customers: compared under the batched scenario's ids.
        static FigureSet Renamed(FigureSet set, Scenario from, Scenario to)
        {
            var renamed = new FigureSet();
            foreach (var (key, value) in set)
            {
                renamed.Add(key, value);
            }

            foreach (var (key, value) in set.Dimensions)
            {
                renamed.Add(key.Kind == DimensionKind.Customer ? key with { Value = to.Id(key.Value[from.Id("").Length..]) } : key, value);
            }

            return renamed;
        }

        const int Reps = 8;
        var batched = new Scenario("samebook-batch");
        var single = new Scenario("samebook-single");
        var batchedReps = RepsOfOneBook(batched, Reps);
        var singleReps = RepsOfOneBook(single, Reps);
        var batchedEvents = ManyRepsWorkload(batched, batchedReps);
        var singleEvents = ManyRepsWorkload(single, singleReps);

        var engine = new InMemorySalesEngine(fixture.Settings);
        Assert.All(batchedEvents, e => Assert.True(engine.Apply(e).IsAccepted, e.ToString()));
        AllAccepted(await fixture.Ingestor.IngestBatchAsync(batchedEvents).Within());
        AllAccepted(await IngestAsync(singleEvents.ToArray()));

        await Task.WhenAll(RepBook(batched.Id(batchedReps[0])).FlushAsync().Within(), RepBook(single.Id(singleReps[0])).FlushAsync().Within());
        foreach (var leaf in new[] { "r1", "r2" })
        {
            await Grains.GetGrain<IRegionGrain>(batched.Id(leaf)).FlushAsync().Within();
            await Grains.GetGrain<IRegionGrain>(single.Id(leaf)).FlushAsync().Within();
        }

        for (var i = 0; i < Reps; i++)
        {
            var got = await RepFiguresAsync(batched.Id(batchedReps[i]));
            var one = Renamed(await RepFiguresAsync(single.Id(singleReps[i])), single, batched);
            var want = engine.Reps[batched.Id(batchedReps[i])].Figures();
            Assert.True(want.ContentEquals(got), $"rep {i} batched: " + string.Join("; ", want.Differences(got)));
            Assert.True(got.ContentEquals(one), $"rep {i} batched vs one by one: " + string.Join("; ", got.Differences(one)));
            Assert.True(got.Get(Figure.Bookings, Period.OfMonth(2026, 11)) > 0, $"rep {i} has no bookings");
        }

        var nov = Period.OfMonth(2026, 11);
        foreach (var region in new[] { "r1", "r2", "top" })
        {
            var got = await RegionFiguresAsync(batched.Id(region));
            var one = Renamed(await RegionFiguresAsync(single.Id(region)), single, batched);
            Assert.True(engine.Regions[batched.Id(region)].Figures.ContentEquals(got), $"region {region} batched: " + string.Join("; ", engine.Regions[batched.Id(region)].Figures.Differences(got)));
            Assert.True(got.ContentEquals(one), $"region {region} batched vs one by one: " + string.Join("; ", got.Differences(one)));
            foreach (var metric in new[] { LeaderboardMetric.Bookings, LeaderboardMetric.Collections, LeaderboardMetric.Activities })
            {
                var a = await Grains.GetGrain<IRegionGrain>(batched.Id(region)).GetLeaderboardAsync(nov.Code, (byte)metric, 100, "", 0).Within();
                var b = await Grains.GetGrain<IRegionGrain>(single.Id(region)).GetLeaderboardAsync(nov.Code, (byte)metric, 100, "", 0).Within();
                var rowsA = a.Top.Select(e => (e.Rank, Rep: Array.IndexOf(batchedReps, e.RepId[(batched.Id("").Length)..]), e.Score)).ToList();
                var rowsB = b.Top.Select(e => (e.Rank, Rep: Array.IndexOf(singleReps, e.RepId[(single.Id("").Length)..]), e.Score)).ToList();
                Assert.True(rowsA.SequenceEqual(rowsB), $"board {region} {metric}: batched [{string.Join(", ", rowsA)}] one by one [{string.Join(", ", rowsB)}]");
                Assert.NotEmpty(rowsA);
            }
        }

        var customer = await Grains.GetGrain<ICustomerGrain>(batched.Id("c")).GetSnapshotAsync().Within();
        var customerOne = await Grains.GetGrain<ICustomerGrain>(single.Id("c")).GetSnapshotAsync().Within();
        Assert.Equal((customerOne.Orders, customerOne.LifetimeValue, customerOne.Collections, customerOne.LastContact), (customer.Orders, customer.LifetimeValue, customer.Collections, customer.LastContact));
        Assert.Equal(Reps * 100 * (Reps + 1) / 2, customer.Collections);
    }

    /// <summary>Rep names whose ids, in this scenario, all hash to one rep book.</summary>
    private static string[] RepsOfOneBook(Scenario s, int count)
    {
        var book = RepBooks.Of(s.Id("rep0"));
        var names = Enumerable.Range(0, 100_000).Select(i => $"rep{i}").Where(n => RepBooks.Of(s.Id(n)) == book).Take(count).ToArray();
        Assert.Equal(count, names.Length);
        return names;
    }

    /// <summary>
    /// Regions, reps of one book and a customer; then per rep an activity, a payment and a won deal, a reassignment
    /// between two of the reps and a rep target: in a batch, each wave gives the book one call for many reps.
    /// </summary>
    private static List<SalesEvent> ManyRepsWorkload(Scenario s, string[] reps)
    {
        var events = new List<SalesEvent> { s.Region("top"), s.Region("r1", "top"), s.Region("r2", "top"), s.Customer("c") };
        events.AddRange(reps.Select((rep, i) => (SalesEvent)s.Rep(rep, i % 2 == 0 ? "r1" : "r2")));
        events.AddRange(reps.Select((rep, i) => (SalesEvent)s.Activity(rep, 1 + (i * 0.01), "c", (ActivityType)(i % 3), 10 + i)));
        events.AddRange(reps.Select((rep, i) => (SalesEvent)s.Payment(rep, "c", 100 * (i + 1), 2 + (i * 0.01))));
        events.AddRange(reps.Select((rep, i) => (SalesEvent)s.Open($"o{i}", rep, "c", 1_000 * (i + 1), h: 1)));
        events.AddRange(reps.Select((_, i) => (SalesEvent)s.Won($"o{i}", 3 + (i * 0.01))));
        events.Add(s.Open("shared", reps[0], "c", 7_000, h: 1));
        events.Add(s.Reassign("shared", reps[1], 4));
        events.Add(s.RepTarget(reps[2], "2026-11", 50_000));
        events.AddRange(reps.Select((rep, i) => (SalesEvent)s.Activity(rep, 5 + (i * 0.01), "", ActivityType.Call, 20)));
        return events;
    }

    [Fact]
    public async Task DuplicateEvent_IsAcknowledgedAsDuplicateAndCountedOnce()
    {
        var s = new Scenario("dup");
        var nov = Period.OfMonth(2026, 11);
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("bo", "r"), s.Customer("c")));
        var payment = s.Payment("bo", "c", 5_000, h: 3);
        var results = await IngestAsync(payment, payment, payment);
        Assert.Equal([OutcomeCode.Accepted, OutcomeCode.Duplicate, OutcomeCode.Duplicate], results.Select(r => r.Code));
        Assert.Equal(5_000, (await RepFiguresAsync(s.Id("bo"))).Get(Figure.Collections, nov));
        await RepBook(s.Id("bo")).FlushAsync().Within(); // the customer's share is delivered behind the answer (ADR 0008)
        Assert.Equal(5_000, (await Grains.GetGrain<ICustomerGrain>(s.Id("c")).GetSnapshotAsync()).Collections);
    }

    [Fact]
    public async Task BatchWithDependentEvents_AppliesThemInBatchOrder()
    {
        var s = new Scenario("batch");
        var events = new SalesEvent[]
        {
            s.Region("r"), s.Rep("cy", "r"), s.Customer("c"), s.Open("o1", "cy", "c", 10_000, h: 1),
            s.Stage("o1", "contract_negotiation", 2), s.Activity("cy", 3, "c"), s.Won("o1", 4),
        };
        var outcomes = await fixture.Ingestor.IngestBatchAsync(events).Within();
        AllAccepted(outcomes);
        var rep = await RepFiguresAsync(s.Id("cy"));
        Assert.Equal(10_000, rep.Get(Figure.Bookings, Period.OfMonth(2026, 11)));
        Assert.Equal(1, rep.Get(Figure.ActivityCount, Period.OfMonth(2026, 11), (short)ActivityType.Call, (short)TimeCategory.T1));
    }

    [Fact]
    public async Task FallingBehindMustAchievePace_RaisesOneAlert()
    {
        var s = new Scenario("pace") { T0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero) };
        var log = Grains.GetGrain<IAlertLogGrain>(0);
        var before = (await log.ReadAfterAsync(0, 100_000).Within()).LastOrDefault()?.Sequence ?? 0;

        // Now is mid-November: half the month is gone with nothing booked against 300,000.
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("dee", "r"), s.RepTarget("dee", "2026-11", 300_000, 400_000)));
        await RepBook(s.Id("dee")).CheckPaceAsync().Within();

        // The same check finds the rep's activity plan behind too (its own alert kind).
        var alerts = (await log.ReadAfterAsync(before, 100_000).Within()).Where(a => a.SubjectId == s.Id("dee") && a.Kind != (byte)AlertKind.ActivityPlanBehind).ToList();
        var alert = Assert.Single(alerts);
        Assert.Equal((byte)AlertKind.BehindPace, alert.Kind);
        Assert.Equal(Period.OfMonth(2026, 11).Code, alert.Period);
        Assert.True(alert.Expected > 0 && alert.Actual == 0, alert.Message);
    }

    [Fact]
    public async Task BigDealWon_RaisesCelebrationAlert()
    {
        var s = new Scenario("bigdeal");
        var log = Grains.GetGrain<IAlertLogGrain>(0);
        var before = (await log.ReadAfterAsync(0, 100_000).Within()).LastOrDefault()?.Sequence ?? 0;
        AllAccepted(await IngestAsync(
            s.Region("r"), s.Rep("eve", "r"), s.Customer("c"),
            s.Open("small", "eve", "c", 1_000, h: 1), s.Won("small", 2),
            s.Open("big", "eve", "c", 750_000, h: 1), s.Won("big", 3)));

        var alerts = (await log.ReadAfterAsync(before, 100_000).Within()).Where(a => a.OtherId == s.Id("eve")).ToList();
        var alert = Assert.Single(alerts);
        Assert.Equal((byte)AlertKind.BigDealWon, alert.Kind);
        Assert.Equal(s.Id("big"), alert.SubjectId);
        Assert.Equal(750_000, alert.Actual);
    }

    [Fact]
    public async Task RepOvertakesAnotherOnAWatchedBoard_RaisesOvertakeAlert_UnwatchedDoesNot()
    {
        var s = new Scenario("overtake");
        var log = Grains.GetGrain<IAlertLogGrain>(0);
        var before = (await log.ReadAfterAsync(0, 100_000).Within()).LastOrDefault()?.Sequence ?? 0;
        var nov = Period.OfMonth(2026, 11);
        AllAccepted(await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), s.Rep("bob", "r"), s.Customer("c"),
            s.Open("a1", "ann", "c", 50_000, h: 1), s.Won("a1", 2), s.Open("b1", "bob", "c", 30_000, h: 1), s.Won("b1", 2)));

        // Both wins reach the region before the watch begins: delivered behind the ack, a late one would enter the
        // watched board after the watch and raise an overtake of its own.
        await Task.WhenAll(RepBook(s.Id("ann")).FlushAsync().Within(), RepBook(s.Id("bob")).FlushAsync().Within());
        await Grains.GetGrain<IRegionGrain>(s.Id("r")).FlushAsync().Within();
        await Grains.GetGrain<IRegionGrain>(s.Id("r")).WatchBoardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, TimeSpan.FromMinutes(5)).Within();

        // Bob passes Ann on bookings (watched) and on collections (not watched).
        AllAccepted(await IngestAsync(s.Payment("ann", "c", 10, 3), s.Open("b2", "bob", "c", 40_000, h: 3), s.Won("b2", 4), s.Payment("bob", "c", 20, 5)));
        await Task.WhenAll(RepBook(s.Id("ann")).FlushAsync().Within(), RepBook(s.Id("bob")).FlushAsync().Within());
        await Grains.GetGrain<IRegionGrain>(s.Id("r")).FlushAsync().Within();

        var alerts = (await log.ReadAfterAsync(before, 100_000).Within()).Where(a => a.Kind == (byte)AlertKind.Overtake && a.ScopeId == s.Id("r")).ToList();
        var alert = Assert.Single(alerts);
        Assert.Equal((s.Id("bob"), s.Id("ann"), nameof(LeaderboardMetric.Bookings)), (alert.SubjectId, alert.OtherId, alert.Metric));
        Assert.Equal(1, alert.Actual);
    }

    [Fact]
    public async Task ABoardWatchedAgain_DoesNotAnnounceTheOvertakesOfWhileNobodyWatched_AndStartsBestRanksAgain()
    {
        var s = new Scenario("rewatch");
        var log = Grains.GetGrain<IAlertLogGrain>(0);
        var region = Grains.GetGrain<IRegionGrain>(s.Id("r"));
        var nov = Period.OfMonth(2026, 11);
        async Task SettleAsync()
        {
            await Task.WhenAll(RepBook(s.Id("ann")).FlushAsync().Within(), RepBook(s.Id("bob")).FlushAsync().Within(), RepBook(s.Id("cat")).FlushAsync().Within());
            await region.FlushAsync().Within();
        }

        AllAccepted(await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), s.Rep("bob", "r"), s.Rep("cat", "r"), s.Customer("c"),
            s.Open("a1", "ann", "c", 50_000, h: 1), s.Won("a1", 2), s.Open("b1", "bob", "c", 30_000, h: 1), s.Won("b1", 2),
            s.Open("c1", "cat", "c", 1_000, h: 1), s.Won("c1", 2)));
        await SettleAsync();

        // Watched for a second: nothing moves. Then, unwatched, Bob passes Ann.
        await region.WatchBoardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, TimeSpan.FromSeconds(1)).Within();
        await SettleAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        AllAccepted(await IngestAsync(s.Open("b2", "bob", "c", 40_000, h: 3), s.Won("b2", 4)));
        await SettleAsync();
        var before = (await log.ReadAfterAsync(0, 100_000).Within()).LastOrDefault()?.Sequence ?? 0;

        // Watched again, and the board changes (Cat's win moves nobody past anybody): no overtake of last night's moves.
        await region.WatchBoardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, TimeSpan.FromMinutes(5)).Within();
        AllAccepted(await IngestAsync(s.Open("c2", "cat", "c", 500, h: 5), s.Won("c2", 6)));
        await SettleAsync();

        Assert.DoesNotContain((await log.ReadAfterAsync(before, 100_000).Within()), a => a.Kind == (byte)AlertKind.Overtake && a.ScopeId == s.Id("r"));
        Assert.Equal(2, (await region.GetLeaderboardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, 10, "", 0).Within()).Top.Single(r => r.RepId == s.Id("ann")).Rank);

        // The reps' best ranks start again with the new watch (ADR 0036): Ann was #2 when it began, so retaking #1 is a
        // new best of this watch and is announced, though she held #1 when the board was first watched; Bob, #1 when
        // it began, taking #1 back is not.
        AllAccepted(await IngestAsync(s.Open("a2", "ann", "c", 100_000, h: 7), s.Won("a2", 8)));
        await SettleAsync();
        Assert.Equal(1, (await region.GetLeaderboardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, 10, "", 0).Within()).Top.Single(r => r.RepId == s.Id("ann")).Rank);
        AllAccepted(await IngestAsync(s.Open("b3", "bob", "c", 100_000, h: 9), s.Won("b3", 10)));
        await SettleAsync();
        Assert.Equal(1, (await region.GetLeaderboardAsync(nov.Code, (byte)LeaderboardMetric.Bookings, 10, "", 0).Within()).Top.Single(r => r.RepId == s.Id("bob")).Rank);
        var overtake = Assert.Single(await log.ReadAfterAsync(before, 100_000).Within(), a => a.Kind == (byte)AlertKind.Overtake && a.ScopeId == s.Id("r"));
        Assert.Equal((s.Id("ann"), s.Id("bob"), 1L, 2L), (overtake.SubjectId, overtake.OtherId, overtake.Actual, overtake.Expected));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RollupCallFails_IsRetriedAndCountedExactlyOnce(bool failAfterApplying)
    {
        var s = new Scenario($"fault-rollup-{failAfterApplying}");
        var nov = Period.OfMonth(2026, 11);
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("fay", "r"), s.Customer("c")));

        // The rep accepts the payment and queues the roll-up; the failed call stays queued for a retry.
        FaultInjection.FailNext(nameof(IRegionGrain.ApplyRollupAsync), s.Id("r"), failAfterApplying);
        var payment = s.Payment("fay", "c", 1_000, 2);
        Assert.Equal(OutcomeCode.Accepted, (await IngestAsync(payment))[0].Code);
        Assert.Equal(OutcomeCode.Duplicate, (await IngestAsync(payment))[0].Code);

        // The queued roll-up goes again (behind the answers: a flush may return with the failing send, and the retry
        // follows within a second); the region applies each roll-up once.
        AllAccepted(await IngestAsync(s.Payment("fay", "c", 20, 3)));
        var region = 0L;
        await Wait.UntilAsync(
            async () =>
            {
                await RepBook(s.Id("fay")).FlushAsync().Within();
                region = (await RegionFiguresAsync(s.Id("r"))).Get(Figure.Collections, nov);
                return region >= 1_020;
            },
            () => $"the region's collections to reach 1020 (last: {region})");
        Assert.Equal(1_020, (await RegionFiguresAsync(s.Id("r"))).Get(Figure.Collections, nov));
        Assert.Equal(1_020, (await RepFiguresAsync(s.Id("fay"))).Get(Figure.Collections, nov));
    }

    /// <summary>
    /// The carrier durable reps send roll-ups through: many senders' roll-ups reach the region together, each applied
    /// once; a repeat is ignored; a failed call fails every roll-up it carried, and sending them again applies each once.
    /// </summary>
    [Fact]
    public async Task RollupCarrier_AppliesEachSendersRollupOnce_AcrossBatchesRepeatsAndAFailedCall()
    {
        var s = new Scenario("carrier");
        AllAccepted(await IngestAsync(s.Region("r")));
        var carrier = new RollupCarrier(new GrainRefs(Grains));
        var nov = Period.OfMonth(2026, 11);
        var key = new FigureKey(Figure.Collections, nov, 0, 0);
        Rollup Amount(long value)
        {
            var set = new FigureSet();
            set.Add(key, value);
            return new Rollup(Counter.From(set), []);
        }

        async Task<long> CollectedAsync() => (await RegionFiguresAsync(s.Id("r"))).Get(Figure.Collections, nov);

        await Task.WhenAll(Enumerable.Range(1, 40).Select(i => carrier.SendAsync(s.Id("r"), new RollupItem($"{s.Id("sender")}{i}", 1, Amount(i), 1))).ToArray()).Within();
        Assert.Equal(820, await CollectedAsync());

        await carrier.SendAsync(s.Id("r"), new RollupItem($"{s.Id("sender")}7", 1, Amount(7), 1)).Within();
        Assert.Equal(820, await CollectedAsync());

        FaultInjection.FailNext(nameof(IRegionGrain.ApplyRollupsAsync), s.Id("r"), afterApplying: true);
        var failed = Enumerable.Range(1, 3).Select(i => carrier.SendAsync(s.Id("r"), new RollupItem($"{s.Id("sender")}{i}", 2, Amount(1_000), 2))).ToArray();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(failed).Within());
        await Task.WhenAll(Enumerable.Range(1, 3).Select(i => carrier.SendAsync(s.Id("r"), new RollupItem($"{s.Id("sender")}{i}", 2, Amount(1_000), 2))).ToArray()).Within();
        Assert.Equal(3_820, await CollectedAsync());
    }

    /// <summary>
    /// The carrier durable deal books and customers send credits through (ADR 0039): many senders' credits reach the rep
    /// book in one call, each applied once; a repeat is ignored; a failed call fails every credit it carried, and
    /// sending them again applies each once.
    /// </summary>
    [Fact]
    public async Task CreditCarrier_AppliesEachSendersCreditOnce_AcrossBatchesRepeatsAndAFailedCall()
    {
        var s = new Scenario("credit-carrier");
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("ivy", "r")));
        var carrier = new CreditCarrier(new GrainRefs(Grains));
        var nov = Period.OfMonth(2026, 11);
        var book = RepBooks.Of(s.Id("ivy")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        CreditsItem Item(int sender, long sequence, long value) => new(
            $"{s.Id("deals")}{sender}",
            sequence,
            sequence,
            [new RepCredits(s.Id("ivy"), [Credit.From(new CreditItem(Figure.Bookings, 0, 0, value, s.At(2), null))])],
            AcceptedAt: 0);
        async Task<long> BookedAsync() => (await RepFiguresAsync(s.Id("ivy"))).Get(Figure.Bookings, nov);

        await Task.WhenAll(Enumerable.Range(1, 40).Select(i => carrier.SendAsync(book, Item(i, 1, i))).ToArray()).Within();
        Assert.Equal(820, await BookedAsync());

        await carrier.SendAsync(book, Item(7, 1, 7)).Within();
        Assert.Equal(820, await BookedAsync());

        FaultInjection.FailNext(nameof(IRepBookGrain.CreditAsync), RepBookKey(s.Id("ivy")), afterApplying: true);
        var failed = Enumerable.Range(1, 3).Select(i => carrier.SendAsync(book, Item(i, 2, 1_000))).ToArray();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(failed).Within());
        await Task.WhenAll(Enumerable.Range(1, 3).Select(i => carrier.SendAsync(book, Item(i, 2, 1_000))).ToArray()).Within();
        Assert.Equal(3_820, await BookedAsync());
    }

    /// <summary>
    /// Orleans rejects a message for an activation that is going away; ingest calls again rather than answering
    /// UNAVAILABLE (twice at most), so the event is accepted and counted once; a third rejection in a row is answered
    /// UNAVAILABLE and changes nothing.
    /// </summary>
    [Fact]
    public async Task RejectedCall_IsMadeAgainByIngest_AndAnsweredUnavailableOnlyWhenRejectionsPersist()
    {
        var s = new Scenario("rejected");
        var nov = Period.OfMonth(2026, 11);
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("hal", "r"), s.Customer("c")));

        FaultInjection.RejectNext(nameof(IRepBookGrain.ApplyAsync), RepBookKey(s.Id("hal")), times: 2);
        Assert.Equal(OutcomeCode.Accepted, (await IngestAsync(s.Payment("hal", "c", 500, 2)))[0].Code);

        FaultInjection.RejectNext(nameof(IRepBookGrain.ApplyAsync), RepBookKey(s.Id("hal")), times: 3);
        var refused = s.Payment("hal", "c", 70, 3);
        Assert.Equal(OutcomeCode.Unavailable, (await IngestAsync(refused))[0].Code);
        Assert.Equal(500, (await RepFiguresAsync(s.Id("hal"))).Get(Figure.Collections, nov));

        Assert.Equal(OutcomeCode.Accepted, (await IngestAsync(refused))[0].Code);
        Assert.Equal(570, (await RepFiguresAsync(s.Id("hal"))).Get(Figure.Collections, nov));
        await RepBook(s.Id("hal")).FlushAsync().Within();
        Assert.Equal(570, (await RegionFiguresAsync(s.Id("r"))).Get(Figure.Collections, nov));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CreditCallFails_IsRetriedAndCountedExactlyOnce(bool failAfterApplying)
    {
        var s = new Scenario($"fault-credit-{failAfterApplying}");
        var nov = Period.OfMonth(2026, 11);
        AllAccepted(await IngestAsync(s.Region("r"), s.Rep("gus", "r"), s.Customer("c"), s.Open("o", "gus", "c", 9_000, h: 1)));

        FaultInjection.FailNext(nameof(IRepBookGrain.CreditAsync), RepBookKey(s.Id("gus")), failAfterApplying);
        Assert.Equal(OutcomeCode.Accepted, (await IngestAsync(s.Won("o", 5)))[0].Code);

        // A stale loss (older than the win) changes nothing, but its delivery sends the queued credit first.
        AllAccepted(await IngestAsync(s.Lost("o", 4)));
        var rep = await RepFiguresAsync(s.Id("gus"));
        Assert.Equal(9_000, rep.Get(Figure.Bookings, nov));
        Assert.Equal(1, rep.Get(Figure.WonCount, nov));
        Assert.Equal(0, rep.Get(Figure.PipelineCount, Period.None, 2));
    }
}
