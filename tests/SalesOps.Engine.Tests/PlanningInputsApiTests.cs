using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>The reference variables and the suggested target end to end (docs/semantics.md, "Suggested target").</summary>
[Collection(ServerCollection.Name)]
public sealed class PlanningInputsApiTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private DateTime Due => DateTime.UtcNow + Deadline;

    private Task IngestAsync(params SalesEvent[] events) => server.IngestEachAsync(Deadline, events);

    private static PlanningInputsRecorded Inputs(Scenario s, TargetScope scope, string id, long? last, long plan, int growth, long points, double h = 0) =>
        new(s.NextEventId(), s.At(h), scope, id, Period.OfYear(2027), TargetMetric.Bookings, last, plan, growth, points);

    [Fact]
    public async Task RecordedInputs_SuggestATargetBesideTheOneSet_AndBadOnesAreRefusedNamingTheField()
    {
        var s = new Scenario("api-inputs");
        await IngestAsync(s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 500_000), s.Won("o1", 2));

        // Region r leaves last year to the engine: its 2026 bookings, 500,000, grown 8% = 540,000, under the plan's 600,000.
        await IngestAsync(
            Inputs(s, TargetScope.Region, s.Id("r"), null, 600_000, 800, 25_000),
            Inputs(s, TargetScope.Rep, s.Id("ann"), 400_000, 0, -500, 10_000),
            s.RepTarget("ann", "2027", 390_000));
        await Wait.UntilAsync(
            async () => (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("r"), Period = "2026" }, deadline: Due)).Figures.Bookings == 500_000,
            "the win reached region r");

        var region = (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id("r"), Period = "2027" }, deadline: Due)).Figures;
        var r = Assert.Single(region.SuggestedTargets);
        Assert.Equal((V1.TargetMetric.Bookings, 500_000L, false, 540_000L, 625_000L, false, false),
            (r.Metric, r.LastYearActual, r.LastYearRecorded, r.Grown, r.Suggested, r.HasMustAchieve, r.HasDifference));

        // Ann: 400,000 shrinking 5% = 380,000 + 10,000 new growth points = 390,000, exactly the target set.
        var ann = Assert.Single((await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2027" }, deadline: Due)).Figures.SuggestedTargets);
        Assert.Equal((400_000L, true, -500, 380_000L, 390_000L, 390_000L, 0L), (ann.LastYearActual, ann.LastYearRecorded, ann.IndustryGrowthBp, ann.Grown, ann.Suggested, ann.MustAchieve, ann.Difference));

        var cases = new (SalesEvent Event, string Field)[]
        {
            (Inputs(s, TargetScope.Rep, s.Id("ann"), 1, 0, -10_001, 0, h: 1), "industry_growth_bp"),
            (Inputs(s, TargetScope.Rep, s.Id("ann"), -1, 0, 0, 0, h: 1), "last_year_actual"),
            (Inputs(s, TargetScope.Rep, s.Id("ann"), 1, 0, 0, 1_000_000_000_000_001, h: 1), "new_growth_points"),
        };
        foreach (var (e, field) in cases)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(e));
            Assert.Equal((StatusCode.InvalidArgument, field), (refused.StatusCode, StatusDetails.Named(refused).Field));
        }

        var month = Inputs(s, TargetScope.Rep, s.Id("ann"), 1, 0, 0, 0, h: 1).ToOne();
        month.Event.PlanningInputsRecorded.Year = "2027-01";
        var badYear = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(month, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "year"), (badYear.StatusCode, StatusDetails.Named(badYear).Field));
        var noMetric = Inputs(s, TargetScope.Rep, s.Id("ann"), 1, 0, 0, 0, h: 1).ToOne();
        noMetric.Event.PlanningInputsRecorded.Metric = V1.TargetMetric.Unspecified;
        var missing = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(noMetric, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "metric"), (missing.StatusCode, StatusDetails.Named(missing).Field));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Inputs(s, TargetScope.Region, s.Id("nowhere"), 1, 0, 0, 0)));
        Assert.Equal((StatusCode.NotFound, "scope_id"), (unknown.StatusCode, StatusDetails.Named(unknown).Field));

        // Nothing refused changed the suggestion.
        var after = Assert.Single((await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2027" }, deadline: Due)).Figures.SuggestedTargets);
        Assert.Equal(ann, after);
    }
}
