using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>Activity direction and quality end to end over a real gRPC channel (docs/semantics.md, "Activity direction and quality").</summary>
[Collection(ServerCollection.Name)]
public sealed class ActivityReportApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private async Task<V1.GetActivityReportResponse> ReportAsync(TargetScope scope, string id) =>
        await server.Query.GetActivityReportAsync(
            new V1.GetActivityReportRequest { Scope = scope == TargetScope.Rep ? V1.TargetScope.Rep : V1.TargetScope.Region, ScopeId = id, Period = "2026-11" },
            deadline: Due);

    private static (long Count, long Minutes) Group(V1.ActivityReport r, V1.CustomerGroup g) =>
        r.Groups.Single(x => x.Group == g) is var f ? (f.Count, f.Minutes) : default;

    [Fact]
    public async Task WinArrivingAfterAnEarlierLoggedActivity_ReclassifiesItAsExisting_InRepAndRegion()
    {
        var s = new Scenario("api-activity");
        await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), new CustomerRegistered(s.NextEventId(), s.At(0), s.Id("acme"), "Acme", KeyAccount: true), s.Customer("beta"),
            s.Open("o1", "ann", "acme", 10_000),
            s.Activity("ann", 3, "acme", ActivityType.Call, 15), s.Activity("ann", 8, "acme", ActivityType.Visit, 90),
            s.Activity("ann", 9, "beta", ActivityType.Proposal, 120), s.Activity("ann", 10, "", ActivityType.Call, 30));
        await Wait.UntilAsync(
            async () => Group((await ReportAsync(TargetScope.Region, s.Id("r"))).Report, V1.CustomerGroup.NewCustomer) == (3, 225),
            "three activities to new customers reached region r");

        // Won at hour 5: after the call, before the visit, arriving after both.
        await IngestAsync(s.Won("o1", 5));
        await Wait.UntilAsync(
            async () => Group((await ReportAsync(TargetScope.Region, s.Id("r"))).Report, V1.CustomerGroup.ExistingCustomer) == (1, 90),
            "the visit moved to existing customers in region r");

        var ann = await ReportAsync(TargetScope.Rep, s.Id("ann"));
        Assert.Equal((2L, 105L), Group(ann.Report, V1.CustomerGroup.KeyAccount));
        Assert.Equal((1L, 120L), Group(ann.Report, V1.CustomerGroup.OtherAccount));
        Assert.Equal((2L, 135L), Group(ann.Report, V1.CustomerGroup.NewCustomer));
        Assert.Equal((1L, 90L), Group(ann.Report, V1.CustomerGroup.ExistingCustomer));
        Assert.Equal((4L, 255L, 1L, 30L), (ann.Report.Count, ann.Report.Minutes, ann.Report.WithoutCustomerCount, ann.Report.WithoutCustomerMinutes));
        Assert.Equal((2L, 1L, 1L, 1L, 2.0, 1.0, 1.0), (ann.Report.Quality.Calls, ann.Report.Quality.Visits, ann.Report.Quality.Proposals, ann.Report.Quality.Won, ann.Report.Quality.CallsPerVisit, ann.Report.Quality.VisitsPerProposal, ann.Report.Quality.ProposalsPerOrder));
        Assert.True(ann.CompanyQuality.Calls >= 2, "the company's quality includes ann's calls");
    }

    [Fact]
    public async Task KeyAccountChange_MovesTheCustomersEarlierActivities_AndBadChangesAreRefusedNamingTheField()
    {
        var s = new Scenario("api-keychange");
        await IngestAsync(
            s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"),
            s.Activity("ann", 3, "acme", ActivityType.Call, 15), s.Activity("ann", 8, "acme", ActivityType.Visit, 90));
        await Wait.UntilAsync(
            async () => Group((await ReportAsync(TargetScope.Region, s.Id("r"))).Report, V1.CustomerGroup.OtherAccount) == (2, 105),
            "two activities to an other account reached region r");

        await IngestAsync(new CustomerKeyAccountChanged(s.NextEventId(), s.At(10), s.Id("acme"), KeyAccount: true));
        await Wait.UntilAsync(
            async () => Group((await ReportAsync(TargetScope.Region, s.Id("r"))).Report, V1.CustomerGroup.KeyAccount) == (2, 105),
            "both activities moved to key accounts in region r");
        var ann = (await ReportAsync(TargetScope.Rep, s.Id("ann"))).Report;
        Assert.Equal(((0L, 0L), (2L, 105L)), (Group(ann, V1.CustomerGroup.OtherAccount), Group(ann, V1.CustomerGroup.NewCustomer)));

        var empty = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(new CustomerKeyAccountChanged(s.NextEventId(), s.At(11), "", KeyAccount: false)));
        Assert.Equal((StatusCode.InvalidArgument, "customer_id"), (empty.StatusCode, StatusDetails.Named(empty).Field));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(new CustomerKeyAccountChanged(s.NextEventId(), s.At(11), s.Id("nobody"), KeyAccount: false)));
        Assert.Equal((StatusCode.NotFound, "customer_id"), (unknown.StatusCode, StatusDetails.Named(unknown).Field));
        Assert.Equal((2L, 105L), Group((await ReportAsync(TargetScope.Rep, s.Id("ann"))).Report, V1.CustomerGroup.KeyAccount));
    }

    [Fact]
    public async Task ActivitiesLoggedAgainstDeals_CountByProductLine_AndTheirDealsByActivityLoad_EvenWhenTheyArriveFirst()
    {
        var s = new Scenario("api-dealload");
        ActivityLogged Against(string deal, double h, int minutes) => s.Activity("ann", h, "", ActivityType.Visit, minutes) with { OpportunityId = s.Id(deal) };
        await IngestAsync(s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"));

        // Two visits for o1 arrive before o1 is opened, one for o2 after it; o1 is won after both, o2 lost.
        await IngestAsync(Against("o1", 2, 40), Against("o1", 3, 20));
        await IngestAsync(s.Open("o1", "ann", "acme", 10_000), s.Open("o2", "ann", "acme", 5_000), Against("o2", 4, 15));
        await IngestAsync(s.Won("o1", 5), s.Lost("o2", 6));
        await Wait.UntilAsync(
            async () => (await ReportAsync(TargetScope.Region, s.Id("r"))).Report.ProductLines.SingleOrDefault()?.Count == 3
                && (await ReportAsync(TargetScope.Region, s.Id("r"))).Report.Quality.ByLoad[1].Lost == 1,
            "three visits for the platform line and both deals in the 1-2 bucket reached region r");

        // The company takes region r's roll-up on r's next tick, after r has it.
        await Wait.UntilAsync(
            async () => (await ReportAsync(TargetScope.Rep, s.Id("ann"))).CompanyQuality.ByLoad[1].Won >= 1,
            "the company's buckets include ann's win");

        var ann = await ReportAsync(TargetScope.Rep, s.Id("ann"));
        var line = Assert.Single(ann.Report.ProductLines);
        Assert.Equal(("platform", 3L, 75L), (line.ProductLine, line.Count, line.Minutes));
        var bucket = ann.Report.Quality.ByLoad[1];
        Assert.Equal((1, 2, 1L, 1L, 0.5), (bucket.MinActivities, bucket.MaxActivities, bucket.Won, bucket.Lost, bucket.WinRate));
        Assert.False(ann.Report.Quality.ByLoad[4].HasMaxActivities);

        var blank = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(s.Activity("ann", 7) with { OpportunityId = new string('o', 129) }));
        Assert.Equal((StatusCode.InvalidArgument, "opportunity_id"), (blank.StatusCode, StatusDetails.Named(blank).Field));
    }

    [Fact]
    public async Task BadOrUnknownScope_IsRefusedNamingTheField()
    {
        var noScope = await Assert.ThrowsAsync<RpcException>(() => server.Query.GetActivityReportAsync(new V1.GetActivityReportRequest { ScopeId = "x" }, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "scope"), (noScope.StatusCode, StatusDetails.Named(noScope).Field));
        var badPeriod = await Assert.ThrowsAsync<RpcException>(() => server.Query.GetActivityReportAsync(
            new V1.GetActivityReportRequest { Scope = V1.TargetScope.Region, ScopeId = "company", Period = "2026-13" }, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "period"), (badPeriod.StatusCode, StatusDetails.Named(badPeriod).Field));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => ReportAsync(TargetScope.Rep, "api-activity-nobody"));
        Assert.Equal((StatusCode.NotFound, "scope_id"), (unknown.StatusCode, StatusDetails.Named(unknown).Field));
    }
}
