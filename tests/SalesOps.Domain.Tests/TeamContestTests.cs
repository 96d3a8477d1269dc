namespace SalesOps.Domain.Tests;

public sealed class TeamContestTests
{
    private static readonly Period Month = Period.OfMonth(2026, 11);

    private static TeamStanding Team(string id, long actual, long must)
    {
        var targets = new TargetBook();
        if (must > 0)
        {
            targets.Put(new TargetKey(Month, TargetMetric.Bookings), new TargetLevels(must, must), default);
        }

        var figures = new FigureSet();
        figures.Add(new FigureKey(Figure.Bookings, Month, 0, 0), actual);
        return new TeamStanding(id, "Team " + id, FigureReport.Progress(figures, targets, Month, TargetMetric.Bookings, 0.5));
    }

    [Fact]
    public void ByFigure_TheLargestLeads_AndLevelTeamsShareARank_ListedByName()
    {
        var ranked = TeamContest.Rank([Team("c", 500, 0), Team("b", 900, 1_000), Team("a", 500, 400)], byAttainment: false);
        Assert.Equal([("b", 1), ("a", 2), ("c", 2)], ranked.Select(t => (t.RegionId, t.Rank)));
    }

    [Fact]
    public void ByAttainment_ASmallTeamAheadOfItsTargetLeads_AndTeamsWithoutATargetComeLast()
    {
        var ranked = TeamContest.Rank([Team("none", 5_000, 0), Team("big", 900, 1_000), Team("small", 500, 400)], byAttainment: true);
        Assert.Equal([("small", 1, 1.25), ("big", 2, 0.9), ("none", 3, 0d)], ranked.Select(t => (t.RegionId, t.Rank, t.Figure.MustAttainment)));
        Assert.Equal((0L, 0d), (ranked[2].Figure.MustAchieve, ranked[2].Figure.Pace));
        Assert.Equal(1.8, ranked[1].Figure.Pace, 9); // 900 / (1,000 × 0.5)
    }
}
