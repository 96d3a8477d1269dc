using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The engine driven to its sum bound (ADR 0012): every deal book filled with as much as it takes, one rep's book
/// paid all it takes. Every figure reads exactly, none wraps, and the next event that would go past is refused.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SumBoundTests(ClusterFixture fixture)
{
    /// <summary>Room left in each book for the small deals other tests of this cluster put there.</summary>
    private const long Slack = 10_000_000_000;

    private const long Big = EventValidator.MaxAmount;

    [Fact]
    public void BoundCounts_MatchTheGrainBooks()
    {
        Assert.Equal(OpportunityBooks.Count, SumBound.DealBooks);
        Assert.Equal(RepBooks.Count, SumBound.RepBooks);
    }

    [Fact]
    public async Task EveryDealBookFilledAndOneRepBookPaidToTheBound_FiguresExactAndTheNextEventRefused()
    {
        // A month no other test in this cluster uses, so the company's bookings for it are this test's alone.
        var s = new Scenario("bound") { T0 = new DateTimeOffset(2033, 5, 1, 0, 0, 0, TimeSpan.Zero) };
        var may = Period.OfMonth(2033, 5);
        await AcceptedAsync([s.Region("r"), s.Rep("ann", "r"), s.Customer("acme")]);

        // Three deals in every deal book: two of the largest amount and one with the rest of the book's bound.
        var rest = SumBound.BookAmounts - (2 * Big) - Slack;
        var deals = DealIdsPerBook(s, 3);
        var opens = deals.SelectMany(book => book.Select((name, i) => (SalesEvent)s.Open(name, "ann", "acme", i < 2 ? Big : rest, h: 1))).ToList();
        await AcceptedAsync(opens);
        var total = SumBound.DealBooks * (SumBound.BookAmounts - Slack);

        await Wait.UntilAsync(async () => Pipeline(await RegionAsync(s.Id("r"))) == total, "the pipeline reaches the region", TimeSpan.FromSeconds(30));
        Assert.Equal(total, Pipeline(await RepAsync(s.Id("ann"))));

        // Past the bound: a fourth big deal in a full book, a raise, a win for more: each refused, naming amount.
        var book0 = deals[0];
        foreach (var e in new SalesEvent[]
        {
            s.Open(DealIdsPerBook(s, 4)[0][3], "ann", "acme", Big, h: 2),
            s.Amount(book0[2], rest + Slack + 1, 2),
            s.Won(book0[2], 2, amount: rest + Slack + 1),
        })
        {
            var refused = await fixture.Ingestor.IngestAsync(e).Within();
            Assert.True(refused.Code == OutcomeCode.FailedPrecondition && refused.Field is "amount" or "opportunity_id", $"{e}: {refused}");
        }

        // Lowering is always allowed, and frees room for a raise back.
        await AcceptedAsync([s.Amount(book0[2], rest - 5, 3), s.Amount(book0[2], rest, 4)]);

        // Every deal won in May: bookings at the bound, exactly, in the rep, its region, the company and the customer.
        await AcceptedAsync(deals.SelectMany(b => b).Select(name => (SalesEvent)s.Won(name, 24 * 10)).ToList());
        await Wait.UntilAsync(async () => (await RegionAsync("company")).Get(Figure.Bookings, may) == total, "the bookings reach the company", TimeSpan.FromSeconds(30));
        Assert.Equal(total, (await RepAsync(s.Id("ann"))).Get(Figure.Bookings, may));
        Assert.Equal(total, (await RegionAsync(s.Id("r"))).Get(Figure.Bookings, may));
        await Wait.UntilAsync(async () => (await Customer(s.Id("acme")).GetSnapshotAsync().Within()).LifetimeValue == total, "the customer's lifetime value");

        // One rep book paid up to its bound, then one unit more is refused.
        var payments = Enumerable.Range(0, (int)(SumBound.BookPayments / Big)).Select(i => (SalesEvent)s.Payment("ann", "acme", Big, 24 * 11)).ToList();
        payments.Add(s.Payment("ann", "acme", SumBound.BookPayments - (payments.Count * Big) - Slack, 24 * 11));
        await AcceptedAsync(payments);
        var tooMuch = await fixture.Ingestor.IngestAsync(s.Payment("ann", "acme", Slack + 1, 24 * 11)).Within();
        Assert.True(tooMuch.Code == OutcomeCode.FailedPrecondition && tooMuch.Field == "amount", tooMuch.ToString());
        await Wait.UntilAsync(async () => (await RegionAsync(s.Id("r"))).Get(Figure.Collections, may) == SumBound.BookPayments - Slack, "the collections reach the region");
        Assert.Equal(SumBound.BookPayments - Slack, (await RepAsync(s.Id("ann"))).Get(Figure.Collections, may));
    }

    /// <summary>Opportunity names of this scenario (<see cref="Scenario.Id"/> makes the ids), <paramref name="perBook"/> for every deal book.</summary>
    private static List<string>[] DealIdsPerBook(Scenario s, int perBook)
    {
        var books = Enumerable.Range(0, SumBound.DealBooks).Select(_ => new List<string>(perBook)).ToArray();
        var missing = SumBound.DealBooks;
        for (var n = 0; missing > 0; n++)
        {
            var name = $"d{n}";
            var book = books[OpportunityBooks.Of(s.Id(name))];
            if (book.Count < perBook)
            {
                book.Add(name);
                missing -= book.Count == perBook ? 1 : 0;
            }
        }

        return books;
    }

    /// <summary>Open amount over every stage (LINQ's sum is checked: it would throw, not wrap).</summary>
    private static long Pipeline(FigureSet f) => f.Values.Where(kv => kv.Key.Figure == Figure.PipelineAmount).Sum(kv => kv.Value);

    private async Task AcceptedAsync(IReadOnlyList<SalesEvent> events)
    {
        foreach (var chunk in events.Chunk(500))
        {
            var outcomes = await fixture.Ingestor.IngestBatchAsync(chunk).Within(TimeSpan.FromSeconds(60));
            Assert.All(outcomes, o => Assert.True(o.IsAccepted, $"{o.Code} {o.Field} {o.Message}"));
        }
    }

    private async Task<FigureSet> RegionAsync(string id) =>
        Counter.ToSet((await fixture.Client.GetGrain<IRegionGrain>(id).GetSnapshotAsync().Within()).Counters);

    private async Task<FigureSet> RepAsync(string id) =>
        Counter.ToSet((await fixture.Client.GetGrain<IRepBookGrain>(RepBooks.Of(id)).GetSnapshotAsync(id).Within()).Counters);

    private ICustomerGrain Customer(string id) => fixture.Client.GetGrain<ICustomerGrain>(id);
}
