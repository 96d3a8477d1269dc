namespace SalesOps.Domain.Tests;

public sealed class StageTableTests
{
    [Fact]
    public void DefaultTable_FollowsSeedProbabilities()
    {
        var stages = StageTable.Default.Stages.Select(s => (s.Id, s.ProbabilityPercent)).ToList();

        Assert.Equal(
            [
                ("lead", 10), ("needs_research", 20), ("quote_sent", 40), ("contract_negotiation", 60),
                ("first_review_passed", 80), ("signing_steps_agreed", 90), ("won", 100), ("lost", 0),
            ],
            stages);
        Assert.Equal(6, StageTable.Default.OpenCount);
        Assert.Equal(6, StageTable.Default.WonIndex);
        Assert.Equal(7, StageTable.Default.LostIndex);
    }

    [Fact]
    public void DefaultTable_OnlyOpenStagesAreOpen()
    {
        var open = StageTable.Default.Stages.Select((s, i) => (s.Id, Open: StageTable.Default.IsOpen(i))).Where(x => x.Open).Select(x => x.Id);

        Assert.DoesNotContain(StageTable.WonId, open);
        Assert.DoesNotContain(StageTable.LostId, open);
        Assert.Equal(6, open.Count());
    }

    [Fact]
    public void ThreeOpenDeals_WeightedPipelineIsAmountTimesProbability()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 100_000, "lead", new DateOnly(2026, 4, 15));
        company.Open("o2", "ann", 50_000, "quote_sent", new DateOnly(2026, 4, 20));
        company.Open("o3", "ann", 20_000, "signing_steps_agreed", new DateOnly(2026, 5, 10));

        // 100,000 × 10% + 50,000 × 40% + 20,000 × 90% = 10,000 + 20,000 + 18,000
        var report = FigureReport.Build(company.Company.Figures, company.Company.Targets, new EngineSettings(), TargetScope.Region, Period.OfMonth(2026, 4), TestCompany.T0);

        Assert.Equal(48_000m, report.WeightedPipeline);
        Assert.Equal(3, report.OpenCount);
        Assert.Equal(170_000, report.OpenAmount);
    }

    [Fact]
    public void DuplicateStageId_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new StageTable([new Stage("a", "A", 10, ForecastCategory.Pipeline), new Stage("a", "A2", 20, ForecastCategory.Pipeline)]));
    }
}
