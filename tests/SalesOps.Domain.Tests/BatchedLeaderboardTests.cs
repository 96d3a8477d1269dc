namespace SalesOps.Domain.Tests;

/// <summary>
/// The batched board (ADR 0034) against a model that sorts from scratch at every read: random batches of staged
/// changes (rises, falls, ties, removals, returns), read at random moments, cooled and restored from its snapshot at
/// random, tracked or not. After every read the rows equal the scores sorted (descending, ties by id ordinal), each
/// row's movement equals its change of rank among the reps on the board before and after the reads' batch, and a
/// tracked board's rank changes are each changed rep's rank at the read before its first change and now.
/// </summary>
public sealed class BatchedLeaderboardTests
{
    private static readonly BoardKey Key = new(new Period(0), LeaderboardMetric.Activities);

    /// <summary>Ids whose ordinal order differs from culture order and whose prefixes are shared.</summary>
    private static readonly string[] Ids =
    [
        .. Enumerable.Range(0, 30).Select(i => $"rep-{i:D5}"),
        "Amy", "amy", "AMY", "b", "B", "ä", "z", "Z", "rep-", "rep-0", "rep-000", "rep-00000x", "é", "e\u0301", "日本", "a b", "a",
    ];

    /// <summary>What the board must show, worked out by sorting at every read.</summary>
    private sealed class Model
    {
        public Dictionary<string, double> Scores { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, double> Ranked { get; private set; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Movement { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Pending { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Reported { get; } = new(StringComparer.Ordinal);
        public bool Tracked { get; set; }
        public long Version { get; set; }

        public static List<string> Order(Dictionary<string, double> scores) =>
            scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList();

        public bool Stage(string rep, double? score)
        {
            if (score is { } s)
            {
                if (Scores.TryGetValue(rep, out var now) && now.Equals(s))
                {
                    return false;
                }

                Scores[rep] = s;
            }
            else if (!Scores.Remove(rep))
            {
                return false;
            }

            Pending.Add(rep);
            Version++;
            return true;
        }

        /// <summary>A read: ranks what changed since the previous one.</summary>
        public void Rank()
        {
            if (Pending.Count == 0)
            {
                return;
            }

            var before = Order(Ranked);
            var after = Order(Scores);
            var stayersBefore = before.Where(Scores.ContainsKey).ToList();
            var stayersAfter = after.Where(Ranked.ContainsKey).ToList();
            for (var i = 0; i < stayersAfter.Count; i++)
            {
                var was = stayersBefore.IndexOf(stayersAfter[i]);
                if (was != i)
                {
                    Movement[stayersAfter[i]] = was - i;
                }
            }

            foreach (var rep in after.Where(r => !Ranked.ContainsKey(r)))
            {
                Movement[rep] = 0;
            }

            foreach (var rep in before.Where(r => !Scores.ContainsKey(r)))
            {
                Movement.Remove(rep);
            }

            if (Tracked)
            {
                foreach (var rep in Pending)
                {
                    Reported.TryAdd(rep, before.IndexOf(rep) + 1);
                }
            }

            Pending.Clear();
            Ranked = new Dictionary<string, double>(Scores, StringComparer.Ordinal);
        }
    }

    private static void AssertSame(Model model, Leaderboard board, string context)
    {
        model.Rank();
        var after = Model.Order(model.Scores);
        var rows = board.Top(int.MaxValue);
        Assert.True(after.SequenceEqual(rows.Select(r => r.RepId)), $"{context}: order\nwant {string.Join(",", after)}\ngot  {string.Join(",", rows.Select(r => r.RepId))}");
        Assert.True(after.Select(r => model.Scores[r]).SequenceEqual(rows.Select(r => r.Score)), $"{context}: scores");
        var movement = after.Select(r => model.Movement.GetValueOrDefault(r)).ToList();
        Assert.True(movement.SequenceEqual(rows.Select(r => r.Movement)), $"{context}: movement\nwant {string.Join(",", movement)}\ngot  {string.Join(",", rows.Select(r => r.Movement))}");
        Assert.Equal(rows.Select((_, i) => i + 1), rows.Select(r => board.RankOf(r.RepId)));
        Assert.Equal(after.Count, board.Count);
        Assert.Equal(model.Version, board.Version);
    }

    private static Leaderboard Restore(Leaderboard board, Random random)
    {
        var ids = Ids.OrderBy(_ => random.Next()).ToArray();
        var order = random.Next(2) == 0 ? null : new RepOrder(ids.Where((_, i) => i % 3 != 0)); // a shared order lacking some ids
        var copy = Leaderboard.FromMemento(board.ToMemento(Key, id => Array.IndexOf(ids, id)), ids, order);
        if (board.IsTracked)
        {
            copy.Track();
        }

        return copy;
    }

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var model = new Model();
        var board = new Leaderboard();
        var reps = Ids.OrderBy(_ => random.Next()).Take(2 + random.Next(Ids.Length - 2)).ToArray();
        var distinct = 1 + random.Next(12); // few distinct scores: many ties
        if (random.Next(2) == 0)
        {
            board.Track();
            model.Tracked = true;
        }

        for (var step = 0; step < 120; step++)
        {
            var context = $"seed {seed} step {step}";
            var batch = random.Next(4) switch { 0 => 1, 1 => 2, 2 => random.Next(8), _ => random.Next(reps.Length * 2) };
            for (var i = 0; i < batch; i++)
            {
                var rep = reps[random.Next(reps.Length)];
                double? score = random.Next(8) == 0 ? null : random.Next(distinct) * 10.0;
                Assert.Equal(model.Stage(rep, score), board.Stage(rep, score));
                Assert.Equal(model.Scores.TryGetValue(rep, out var s) ? s : null, board.ScoreOf(rep));
            }

            switch (random.Next(10))
            {
                case 0:
                    board.Cool(); // cools only when not read since the previous call
                    break;
                case 1:
                    board.Cool();
                    board.Cool();
                    Assert.False(board.IsRanked, context);
                    break;
                case 2:
                    model.Rank(); // a snapshot ranks what is staged
                    model.Reported.Clear(); // what a tracked board kept is not stored: the copy starts tracking afresh
                    board = Restore(board, random);
                    break;
            }

            if (random.Next(3) != 0)
            {
                AssertSame(model, board, context);
            }

            if (model.Tracked && random.Next(2) == 0)
            {
                model.Rank();
                var want = model.Reported
                    .Select(kv => new RankMove(kv.Key, kv.Value, Model.Order(model.Scores).IndexOf(kv.Key) + 1))
                    .OrderBy(m => m.RepId, StringComparer.Ordinal);
                Assert.Equal(want, board.TakeRankChanges().OrderBy(m => m.RepId, StringComparer.Ordinal));
                model.Reported.Clear();
            }
        }
    }

    [Fact]
    public void RandomBatches_ManySeeds_MatchASortFromScratch()
    {
        for (var seed = 1; seed <= 400; seed++)
        {
            Run(seed);
        }
    }

    [Fact]
    public void OneChangePerRead_IsTheUpdatesOwnMovement()
    {
        var board = new Leaderboard();
        foreach (var (rep, score) in new[] { ("bob", 100.0), ("amy", 100.0), ("Amy", 100.0), ("carl", 200.0), ("dan", 50.0) })
        {
            board.Stage(rep, score);
        }

        Assert.Equal(["carl", "Amy", "amy", "bob", "dan"], board.Top(10).Select(e => e.RepId));
        board.Stage("dan", 150);

        Assert.Equal(
            [("carl", 0), ("dan", 3), ("Amy", -1), ("amy", -1), ("bob", -1)],
            board.Top(10).Select(e => (e.RepId, e.Movement)));
    }

    [Fact]
    public void SeveralChangesInOneRead_MoveEachRepByItsNetChange()
    {
        var board = new Leaderboard();
        foreach (var (rep, score) in new[] { ("a", 50.0), ("b", 40.0), ("c", 30.0), ("d", 20.0), ("e", 10.0) })
        {
            board.Stage(rep, score);
        }

        _ = board.Top(10);
        // Among the reps there before and after (b, c, d, e): e rises from 4th to 1st, d from 3rd to 2nd.
        board.Stage("e", 60);
        board.Stage("d", 45);
        board.Stage("a", null); // a leaves and f enters: nobody moves for either
        board.Stage("f", 35);

        Assert.Equal(
            [("e", 60.0, 3), ("d", 45.0, 1), ("b", 40.0, -2), ("f", 35.0, 0), ("c", 30.0, -2)],
            board.Top(10).Select(e => (e.RepId, e.Score, e.Movement)));
    }

    [Fact]
    public void ColdBoard_FirstReadSortsAndKeepsMovement()
    {
        var board = new Leaderboard();
        board.Stage("x", 1);
        board.Stage("y", 2);
        _ = board.Top(10);
        board.Stage("x", 3);
        Assert.Equal(1, board.RankOf("x"));
        Assert.True(board.IsRanked);

        Assert.False(board.Cool()); // read since the last call
        Assert.True(board.Cool());
        Assert.False(board.IsRanked);
        board.Stage("z", 5);

        Assert.Equal([("z", 0), ("x", 1), ("y", -1)], board.Top(10).Select(e => (e.RepId, e.Movement)));
    }

    [Fact]
    public void TrackedBoard_ReportsEachChangedRepOnceWithItsRankBeforeItsFirstChange()
    {
        var board = new Leaderboard();
        board.Stage("a", 30);
        board.Stage("b", 20);
        board.Stage("c", 10);
        board.Track();
        board.Stage("c", 25);
        Assert.Equal(2, board.RankOf("c")); // a read in between: its ranks are kept too
        board.Stage("c", 35);
        board.Stage("d", 5);

        Assert.Equal(
            [new RankMove("c", 3, 1), new RankMove("d", 0, 4)],
            board.TakeRankChanges().OrderBy(m => m.RepId, StringComparer.Ordinal));
        Assert.Empty(board.TakeRankChanges());
    }

    [Fact]
    public void RepOrder_KeysOrderAsIdsOrdinal_AcrossRenumbering()
    {
        var order = new RepOrder();
        var ids = new List<string> { "a", "b" };
        order.KeyOf("a");
        order.KeyOf("b");

        // Each id sorts right after the previous one and before "b": the gap halves every time until keys are renumbered.
        for (var i = 1; i <= 80; i++)
        {
            ids.Add("a" + new string('a', i));
        }

        var random = new Random(7);
        ids.AddRange(Enumerable.Range(0, 300).Select(_ => new string((char)('a' + random.Next(3)), 1 + random.Next(6)) + random.Next(50)));
        foreach (var id in ids.Skip(2))
        {
            order.KeyOf(id);
        }

        Assert.True(order.Epoch > 0);
        var byKey = ids.Distinct().OrderBy(order.KeyOf).ToList();
        Assert.Equal(ids.Distinct().Order(StringComparer.Ordinal), byKey);
    }

    [Fact]
    public void BoardsSharingAnOrder_KeepTheirRanksWhenAnotherBoardRenumbersIt()
    {
        var order = new RepOrder();
        var one = new Leaderboard(order);
        var two = new Leaderboard(order);
        one.Stage("a", 1);
        one.Stage("b", 1);
        _ = one.Top(10);
        for (var i = 1; i <= 70; i++)
        {
            two.Stage("a" + new string('a', i), 1);
        }

        one.Stage("aa", 1);
        one.Stage("c", 1);

        Assert.True(order.Epoch > 0);
        Assert.Equal(["a", "aa", "b", "c"], one.Top(10).Select(e => e.RepId));
        Assert.Equal(Enumerable.Range(1, 70).Select(i => "a" + new string('a', i)), two.Top(100).Select(e => e.RepId));
    }
}
