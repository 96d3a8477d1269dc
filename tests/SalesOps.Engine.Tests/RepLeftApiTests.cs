using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>A rep leaves the company, end to end: the real server over a real gRPC channel.</summary>
[Collection(ServerCollection.Name)]
public sealed class RepLeftApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private async Task<V1.GetLeaderboardResponse> BoardAsync(string scope) =>
        await server.Query.GetLeaderboardAsync(
            new V1.GetLeaderboardRequest { ScopeRegionId = scope, Period = "2026-11", Metric = V1.LeaderboardMetric.Bookings, Top = 10 },
            deadline: Due);

    private async Task<V1.ListOrphanedOpportunitiesResponse> OrphansAsync(string scope) =>
        await server.Query.ListOrphanedOpportunitiesAsync(new V1.ListOrphanedOpportunitiesRequest { ScopeRegionId = scope }, deadline: Due);

    [Fact]
    public async Task RepLeaves_DropsOffTheCompanyBoard_KeepsHistory_ListsOpenDealsUntilReassigned_AndRefusesLaterEvents()
    {
        var s = new Scenario("api-left");
        await IngestAsync(
            s.Region("r"), s.Region("r-north", "r"), s.Region("elsewhere"), s.Rep("ann", "r-north"), s.Rep("bob", "r-north"), s.Customer("acme"),
            s.Open("o1", "ann", "acme", 60_000, h: 1), s.Won("o1", 5),
            s.Open("o2", "ann", "acme", 50_000, h: 1),
            s.Open("o3", "bob", "acme", 30_000, h: 1), s.Won("o3", 5));
        var company = RegionState.CompanyId;
        await Wait.UntilAsync(
            async () => (await BoardAsync(company)).Top.Any(e => e.RepId == s.Id("ann")) && (await BoardAsync(company)).Top.Any(e => e.RepId == s.Id("bob")),
            "both reps on the company board");
        var companyBookings = (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = company, Period = "2026-11" }, deadline: Due)).Figures.Bookings;

        await IngestAsync(s.Leave("ann", 20));

        await Wait.UntilAsync(async () => (await BoardAsync(company)).Top.All(e => e.RepId != s.Id("ann")), "ann off the company board");
        Assert.Contains((await BoardAsync(company)).Top, e => e.RepId == s.Id("bob"));
        Assert.DoesNotContain((await BoardAsync(s.Id("r"))).Top, e => e.RepId == s.Id("ann"));
        var ann = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: Due);
        Assert.Equal(60_000, ann.Figures.Bookings);
        var region = await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = company, Period = "2026-11" }, deadline: Due);
        Assert.Equal(companyBookings, region.Figures.Bookings);

        var orphan = Assert.Single((await OrphansAsync(company)).Opportunities, o => o.OpportunityId.StartsWith(s.Id(""), StringComparison.Ordinal));
        Assert.Equal((s.Id("o2"), s.Id("acme"), 50_000L, "quote_sent"), (orphan.OpportunityId, orphan.CustomerId, orphan.Amount.MinorUnits, orphan.StageId));
        Assert.Equal((s.Id("ann"), "Rep ann", s.Id("r-north")), (orphan.OwnerRepId, orphan.OwnerName, orphan.OwnerRegionId));
        var leftOn = DateOnly.FromDateTime(s.At(20).UtcDateTime);
        Assert.Equal((leftOn.Year, leftOn.Month, leftOn.Day), (orphan.OwnerLeftOn.Year, orphan.OwnerLeftOn.Month, orphan.OwnerLeftOn.Day));
        Assert.Single((await OrphansAsync(s.Id("r"))).Opportunities);
        Assert.Empty((await OrphansAsync(s.Id("elsewhere"))).Opportunities);

        var activity = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(s.Activity("ann", 21)));
        Assert.Equal(StatusCode.FailedPrecondition, activity.StatusCode);
        Assert.Equal(("rep_id", ApiErrors.Conflict), StatusDetails.Named(activity));
        Assert.Contains($"left the company on {leftOn:yyyy-MM-dd}", activity.Status.Detail, StringComparison.Ordinal);
        var won = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(s.Won("o2", 22)));
        Assert.Equal(StatusCode.FailedPrecondition, won.StatusCode);
        Assert.Equal("opportunity_id", StatusDetails.Named(won).Field);
        var opened = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(s.Open("o4", "ann", "acme", 1_000, h: 22)));
        Assert.Equal(("owner_rep_id", StatusCode.FailedPrecondition), (StatusDetails.Named(opened).Field, opened.StatusCode));

        await IngestAsync(s.Reassign("o2", "bob", 22));

        Assert.Empty((await OrphansAsync(s.Id("r"))).Opportunities);
        await IngestAsync(s.Won("o2", 23));
        var bob = await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("bob"), Period = "2026-11" }, deadline: Due);
        Assert.Equal(80_000, bob.Figures.Bookings);
    }

    [Fact]
    public async Task ListOrphanedOpportunities_UnknownScope_IsNotFoundNamingTheField()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => OrphansAsync("api-left-nowhere"));

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal("scope_region_id", StatusDetails.Named(missing).Field);
    }
}
