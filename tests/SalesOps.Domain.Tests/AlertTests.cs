namespace SalesOps.Domain.Tests;

public sealed class AlertTests
{
    private static TestCompany Setup(EngineSettings? settings = null)
    {
        var company = new TestCompany(settings);
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        return company;
    }

    private static List<Alert> Of(TestCompany company, AlertKind kind) => company.Engine.Alerts.Where(a => a.Kind == kind).ToList();

    [Fact]
    public void FallingBehindPace_RaisesOnceAndRearmsWhenBackOnPace()
    {
        var company = Setup();
        company.RepTarget("ann", TestCompany.March, TargetMetric.Bookings, 100_000, 120_000);

        company.Engine.CheckPace(TestCompany.Day(16));
        company.Engine.CheckPace(TestCompany.Day(17));
        var afterTwoChecks = Of(company, AlertKind.BehindPace).Count(a => a.SubjectId == "ann");

        company.Open("o1", "ann", 60_000);
        company.Win("o1", TestCompany.Day(17));
        company.Engine.CheckPace(TestCompany.Day(17, hour: 12));
        var whileOnPace = Of(company, AlertKind.BehindPace).Count(a => a.SubjectId == "ann");

        company.Engine.CheckPace(TestCompany.Day(29));
        var annAlerts = Of(company, AlertKind.BehindPace).Where(a => a.SubjectId == "ann").ToList();

        Assert.Equal(1, afterTwoChecks);
        Assert.Equal(1, whileOnPace);
        Assert.Equal(2, annAlerts.Count);
        Assert.Equal(60_000, annAlerts[1].Actual);
        // 29 March 09:00 UTC: 28 days and 9 hours of March's 744 hours have passed.
        Assert.Equal((long)Math.Floor(100_000 * (28 * 24 + 9) / (31.0 * 24)), annAlerts[1].Expected);
    }

    [Fact]
    public void RegionTarget_FallsBehindOnItsOwnFigures()
    {
        var company = Setup();
        company.Accept(new TargetSet(company.NextId(), TestCompany.T0, TargetScope.Region, "east", TestCompany.March, TargetMetric.Activities, 10, 20));

        company.Engine.CheckPace(TestCompany.Day(20));

        var alert = Assert.Single(Of(company, AlertKind.BehindPace));
        Assert.Equal("east", alert.SubjectId);
        Assert.Equal(TestCompany.March, alert.Period);
    }

    [Fact]
    public void WinAtThreshold_RaisesBigDealAlertOnce()
    {
        var company = Setup();
        company.Open("small", "ann", 99_999);
        company.Open("big", "bob", 100_000);

        company.Win("small", TestCompany.Day(10));
        var won = company.Win("big", TestCompany.Day(11));
        company.Send(won);

        var alert = Assert.Single(Of(company, AlertKind.BigDealWon));
        Assert.Equal("big", alert.SubjectId);
        Assert.Equal("bob", alert.OtherId);
        Assert.Equal(100_000, alert.Actual);
    }

    [Fact]
    public void ConfiguredThreshold_AppliesToSignedAmount()
    {
        var company = Setup(new EngineSettings { BigDealThreshold = 1_000_000 });
        company.Open("o1", "ann", 900_000);

        company.Win("o1", TestCompany.Day(10), amount: 1_200_000);

        Assert.Equal(1_200_000, Assert.Single(Of(company, AlertKind.BigDealWon)).Actual);
    }

    [Fact]
    public void Overtake_IsAlertedOnlyOnWatchedBoard()
    {
        var company = Setup();
        var watched = new BoardKey(TestCompany.March, LeaderboardMetric.Bookings);
        company.Engine.Watch(RegionState.CompanyId, watched);
        company.Open("a1", "ann", 50_000);
        company.Open("b1", "bob", 30_000);
        company.Open("b2", "bob", 40_000);
        company.Win("a1", TestCompany.Day(10));
        company.Win("b1", TestCompany.Day(11));

        company.Win("b2", TestCompany.Day(12));

        var alert = Assert.Single(Of(company, AlertKind.Overtake));
        Assert.Equal("bob", alert.SubjectId);
        Assert.Equal("ann", alert.OtherId);
        Assert.Equal(RegionState.CompanyId, alert.ScopeId);
        Assert.Equal(TestCompany.March, alert.Period);
        Assert.Equal(1, alert.Actual);
        Assert.Equal(2, alert.Expected);
    }

    [Fact]
    public void Overtake_OnUnwatchedBoardIsSilent()
    {
        var company = Setup();
        company.Engine.Watch("east", new BoardKey(TestCompany.March, LeaderboardMetric.Collections));
        company.Open("a1", "ann", 50_000);
        company.Open("b1", "bob", 30_000);
        company.Open("b2", "bob", 40_000);
        company.Win("a1", TestCompany.Day(10));
        company.Win("b1", TestCompany.Day(11));

        company.Win("b2", TestCompany.Day(12));

        Assert.Empty(Of(company, AlertKind.Overtake));
        Assert.Equal("bob", company.Engine.Regions["east"].Board(new BoardKey(TestCompany.March, LeaderboardMetric.Bookings))!.EntryAt(1).RepId);
    }

    [Fact]
    public void Overtake_TwoRepsSwappingInTheReferenceEngine_RaiseOnlyTheirFirstBests()
    {
        var company = Setup();
        var activities = new BoardKey(TestCompany.March, LeaderboardMetric.Activities);
        company.Engine.Watch(RegionState.CompanyId, activities);
        company.Activity("ann", TestCompany.Day(2));
        company.Activity("bob", TestCompany.Day(2)); // both enter (1 each, ann first by id): no overtake

        // Twenty updates, each one a swap at the top: Bob takes #1 (his first time), Ann takes it back (hers again), ...
        for (var i = 0; i < 10; i++)
        {
            company.Activity("bob", TestCompany.Day(3 + i));
            Assert.Equal("bob", company.Company.Board(activities)!.EntryAt(1).RepId);
            company.Activity("ann", TestCompany.Day(3 + i, hour: 10));
            Assert.Equal("ann", company.Company.Board(activities)!.EntryAt(1).RepId);
        }

        var alert = Assert.Single(Of(company, AlertKind.Overtake));
        Assert.Equal(("bob", "ann", 1L, 2L), (alert.SubjectId, alert.OtherId, alert.Actual, alert.Expected));
    }

    [Fact]
    public void Overtake_RepClimbing8To5To3_RaisesOneAtEachNewBest()
    {
        var board = WatchedBoard.Ranked12();

        var first = board.Set("r08", 850);  // above r05 (800): #5
        var second = board.Set("r08", 1050); // above r03 (1000): #3

        Assert.Equal([("r08", "r05", 5L, 8L)], Summary(first));
        Assert.Equal([("r08", "r03", 3L, 5L)], Summary(second));
        Assert.Equal(3, board.Bests.Of("r08"));
    }

    [Fact]
    public void Overtake_FallingBackAndClimbingToNoBetterThanItsBest_RaisesNothing_ABetterRankRaisesAgain()
    {
        var board = WatchedBoard.Ranked12();
        board.Set("r08", 1050); // 8 -> 3, its best

        var ranks = new List<int>();
        List<Alert> Step(double score)
        {
            var alerts = board.Set("r08", score);
            ranks.Add(board.Rank("r08"));
            return alerts;
        }

        var fall = Step(650);    // 3 -> 7
        var back = Step(950);    // 7 -> 4: a rise, but not better than #3
        var again = Step(1050);  // 4 -> 3: its best again, not better
        var better = Step(1150); // 3 -> 2: better than any rank it held

        Assert.Equal([7, 4, 3, 2], ranks);
        Assert.Empty(fall);
        Assert.Empty(back);
        Assert.Empty(again);
        Assert.Equal([("r08", "r02", 2L, 3L)], Summary(better));
    }

    [Fact]
    public void Overtake_TwoRepsSwapping4And5Repeatedly_RaiseOnlyTheFirstNewBest()
    {
        var board = WatchedBoard.Ranked12(); // r04 #4 (900), r05 #5 (800): their bests when the watch began
        var alerts = new List<Alert>();

        for (var i = 1; i <= 10; i++)
        {
            var mover = i % 2 == 1 ? "r05" : "r04";
            alerts.AddRange(board.Set(mover, 900 + (5 * i)));
            Assert.Equal(4, board.Rank(mover)); // each update passes the other: ten swaps of #4 and #5
        }

        // r05 reached #4 for the first time once; r04 only ever got back to the #4 it held when the watch began.
        Assert.Equal([("r05", "r04", 4L, 5L)], Summary(alerts));
    }

    [Fact]
    public void Overtake_RanksHeldWhenTheWatchBegan_RaiseNothing()
    {
        var board = WatchedBoard.Ranked12(watch: false);
        Assert.Empty(board.Set("r08", 1050)); // 8 -> 3 before anyone watched
        board.Watch();

        var fall = board.Set("r08", 650);  // #7
        var back = board.Set("r08", 1050); // 7 -> 3: where it was when the watch began
        var top = board.Set("r01", 1300);  // #1 stays #1: not a rise

        Assert.Equal(3, board.Rank("r08"));
        Assert.Empty(fall.Concat(back).Concat(top));
    }

    [Fact]
    public void Overtake_WatchedAgain_BestsStartAgainFromTheRankingThen()
    {
        var board = WatchedBoard.Ranked12();
        Assert.Equal([("r08", "r03", 3L, 8L)], Summary(board.Set("r08", 1050)));
        board.Unwatch();
        Assert.Null(board.Region.BestRanksOf(WatchedBoard.Key));

        var unwatched = board.Set("r08", 650); // 3 -> 7 while nobody watches
        board.Watch();
        var bestWhenWatchedAgain = board.Bests.Of("r08"); // #7, not the #3 of the earlier watch
        var climb = board.Set("r08", 850);     // 7 -> 5: a new best of this watch, so an alert again

        Assert.Empty(unwatched);
        Assert.Equal(7, bestWhenWatchedAgain);
        Assert.Equal([("r08", "r05", 5L, 7L)], Summary(climb));
    }

    [Fact]
    public void Overtake_RisesOutsideTheDepth_RaiseNothing_TheFirstRiseIntoItDoes()
    {
        var board = WatchedBoard.Ranked12(); // r11 #11 (200), r12 #12 (100)

        var outside = board.Set("r12", 250); // 12 -> 11
        var into = board.Set("r12", 350);    // 11 -> 10: within the depth for the first time

        Assert.Empty(outside);
        Assert.Equal([("r12", "r10", 10L, 11L)], Summary(into));
        Assert.Equal(11, board.Bests.Count); // the ten within the depth when the watch began, and r12
    }

    [Fact]
    public void Overtake_EnteringTheBoard_RaisesNothing_ItsEntryRankIsItsBest()
    {
        var board = WatchedBoard.Ranked12();

        var entry = board.Set("new", 1150);  // enters at #2
        var same = board.Set("new", 1160);   // still #2
        var fall = board.Set("new", 850);    // 2 -> 5
        var back = board.Set("new", 1150);   // 5 -> 2: a rise past three reps, but to its entry rank (the old rule alerted)
        var rise = board.Set("new", 1250);   // 2 -> 1

        Assert.Empty(entry.Concat(same).Concat(fall).Concat(back));
        Assert.Equal([("new", "r01", 1L, 2L)], Summary(rise));
    }

    [Fact]
    public void Overtake_BestRanksAreWatchState_NotInTheSnapshot()
    {
        var board = WatchedBoard.Ranked12();
        board.Set("r08", 1050); // 8 -> 3

        var restored = RegionState.FromSnapshot(board.Region.ToSnapshot(), DedupWindow.Default);

        Assert.Null(restored.BestRanksOf(WatchedBoard.Key));
        restored.Track(WatchedBoard.Key, 10);
        Assert.Equal((3, 4), (restored.BestRanksOf(WatchedBoard.Key)!.Of("r08"), restored.BestRanksOf(WatchedBoard.Key)!.Of("r03")));
        Assert.Equal(board.Region.ToSnapshot(), restored.ToSnapshot());
    }

    private static List<(string Rep, string Passed, long NewRank, long OldRank)> Summary(IEnumerable<Alert> alerts) =>
        alerts.Select(a => (a.SubjectId, a.OtherId, a.Actual, a.Expected)).ToList();

    /// <summary>
    /// A region's board watched for overtakes, its scores set one update at a time and the overtakes taken after each,
    /// as the reference engine does; the grains take them once per roll-up interval with the same code.
    /// </summary>
    private sealed class WatchedBoard
    {
        public static readonly BoardKey Key = new(TestCompany.March, LeaderboardMetric.Bookings);
        private readonly Dictionary<string, long> _seq = new(StringComparer.Ordinal);

        private WatchedBoard() => Region.DefineRoot("Company");

        public RegionState Region { get; } = new(RegionState.CompanyId, DedupWindow.Default);

        public BestRanks Bests => Region.BestRanksOf(Key)!;

        /// <summary>r01 … r12 scored 1,200 … 100, so each is ranked by its number; watched from then on unless told not to.</summary>
        public static WatchedBoard Ranked12(bool watch = true)
        {
            var board = new WatchedBoard();
            for (var i = 1; i <= 12; i++)
            {
                board.Score($"r{i:D2}", 1_300 - (100 * i));
            }

            Assert.Equal(8, board.Rank("r08"));
            if (watch)
            {
                board.Watch();
            }

            return board;
        }

        public void Watch() => Region.Track(Key, 10);

        public void Unwatch() => Region.Untrack(Key);

        /// <summary>Sets a rep's score and returns the overtakes it raises.</summary>
        public List<Alert> Set(string rep, double score)
        {
            Score(rep, score);
            return Region.Overtakes(Region.TakeRankChanges(Key), TestCompany.T0).ToList();
        }

        public int Rank(string rep) => Region.Board(Key)!.RankOf(rep);

        private void Score(string rep, double score)
        {
            var seq = _seq[rep] = _seq.GetValueOrDefault(rep) + 1;
            Region.ApplyBoardUpdate(new BoardUpdate(rep, seq, true, false, [new ScoreChange(Key, score)]));
        }
    }
}
