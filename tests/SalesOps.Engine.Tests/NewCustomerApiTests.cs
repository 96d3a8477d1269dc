using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>New customers end to end: the real server over a real gRPC channel (docs/semantics.md, "New customers").</summary>
[Collection(ServerCollection.Name)]
public sealed class NewCustomerApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private async Task<V1.Figures> RepAsync(string rep) =>
        (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = rep, Period = "2026-11" }, deadline: Due)).Figures;

    private async Task<V1.Figures> RegionAsync(string region) =>
        (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = region, Period = "2026-11" }, deadline: Due)).Figures;

    [Fact]
    public async Task EarlierWinArrivingLate_MovesTheNewCustomerToItsOwner_InRepAndRegionFigures()
    {
        var s = new Scenario("api-newcust");
        await IngestAsync(
            s.Region("r"), s.Region("r-east", "r"), s.Region("r-west", "r"), s.Rep("ann", "r-east"), s.Rep("bob", "r-west"), s.Customer("acme"),
            s.Open("o1", "ann", "acme", 60_000), s.Open("o2", "bob", "acme", 30_000), s.Open("o3", "bob", "acme", 20_000),
            s.Won("o1", 5), s.Won("o2", 6));
        // The new-customer credit comes from the customer after the deal book's booking: wait for both at the top.
        await Wait.UntilAsync(
            async () => await RegionAsync(s.Id("r")) is { Bookings: 90_000, NewCustomers: 1 } && (await RepAsync(s.Id("ann"))).NewCustomers == 1,
            "both wins and the new customer rolled up to region r");

        var region = await RegionAsync(s.Id("r"));
        Assert.Equal((1L, 60_000L, 30_000L), (region.NewCustomers, region.NewCustomerBookings, region.RepeatBookings));
        var ann = await RepAsync(s.Id("ann"));
        Assert.Equal((1L, 60_000L, 0L), (ann.NewCustomers, ann.NewCustomerBookings, ann.RepeatBookings));

        // Bob's o3 was won before either, and arrives last: acme's first order is now his.
        await IngestAsync(s.Won("o3", 3));

        await Wait.UntilAsync(
            async () => (await RegionAsync(s.Id("r-west"))).NewCustomers == 1 && (await RegionAsync(s.Id("r-east"))).NewCustomers == 0
                && await RegionAsync(s.Id("r")) is { Bookings: 110_000, NewCustomerBookings: 20_000 },
            "the new customer moved from r-east to r-west, and up to r");
        ann = await RepAsync(s.Id("ann"));
        Assert.Equal((0L, 0L, 60_000L), (ann.NewCustomers, ann.NewCustomerBookings, ann.RepeatBookings));
        var bob = await RepAsync(s.Id("bob"));
        Assert.Equal((1L, 20_000L, 30_000L, 50_000L), (bob.NewCustomers, bob.NewCustomerBookings, bob.RepeatBookings, bob.Bookings));
        region = await RegionAsync(s.Id("r"));
        Assert.Equal((1L, 20_000L, 90_000L, 110_000L), (region.NewCustomers, region.NewCustomerBookings, region.RepeatBookings, region.Bookings));
    }

    [Fact]
    public async Task NewCustomerTarget_ReportsItsActualAndAttainment()
    {
        var s = new Scenario("api-newcust-target");
        await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Customer("beta"),
            new TargetSet(s.NextEventId(), s.At(0), TargetScope.Rep, s.Id("ann"), Period.OfMonth(2026, 11), TargetMetric.NewCustomers, 4, 5),
            s.Open("o1", "ann", "acme", 10_000), s.Open("o2", "ann", "beta", 10_000), s.Open("o3", "ann", "beta", 10_000),
            s.Won("o1", 5), s.Won("o2", 6), s.Won("o3", 7));

        await Wait.UntilAsync(async () => (await RepAsync(s.Id("ann"))).NewCustomers == 2, "two new customers for ann");
        var target = Assert.Single((await RepAsync(s.Id("ann"))).Targets);
        Assert.Equal((V1.TargetMetric.NewCustomers, 2L, 4L, 0.5), (target.Metric, target.Actual, target.MustAchieve, target.MustAttainment));
    }
}
