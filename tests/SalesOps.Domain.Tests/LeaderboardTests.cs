namespace SalesOps.Domain.Tests;

public sealed class LeaderboardTests
{
    private static Leaderboard Board()
    {
        var board = new Leaderboard();
        board.Set("bob", 100);
        board.Set("amy", 100);
        board.Set("Amy", 100);
        board.Set("carl", 200);
        board.Set("dan", 50);
        return board;
    }

    [Fact]
    public void EqualScores_AreOrderedByRepIdOrdinal()
    {
        var rows = Board().Top(10).Select(e => (e.Rank, e.RepId, e.Score)).ToList();

        // Ordinal: "Amy" < "amy" < "bob".
        Assert.Equal([(1, "carl", 200.0), (2, "Amy", 100.0), (3, "amy", 100.0), (4, "bob", 100.0), (5, "dan", 50.0)], rows);
    }

    [Fact]
    public void Window_ShowsRowsAroundTheRep()
    {
        var board = Board();

        Assert.Equal(["Amy", "amy", "bob"], board.Window("amy", 1).Select(e => e.RepId));
        Assert.Equal(["carl", "Amy"], board.Window("carl", 1).Select(e => e.RepId));
        Assert.Empty(board.Window("nobody", 2));
    }

    [Fact]
    public void RepRising_GetsPositiveMovementAndPassedRepsGetMinusOne()
    {
        var board = Board();

        var (oldRank, newRank) = board.Set("dan", 150);

        Assert.Equal((5, 2), (oldRank, newRank));
        var movement = board.Top(10).ToDictionary(e => e.RepId, e => e.Movement);
        Assert.Equal(3, movement["dan"]);
        Assert.Equal(-1, movement["Amy"]);
        Assert.Equal(-1, movement["bob"]);
        Assert.Equal(0, movement["carl"]);
    }

    /// <summary>
    /// Random sets, rises, falls, ties and removals against a from-scratch model: after every step the rows equal
    /// the scores sorted (descending, ties by id) and each row's movement equals what the model derives from the
    /// ranks before and after the step. Every 250 steps the board is replaced by its snapshot's restore, so updates
    /// also run on a restored board (its tie-break order is rebuilt, not replayed).
    /// </summary>
    [Fact]
    public void RandomUpdates_MatchASortFromScratch()
    {
        var random = new Random(4711);
        var board = new Leaderboard();
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var movement = new Dictionary<string, int>(StringComparer.Ordinal);
        List<string> Ranked() => scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList();

        var key = new BoardKey(new Period(0), LeaderboardMetric.Activities);
        for (var step = 0; step < 5_000; step++)
        {
            if (step % 250 == 249)
            {
                var ids = scores.Keys.Order(StringComparer.Ordinal).ToArray();
                board = Leaderboard.FromMemento(board.ToMemento(key, id => Array.IndexOf(ids, id)), ids);
            }

            var rep = $"r{random.Next(60)}";
            double? score = random.Next(12) == 0 ? null : random.Next(8) * 10; // few distinct scores: many ties
            var before = Ranked();
            var oldRank = before.IndexOf(rep) + 1;
            if (score is { } s)
            {
                scores[rep] = s;
            }
            else
            {
                scores.Remove(rep);
                movement.Remove(rep);
            }

            var after = Ranked();
            var newRank = after.IndexOf(rep) + 1;
            if (oldRank > 0 && newRank > 0 && oldRank != newRank)
            {
                foreach (var other in after.Where(r => r != rep && before.IndexOf(r) != after.IndexOf(r)))
                {
                    movement[other] = before.IndexOf(other) - after.IndexOf(other);
                }

                movement[rep] = oldRank - newRank;
            }

            Assert.Equal((oldRank, newRank), board.Set(rep, score));
            var rows = board.Top(int.MaxValue);
            Assert.Equal(after, rows.Select(e => e.RepId));
            Assert.Equal(after.Select(r => scores[r]), rows.Select(e => e.Score));
            Assert.Equal(after.Select(r => movement.GetValueOrDefault(r)), rows.Select(e => e.Movement));
            Assert.All(after, r => Assert.Equal(after.IndexOf(r) + 1, board.RankOf(r)));
        }
    }

    [Fact]
    public void RemovedRep_LeavesTheBoard()
    {
        var board = Board();

        var (oldRank, newRank) = board.Set("carl", null);

        Assert.Equal((1, 0), (oldRank, newRank));
        Assert.Equal(4, board.Count);
        Assert.Equal("Amy", board.EntryAt(1).RepId);
    }

    [Fact]
    public void RegionBoard_RanksRepsCurrentlyInsideByBookings()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Region("west");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        company.Rep("cy", "west");
        company.Open("o1", "ann", 5_000);
        company.Open("o2", "bob", 8_000);
        company.Open("o3", "cy", 9_000);
        company.Win("o1", TestCompany.Day(10));
        company.Win("o2", TestCompany.Day(11));
        company.Win("o3", TestCompany.Day(12));

        var key = new BoardKey(TestCompany.March, LeaderboardMetric.Bookings);
        var east = company.Engine.Regions["east"].Board(key)!;
        var all = company.Company.Board(key)!;

        Assert.Equal([("bob", 8_000.0), ("ann", 5_000.0)], east.Top(10).Select(e => (e.RepId, e.Score)));
        Assert.Equal(["cy", "bob", "ann"], all.Top(10).Select(e => e.RepId));
    }

    [Fact]
    public void AttainmentBoard_ListsRepsWithTargetRoundedToFourDecimals()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 30_000, 40_000);
        company.Open("o1", "ann", 10_000);
        company.Open("o2", "bob", 50_000);
        company.Win("o1", TestCompany.Day(10));
        company.Win("o2", TestCompany.Day(10));

        var board = company.Company.Board(new BoardKey(TestCompany.March, LeaderboardMetric.Attainment))!;

        var only = Assert.Single(board.Top(10));
        Assert.Equal("ann", only.RepId);
        Assert.Equal(33.3333, only.Score);
    }
}
