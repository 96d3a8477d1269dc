using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Persistence;

namespace SalesOps.Engine.Tests;

/// <summary>
/// A real incoming-call filter that fails every call of a method on a grain until the test releases it, or holds such
/// calls until the test lets them go (<see cref="Hold"/>), counting them until the test forgets them.
/// </summary>
public sealed class BlockedCalls : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string Method, string Key), bool> Blocked = new();
    private static readonly ConcurrentDictionary<(string Method, string Key), (TaskCompletionSource Gate, StrongBox<int> Calls)> Held = new();

    public static void Block(string method, string key) => Blocked[(method, key)] = true;

    public static void Release(string method, string key) => Blocked.TryRemove((method, key), out _);

    /// <summary>Holds the calls of <paramref name="method"/> on the grain until <see cref="LetGo"/>.</summary>
    public static void Hold(string method, string key) =>
        Held[(method, key)] = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new StrongBox<int>());

    /// <summary>Lets the held calls (and later ones) run, still counting them; answers how many came while held.</summary>
    public static int LetGo(string method, string key)
    {
        if (!Held.TryGetValue((method, key), out var held))
        {
            return 0;
        }

        var calls = Volatile.Read(ref held.Calls.Value);
        held.Gate.TrySetResult();
        return calls;
    }

    /// <summary>Stops holding and counting; answers how many calls came since <see cref="Hold"/>.</summary>
    public static int Forget(string method, string key)
    {
        if (!Held.TryRemove((method, key), out var held))
        {
            return 0;
        }

        held.Gate.TrySetResult();
        return Volatile.Read(ref held.Calls.Value);
    }

    /// <summary>How many calls of the held method came so far.</summary>
    public static int HeldCalls(string method, string key) => Held.TryGetValue((method, key), out var held) ? Volatile.Read(ref held.Calls.Value) : 0;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var target = (context.InterfaceMethod?.Name ?? "", context.TargetId.Key.ToString() ?? "");
        if (Blocked.ContainsKey(target))
        {
            throw new TimeoutException($"{target.Item1} on {target.Item2} is blocked by the test");
        }

        if (Held.TryGetValue(target, out var held))
        {
            Interlocked.Increment(ref held.Calls.Value);
            await held.Gate.Task;
        }

        await context.Invoke();
    }
}

/// <summary>
/// A one-silo cluster whose grains may hold only <see cref="Bound"/> undelivered messages, so the tests reach the bound
/// in a few events. Its own collection per storage mode: the bound counts a whole book's outboxes, so no other test
/// may share its books.
/// </summary>
public abstract class BackPressureFixture : IAsyncLifetime
{
    public const int Bound = 3;

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public EventIngestor Ingestor { get; private set; } = null!;

    /// <summary>Where grains keep their state: memory, or a durable store.</summary>
    protected abstract void UseStorage(ISiloBuilder silo);

    /// <summary>Durable mode: grains journal, send through carriers, and ingest merges its book calls, as a server does.</summary>
    public abstract bool Durable { get; }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            UseStorage(silo);
            silo.Services.AddSalesOpsEngine(configure: o => o.MaxUndeliveredMessages = Bound);
            silo.AddIncomingGrainCallFilter<BlockedCalls>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var refs = new GrainRefs(Cluster.Client);
        var settings = new EngineOptions().ToSettings();
        Ingestor = new EventIngestor(refs, new BookCalls(refs, merge: Durable), new KnownEntities(refs), settings, new EngineClock(TimeProvider.System), NullLogger<EventIngestor>.Instance);
    }

    public virtual async Task DisposeAsync() => await Cluster.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
}

/// <summary>Memory mode: grains keep their state in memory and send by direct calls.</summary>
public sealed class MemoryBackPressureFixture : BackPressureFixture
{
    public override bool Durable => false;

    protected override void UseStorage(ISiloBuilder silo) => silo.KeepStateInMemory();
}

/// <summary>
/// Durable mode on the embedded store (a SQLite file in a folder of its own): grains journal what they take, snapshot,
/// and send through the carriers (ADR 0039), so the bound is checked on the path a durable server runs.
/// </summary>
public sealed class DurableBackPressureFixture : BackPressureFixture
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "salesops-back-pressure-" + Guid.NewGuid().ToString("N"));

    public override bool Durable => true;

    protected override void UseStorage(ISiloBuilder silo)
    {
        silo.UseSqliteStorage();
        silo.Services.AddSqliteJournal(_folder);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// Not run beside other collections: <see cref="BlockedCalls"/> is one static registry keyed by method and grain key,
/// and a book of the same number in another cluster (the other mode's back-pressure cluster, or the two-silo durable
/// cluster) would be blocked or released with this one's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryBackPressureCollection : ICollectionFixture<MemoryBackPressureFixture>
{
    public const string Name = "back-pressure";
}

/// <summary>Not run beside other collections, as <see cref="MemoryBackPressureCollection"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DurableBackPressureCollection : ICollectionFixture<DurableBackPressureFixture>
{
    public const string Name = "back-pressure (durable)";
}

[Collection(MemoryBackPressureCollection.Name)]
public sealed class MemoryBackPressureTests(MemoryBackPressureFixture fixture) : BackPressureTests(fixture);

/// <summary>The same promises in durable mode, and one only it can keep: a backlog at the bound survives a deactivation.</summary>
[Collection(DurableBackPressureCollection.Name)]
public sealed class DurableBackPressureTests(DurableBackPressureFixture fixture) : BackPressureTests(fixture)
{
    /// <summary>
    /// A deal book held at the bound by a rep book that fails every call goes away with its backlog: the backlog is in its
    /// snapshot and journal, the refused event was never journaled, and once the rep book answers again every accepted
    /// deal reaches the rep once, and the refused one when it is sent again.
    /// </summary>
    [Fact]
    public async Task DealBookDeactivatedAtTheBound_KeepsItsBacklog_AndTheRepGetsEveryDealOnce()
    {
        var s = new Scenario("bp-durable");
        await AcceptedAsync(s.Region("east"), s.Rep("eve", "east"), s.Customer("acme"));
        var repBook = Grains.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("eve")));
        var repBookKey = repBook.GetGrainId().Key.ToString()!;
        var book = OpportunityBooks.Of(s.Id("deal-0"));
        var dealBook = Grains.GetGrain<IOpportunityBookGrain>(book);

        BlockedCalls.Block(nameof(IRepBookGrain.CreditAsync), repBookKey);
        List<OpportunityOpened> accepted;
        OpportunityOpened refused;
        try
        {
            var ids = DealsOfOneBook(s, book);
            (accepted, refused) = await IngestUntilRefusedAsync(i => s.Open(ids[i], "eve", "acme", 10_000 + i, h: 1 + i * 0.1));
            await Cluster.DeactivateAsync(dealBook).Within(TimeSpan.FromSeconds(30));

            // Rebuilt from its snapshot and journal, the book is still at the bound: the backlog came back with it.
            Assert.Equal(OutcomeCode.Unavailable, (await IngestAsync(refused)).Code);
            Assert.False((await dealBook.GetSnapshotAsync(refused.OpportunityId).Within()).Opened);
            Assert.True((await dealBook.GetSnapshotAsync(accepted[^1].OpportunityId).Within()).Opened);
        }
        finally
        {
            BlockedCalls.Release(nameof(IRepBookGrain.CreditAsync), repBookKey);
        }

        await ResendUntilAcceptedAsync(refused);
        var expected = accepted.Sum(o => o.Amount) + refused.Amount;
        long amount = 0;
        await Wait.UntilAsync(
            async () =>
            {
                var rep = Counter.ToSet((await repBook.GetSnapshotAsync(s.Id("eve")).Within()).Counters);
                amount = Enumerable.Range(0, 16).Sum(a => rep.Get(Figure.PipelineAmount, default, (short)a));
                return amount >= expected;
            },
            () => $"the rep's pipeline {expected} (last: {amount})",
            TimeSpan.FromSeconds(30));
        await repBook.FlushAsync().Within();
        var settled = Counter.ToSet((await repBook.GetSnapshotAsync(s.Id("eve")).Within()).Counters);
        Assert.Equal(expected, Enumerable.Range(0, 16).Sum(a => settled.Get(Figure.PipelineAmount, default, (short)a))); // once each
    }
}

/// <summary>
/// Outboxes are bounded (ADR 0015): a grain whose destination fails every call refuses new events once it holds the
/// bound of undelivered messages, unapplied and answered UNAVAILABLE; once the destination answers again the backlog
/// is delivered and events are taken again; nothing is lost or counted twice. Run in both storage modes.
/// </summary>
public abstract class BackPressureTests(BackPressureFixture fixture)
{
    private static readonly Period November = Period.OfMonth(2026, 11);

    protected IGrainFactory Grains => fixture.Cluster.Client;

    protected InProcessTestCluster Cluster => fixture.Cluster;

    /// <summary>Fifty deal names of the scenario whose deals all fall in <paramref name="book"/>, so they share its bound.</summary>
    protected static string[] DealsOfOneBook(Scenario s, long book) =>
        Enumerable.Range(0, 100_000).Select(i => $"deal-{i}").Where(id => OpportunityBooks.Of(s.Id(id)) == book).Take(50).ToArray();

    /// <summary>Fails every roll-up to the region: one by one (memory mode) and carried (durable mode, ADR 0039).</summary>
    private static void BlockRollups(string region)
    {
        BlockedCalls.Block(nameof(IRegionGrain.ApplyRollupAsync), region);
        BlockedCalls.Block(nameof(IRegionGrain.ApplyRollupsAsync), region);
    }

    private static void ReleaseRollups(string region)
    {
        BlockedCalls.Release(nameof(IRegionGrain.ApplyRollupAsync), region);
        BlockedCalls.Release(nameof(IRegionGrain.ApplyRollupsAsync), region);
    }

    protected Task<Outcome> IngestAsync(SalesEvent e) => fixture.Ingestor.IngestAsync(e).Within();

    protected async Task AcceptedAsync(params SalesEvent[] events)
    {
        foreach (var e in events)
        {
            var outcome = await IngestAsync(e);
            Assert.True(outcome.IsAccepted, $"{e.EventId}: {outcome.Code} {outcome.Field} {outcome.Message}");
        }
    }

    /// <summary>
    /// Sends events made by <paramref name="next"/> until one is refused; returns the accepted ones and the refused one.
    /// With <paramref name="held"/>, a refused event is sent again a few times first, so the refusal returned holds after
    /// the grain's other messages (its roll-ups, still in flight at a first refusal) were delivered: the grain is then
    /// held at the bound by its blocked destination alone.
    /// </summary>
    protected async Task<(List<T> Accepted, T Refused)> IngestUntilRefusedAsync<T>(Func<int, T> next, bool held = false)
        where T : SalesEvent
    {
        var accepted = new List<T>();
        for (var i = 0; i < 50; i++)
        {
            var e = next(i);
            var outcome = await IngestAsync(e);
            for (var retry = 0; held && retry < 5 && outcome.Code == OutcomeCode.Unavailable; retry++)
            {
                await Task.Delay(100);
                outcome = await IngestAsync(e);
            }

            if (outcome.Code == OutcomeCode.Unavailable)
            {
                return (accepted, e);
            }

            Assert.True(outcome.IsAccepted, $"{e.EventId}: {outcome.Code} {outcome.Message}");
            accepted.Add(e);
        }

        throw new Xunit.Sdk.XunitException("no event was refused for good although the destination failed every call");
    }

    /// <summary>Re-sends a refused event until it is accepted: it was not applied, so it is never a duplicate.</summary>
    protected async Task ResendUntilAcceptedAsync(SalesEvent e)
    {
        var last = Outcome.Accepted;
        await Wait.UntilAsync(
            async () =>
            {
                last = await IngestAsync(e);
                Assert.NotEqual(OutcomeCode.Duplicate, last.Code);
                return last.IsAccepted;
            },
            () => $"{e.EventId} accepted after the release (last: {last.Code} {last.Message})",
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task RepBookWhoseRegionFailsEveryCall_RefusesEventsAtTheBoundThenTakesThemAfterRelease()
    {
        var s = new Scenario("bp-rep");
        await AcceptedAsync(s.Region("east"), s.Rep("ann", "east"), s.Customer("acme"));
        var book = Grains.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("ann")));
        await book.FlushAsync().Within();

        // The customer's touches are blocked too: delivered meanwhile, they would lower the count of undelivered
        // messages between the refusal and the re-send, and the re-send could be taken while the region is still down.
        BlockRollups(s.Id("east"));
        BlockedCalls.Block(nameof(ICustomerGrain.TouchAsync), s.Id("acme"));
        List<PaymentReceived> accepted;
        PaymentReceived refused;
        try
        {
            (accepted, refused) = await IngestUntilRefusedAsync(i => s.Payment("ann", "acme", 1_000 + i, h: 1 + i * 0.1));
            Assert.InRange(accepted.Count, 1, BackPressureFixture.Bound + 1);

            // Still at the bound: refused again, and not applied (the rep's figures did not move).
            var held = (await book.GetSnapshotAsync(s.Id("ann")).Within()).Counters;
            Assert.Equal(OutcomeCode.Unavailable, (await IngestAsync(refused)).Code);
            Assert.Equal(Counter.ToSet(held).Get(Figure.Collections, November), Counter.ToSet((await book.GetSnapshotAsync(s.Id("ann")).Within()).Counters).Get(Figure.Collections, November));
        }
        finally
        {
            ReleaseRollups(s.Id("east"));
            BlockedCalls.Release(nameof(ICustomerGrain.TouchAsync), s.Id("acme"));
        }

        await ResendUntilAcceptedAsync(refused);
        await book.FlushAsync().Within();
        await Grains.GetGrain<IRegionGrain>(s.Id("east")).FlushAsync().Within();

        var expected = accepted.Sum(p => p.Amount) + refused.Amount;
        var rep = Counter.ToSet((await book.GetSnapshotAsync(s.Id("ann")).Within()).Counters);
        var region = Counter.ToSet((await Grains.GetGrain<IRegionGrain>(s.Id("east")).GetSnapshotAsync().Within()).Counters);
        var customer = await Grains.GetGrain<ICustomerGrain>(s.Id("acme")).GetSnapshotAsync().Within();
        Assert.Equal(expected, rep.Get(Figure.Collections, November));
        Assert.Equal(expected, region.Get(Figure.Collections, November));
        Assert.Equal(expected, customer.Collections);
    }

    [Fact]
    public async Task OpportunityBookWhoseRepBookFailsEveryCall_RefusesEventsAtTheBoundThenTakesThemAfterRelease()
    {
        var s = new Scenario("bp-deal");
        await AcceptedAsync(s.Region("east"), s.Rep("bob", "east"), s.Customer("acme"));
        var repBook = Grains.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("bob")));
        var repBookKey = repBook.GetGrainId().Key.ToString()!;

        BlockedCalls.Block(nameof(IRepBookGrain.CreditAsync), repBookKey);
        List<OpportunityOpened> accepted;
        OpportunityOpened refused;
        try
        {
            // Each deal in a book of its own would never reach a bound: the deals share one book by construction.
            var book = OpportunityBooks.Of(s.Id("deal-0"));
            var ids = DealsOfOneBook(s, book);
            (accepted, refused) = await IngestUntilRefusedAsync(i => s.Open(ids[i], "bob", "acme", 10_000 + i, h: 1 + i * 0.1));
            Assert.InRange(accepted.Count, 1, BackPressureFixture.Bound + 1);
            Assert.Equal(OutcomeCode.Unavailable, (await IngestAsync(refused)).Code);
            Assert.False((await Grains.GetGrain<IOpportunityBookGrain>(book).GetSnapshotAsync(refused.OpportunityId).Within()).Opened);
        }
        finally
        {
            BlockedCalls.Release(nameof(IRepBookGrain.CreditAsync), repBookKey);
        }

        await ResendUntilAcceptedAsync(refused);
        await repBook.FlushAsync().Within();

        var expected = accepted.Sum(o => o.Amount) + refused.Amount;
        var rep = Counter.ToSet((await repBook.GetSnapshotAsync(s.Id("bob")).Within()).Counters);
        Assert.Equal(expected, Enumerable.Range(0, 16).Sum(a => rep.Get(Figure.PipelineAmount, default, (short)a)));
    }

    /// <summary>
    /// Credits carried for many senders at once (durable mode's carrier, ADR 0039) to a rep book held at the bound: the
    /// credit of a sender the book owes messages to is taken, a stranger's is refused alone (its sender keeps it), and
    /// taken once the book drains.
    /// </summary>
    [Fact]
    public async Task CarriedCreditsToARepBookAtTheBound_AreRefusedOnlyForSendersItOwesNothing()
    {
        var s = new Scenario("bp-carried");
        await AcceptedAsync(s.Region("east"), s.Rep("dan", "east"), s.Customer("acme"));
        var book = Grains.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("dan")));
        await book.FlushAsync().Within();
        var carrier = new CreditCarrier(new GrainRefs(Grains));
        var lane = RepBooks.Of(s.Id("dan")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        CreditsItem Item(string sender, long value) => new(
            sender, 1, 1, [new RepCredits(s.Id("dan"), [Credit.From(new CreditItem(Figure.Bookings, 0, 0, value, s.At(2), null))])], AcceptedAt: 0);
        async Task<long> BookedAsync() => Counter.ToSet((await book.GetSnapshotAsync(s.Id("dan")).Within()).Counters).Get(Figure.Bookings, November);

        // The book holds touches for the customer (blocked), so it owes the customer: the customer's credits are taken.
        // A sender is named by its stream, and in memory mode by its activation too.
        string Sender(string grain) => fixture.Durable ? grain : grain + "#carried";
        var owed = Item(Sender($"customer/{s.Id("acme")}"), 700);
        var stranger = Item(Sender($"customer/{s.Id("nobody")}"), 50);
        BlockRollups(s.Id("east"));
        BlockedCalls.Block(nameof(ICustomerGrain.TouchAsync), s.Id("acme"));
        try
        {
            await IngestUntilRefusedAsync(i => s.Payment("dan", "acme", 1_000 + i, h: 1 + i * 0.1), held: true);
            var sends = new[] { carrier.SendAsync(lane, stranger), carrier.SendAsync(lane, owed) };
            await Assert.ThrowsAsync<SalesOps.Runtime.BackPressureException>(() => sends[0].Within());
            await sends[1].Within();
            Assert.Equal(700, await BookedAsync());
        }
        finally
        {
            ReleaseRollups(s.Id("east"));
            BlockedCalls.Release(nameof(ICustomerGrain.TouchAsync), s.Id("acme"));
        }

        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await carrier.SendAsync(lane, stranger).Within();
                    return true;
                }
                catch (SalesOps.Runtime.BackPressureException)
                {
                    return false;
                }
            },
            "the stranger's credit taken once the book drained",
            TimeSpan.FromSeconds(20));
        await carrier.SendAsync(lane, owed).Within(); // a repeat: ignored
        Assert.Equal(750, await BookedAsync());
    }

    /// <summary>
    /// A rep book and a deal book, each over the bound with messages for the other (touches one way, credits the
    /// other), take each other's messages once both answer again: refusing them, each would keep the other over its
    /// bound and both would stall for good (ADR 0023). Every event refused meanwhile is accepted again, once.
    /// </summary>
    [Fact]
    public async Task RepBookAndDealBookOverTheBoundForEachOther_TakeEachOthersMessagesAndDrain()
    {
        var s = new Scenario("bp-pair");
        await AcceptedAsync(s.Region("east"), s.Rep("cat", "east"), s.Customer("acme"));
        var repBook = Grains.GetGrain<IRepBookGrain>(RepBooks.Of(s.Id("cat")));
        var repBookKey = repBook.GetGrainId().Key.ToString()!;
        var book = OpportunityBooks.Of(s.Id("deal-0"));
        var dealBook = Grains.GetGrain<IOpportunityBookGrain>(book);
        var dealBookKey = dealBook.GetGrainId().Key.ToString()!;
        var ids = DealsOfOneBook(s, book);
        await repBook.FlushAsync().Within();

        BlockedCalls.Block(nameof(IRepBookGrain.CreditAsync), repBookKey);
        BlockedCalls.Block(nameof(IOpportunityBookGrain.TouchAsync), dealBookKey);
        List<OpportunityOpened> opened;
        OpportunityOpened refusedOpen;
        List<ActivityLogged> logged;
        ActivityLogged refusedActivity;
        try
        {
            // The deal book queues credits for the rep book, the rep book touches for the deal book, until each refuses.
            (opened, refusedOpen) = await IngestUntilRefusedAsync(i => s.Open(ids[i], "cat", "acme", 10_000 + i, h: 1 + i * 0.01), held: true);
            (logged, refusedActivity) = await IngestUntilRefusedAsync(i =>
                s.Activity("cat", 2 + i * 0.01) with { OpportunityId = s.Id(ids[i % opened.Count]) }, held: true);
        }
        finally
        {
            BlockedCalls.Release(nameof(IRepBookGrain.CreditAsync), repBookKey);
            BlockedCalls.Release(nameof(IOpportunityBookGrain.TouchAsync), dealBookKey);
        }

        // Both destinations answer again, and both grains are still over the bound: each must take the other's backlog.
        await ResendUntilAcceptedAsync(refusedOpen);
        await ResendUntilAcceptedAsync(refusedActivity);
        // The deal book's credits reach the rep with every deal opened and every activity joined, once each.
        var pipeline = opened.Sum(o => o.Amount) + refusedOpen.Amount;
        var activities = logged.Count + 1L;
        var last = "";
        await Wait.UntilAsync(
            async () =>
            {
                var rep = Counter.ToSet((await repBook.GetSnapshotAsync(s.Id("cat")).Within()).Counters);
                var amount = Enumerable.Range(0, 16).Sum(a => rep.Get(Figure.PipelineAmount, default, (short)a));
                var lines = ActivityReport.Build(rep, November).ProductLines;
                last = $"pipeline {amount}, activities by product line {string.Join(", ", lines)}";
                return amount == pipeline && lines is [{ ProductLine: "platform" } line] && line.Count == activities;
            },
            () => $"the rep's pipeline {pipeline} and {activities} platform activities (last: {last})",
            TimeSpan.FromSeconds(20));
    }
}
