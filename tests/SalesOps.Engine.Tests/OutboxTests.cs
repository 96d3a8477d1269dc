using SalesOps.Runtime;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The outbox's delivery rules with a merge function: what queues behind a send in flight goes as one message, and
/// nothing a receiver may already have is ever merged into something new, so every amount is counted exactly once.
/// The receiver here is an <see cref="Inbox"/> in front of a running total, as a region is.
/// </summary>
public sealed class OutboxTests
{
    private const string Destination = "region";

    /// <summary>A receiver whose calls complete when the test says so, or fail.</summary>
    private sealed class Receiver
    {
        private readonly Inbox _inbox = new();

        public long Total { get; private set; }
        public List<(long Sequence, int Amount)> Calls { get; } = new();
        public TaskCompletionSource? Gate { get; set; }
        public bool ApplyThenFail { get; set; }

        public async Task SendAsync(string destination, long first, long sequence, int amount)
        {
            Assert.Equal(Destination, destination);
            Calls.Add((sequence, amount));
            if (Gate is { } gate)
            {
                await gate.Task;
            }

            if (_inbox.IsNew("sender", first))
            {
                Total += amount;
                _inbox.Applied("sender", sequence);
            }

            if (ApplyThenFail)
            {
                ApplyThenFail = false;
                throw new TimeoutException("the answer was lost");
            }
        }
    }

    private static Outbox<int> Summing() => new(amounts => amounts.Sum());

    /// <summary>The outbox's first message (1) in flight, held at the receiver's gate, with more queued behind it.</summary>
    private static (Receiver Receiver, Task Drain) HeldDrain(Outbox<int> outbox, params int[] behind)
    {
        var receiver = new Receiver { Gate = new TaskCompletionSource() };
        outbox.Enqueue(Destination, 1);
        var drain = outbox.DrainAsync(receiver.SendAsync);
        foreach (var amount in behind)
        {
            outbox.Enqueue(Destination, amount);
        }

        return (receiver, drain);
    }

    [Fact]
    public async Task MessagesQueuedBehindASendInFlight_GoAsOneNumberedWithTheLast()
    {
        var outbox = Summing();
        var (receiver, drain) = HeldDrain(outbox, 10, 100, 1000);

        receiver.Gate!.SetResult();
        await drain;

        Assert.Equal([(1L, 1), (4L, 1110)], receiver.Calls);
        Assert.Equal(1111, receiver.Total);
        Assert.False(outbox.HasPending);
    }

    [Fact]
    public async Task WithoutAMergeFunction_EveryMessageGoesOnItsOwn()
    {
        var outbox = new Outbox<int>();
        var (receiver, drain) = HeldDrain(outbox, 10, 100);

        receiver.Gate!.SetResult();
        await drain;

        Assert.Equal([(1L, 1), (2L, 10), (3L, 100)], receiver.Calls);
        Assert.Equal(111, receiver.Total);
    }

    [Fact]
    public async Task AMessageSentOnce_IsSentAgainUnchanged_NotMergedWithNewerOnes()
    {
        var outbox = Summing();
        var receiver = new Receiver { ApplyThenFail = true }; // the call arrives, its answer does not
        outbox.Enqueue(Destination, 1);
        outbox.Enqueue(Destination, 10); // merged with 1 before the first send: one message numbered 2

        await Assert.ThrowsAsync<TimeoutException>(() => outbox.DrainAsync(receiver.SendAsync));
        outbox.Enqueue(Destination, 100);
        outbox.Enqueue(Destination, 1000);
        await outbox.DrainAsync(receiver.SendAsync);

        // The retry of #2 is ignored by the receiver, which has it; #2 was not widened to take 100 and 1000 along.
        Assert.Equal([(2L, 11), (2L, 11), (4L, 1100)], receiver.Calls);
        Assert.Equal(1111, receiver.Total);
    }

    [Fact]
    public async Task RestoredMessages_GoOneByOne_SoOnesTheReceiverHasAreNotCountedAgain()
    {
        // A sender rebuilt from its snapshot or journal queues messages 1-3 again; the receiver already has 1 and 2.
        var outbox = Summing();
        var receiver = new Receiver();
        outbox.Enqueue(Destination, 1);
        await outbox.DrainAsync(receiver.SendAsync);
        outbox.Enqueue(Destination, 10);
        await outbox.DrainAsync(receiver.SendAsync);
        var rebuilt = Summing();
        rebuilt.Import(outbox.Export().Select(l => l with { LastSequence = 0, Pending = [] }));
        rebuilt.Enqueue(Destination, 1);
        rebuilt.Enqueue(Destination, 10);
        rebuilt.Enqueue(Destination, 100);
        rebuilt.MarkRecovered();
        rebuilt.Enqueue(Destination, 1000); // queued by the rebuilt sender itself: may merge with nothing restored

        await rebuilt.DrainAsync(receiver.SendAsync);

        Assert.Equal([(1L, 1), (2L, 10), (1L, 1), (2L, 10), (3L, 100), (4L, 1000)], receiver.Calls);
        Assert.Equal(1111, receiver.Total);
    }

    [Fact]
    public async Task AfterStop_ARunningDrainSendsNothingMoreAndMergesNothing()
    {
        // A deactivating sender's drain must not run on beside the next activation's, which resends one by one.
        var outbox = Summing();
        var (receiver, drain) = HeldDrain(outbox, 10, 100);

        outbox.Stop();
        receiver.Gate!.SetResult();
        await drain;

        Assert.Equal([(1L, 1)], receiver.Calls);
        Assert.True(outbox.HasPending);
        var lane = Assert.Single(outbox.Export());
        Assert.Equal([(2L, 10), (3L, 100)], lane.Pending);
    }

    [Fact]
    public void Inbox_MemoryModeSuccessorActivation_ReplacesItsPredecessorAndIgnoresItsLateMessages()
    {
        var inbox = new Inbox();
        inbox.Applied("repbook/3#a1", 5);

        // The successor numbers from 1 again: its first message is new, and replaces the predecessor's entry.
        Assert.True(inbox.IsNew("repbook/3#a2", 1));
        inbox.Applied("repbook/3#a2", 1);
        Assert.False(inbox.IsNew("repbook/3#a2", 1));
        Assert.True(inbox.IsNew("repbook/3#a2", 2));

        // A message of the lost predecessor still in flight may be a re-send of one applied: it is ignored.
        Assert.False(inbox.IsNew("repbook/3#a1", 5));
        Assert.False(inbox.IsNew("repbook/3#a1", 6));
        Assert.Equal(1, inbox.Count);
        Assert.Equal(new Dictionary<string, long> { ["repbook/3#a2"] = 1 }, inbox.Export());
    }

    [Fact]
    public void Inbox_ManyActivationsOfOneSender_RemembersOneEntry()
    {
        var inbox = new Inbox();
        for (var activation = 0; activation < 1_000; activation++)
        {
            var sender = $"region/east#{activation}";
            Assert.True(inbox.IsNew(sender, 1));
            inbox.Applied(sender, 1);
        }

        Assert.Equal(1, inbox.Count);
        Assert.False(inbox.IsNew("region/east#998", 2)); // recently superseded: still recognised as lost
    }

    [Fact]
    public void Inbox_SendersWhoseIdsContainHash_AreTwoSenders_InBothModes()
    {
        // Entity ids may contain '#': customers "a#b" and "a#c" are two senders, not two activations of "a".
        var durable = new Inbox(activations: false);
        durable.Applied("customer/a#b", 3);
        Assert.True(durable.IsNew("customer/a#c", 1));
        durable.Applied("customer/a#c", 1);
        Assert.True(durable.IsNew("customer/a#b", 4)); // before the fix: "b" taken for a superseded activation, dropped
        Assert.False(durable.IsNew("customer/a#b", 3));
        Assert.Equal(new Dictionary<string, long> { ["customer/a#b"] = 3, ["customer/a#c"] = 1 }, durable.Export());

        // In memory mode the activation is what follows the last '#'.
        var memory = new Inbox();
        memory.Applied("customer/a#b#f00d", 3);
        Assert.True(memory.IsNew("customer/a#c#f00d", 1));
        memory.Applied("customer/a#c#f00d", 1);
        Assert.True(memory.IsNew("customer/a#b#f00d", 4));
        Assert.Equal(2, memory.Count);
    }

    [Theory]
    [InlineData("repbook/17", false, "repbook/17", "")]
    [InlineData("customer/a#b", false, "customer/a#b", "")]
    [InlineData("customer/a/b", false, "customer/a/b", "")]
    [InlineData("repbook/17#0f3a", true, "repbook/17", "0f3a")]
    [InlineData("customer/a#b#0f3a", true, "customer/a#b", "0f3a")]
    public void SendingGrain_IsTheWholeDurableName_OrAMemoryNameUpToItsLastHash(string sender, bool activations, string grain, string activation)
    {
        Assert.Equal(grain, Inbox.SendingGrain(sender, activations, out var a).ToString());
        Assert.Equal(activation, a.ToString());
    }

    [Fact]
    public async Task LanesThatEmpty_AreDropped_AndTheNumbersEachDestinationSeesKeepGrowing()
    {
        var outbox = new Outbox<int>();
        var sent = new List<(string Destination, long First, long Last)>();
        Task Send(string destination, long first, long last, int message)
        {
            sent.Add((destination, first, last));
            return Task.CompletedTask;
        }

        for (var customer = 0; customer < 1_000; customer++)
        {
            outbox.Enqueue($"c{customer}", customer);
        }

        await outbox.DrainAsync(Send);
        Assert.False(outbox.HasPending);
        var idle = Assert.Single(outbox.Export()); // nothing to send: the number alone, no lane per destination
        Assert.Equal(("", 1_000L), (idle.Destination, idle.LastSequence));

        var restored = new Outbox<int>();
        restored.Import(outbox.Export());
        restored.Enqueue("c5", 5);
        await restored.DrainAsync(Send);
        Assert.Equal(("c5", 1_001L, 1_001L), sent[^1]);
    }

    [Fact]
    public async Task SnapshotOfAnEarlierBuild_WithALaneNumberedOnItsOwn_GoesOnFromTheHighestNumber()
    {
        var outbox = new Outbox<int>();
        outbox.Import([new OutboxLane<int>("a", 7, []), new OutboxLane<int>("b", 3, [(3, 30)])]);
        var sent = new List<(string Destination, long Last)>();
        outbox.Enqueue("a", 80);
        await outbox.DrainAsync((destination, _, last, _) =>
        {
            sent.Add((destination, last));
            return Task.CompletedTask;
        });

        Assert.Equal([("a", 8L), ("b", 3L)], sent.OrderBy(s => s.Destination));
    }

    [Fact]
    public async Task Undelivered_CountsEveryNumberOfAMergedMessageUntilItIsDelivered()
    {
        var outbox = Summing();
        var (receiver, drain) = HeldDrain(outbox, 2, 3, 4);
        Assert.Equal(4, outbox.Undelivered);
        receiver.Gate!.SetResult();
        await drain;
        Assert.Equal(0, outbox.Undelivered);
        Assert.Equal(10, receiver.Total);
    }

    [Fact]
    public async Task ManyInterleavedSendsAndFailures_CountEveryAmountOnce()
    {
        var random = new Random(7);
        var outbox = Summing();
        var receiver = new Receiver();
        long expected = 0;
        for (var round = 0; round < 500; round++)
        {
            for (var k = random.Next(4); k > 0; k--)
            {
                var amount = random.Next(1, 1000);
                expected += amount;
                outbox.Enqueue(Destination, amount);
            }

            receiver.Gate = new TaskCompletionSource();
            receiver.ApplyThenFail = random.Next(5) == 0;
            var drain = outbox.DrainAsync(receiver.SendAsync);
            for (var k = random.Next(3); k > 0; k--)
            {
                var amount = random.Next(1, 1000);
                expected += amount;
                outbox.Enqueue(Destination, amount); // behind the send in flight
            }

            receiver.Gate.SetResult();
            try
            {
                await drain;
            }
            catch (TimeoutException)
            {
                // stays queued; the next round sends it again
            }
        }

        receiver.Gate = null;
        await outbox.DrainAsync(receiver.SendAsync);
        Assert.Equal(expected, receiver.Total);
        Assert.True(receiver.Calls.Count < 500 * 4, $"{receiver.Calls.Count} calls: queued messages were not merged");
    }

    [Fact]
    public void MergedRollups_LeaveARegionAsTheRollupsOneByOneDo()
    {
        var month = Period.OfMonth(2026, 11);
        var bookings = new BoardKey(month, LeaderboardMetric.Bookings);
        var activities = new BoardKey(month, LeaderboardMetric.Activities);
        var rollups = new[]
        {
            Rollup(5, 1, ("ann", 1, true, [(bookings, 100.0), (activities, 1.0)])),
            Rollup(7, 2, ("ann", 2, false, [(activities, 2.0)]), ("bob", 1, true, [(activities, 4.0)])),
            Rollup(-3, 3, ("ann", 3, false, [(bookings, null)])),
            Rollup(11, 0),
        };
        var oneByOne = new RegionState("r", DedupWindow.Default);
        var merged = new RegionState("r", DedupWindow.Default);

        foreach (var r in rollups)
        {
            Apply(oneByOne, r);
        }

        Apply(merged, SalesOps.Abstractions.Rollup.Merge(rollups));

        Assert.Equal(Counters(oneByOne), Counters(merged));
        foreach (var key in new[] { bookings, activities })
        {
            Assert.Equal(Rows(oneByOne, key), Rows(merged, key));
        }

        Assert.Equal([("bob", 4.0), ("ann", 2.0)], Rows(merged, activities));
        Assert.Empty(Rows(merged, bookings));
    }

    private static Dictionary<FigureKey, long> Counters(RegionState region)
    {
        var all = new Dictionary<FigureKey, long>();
        foreach (var (key, value) in region.Figures)
        {
            all[key] = value;
        }

        return all;
    }

    private static Rollup Rollup(long bookings, int month, params (string Rep, long Seq, bool Full, (BoardKey Board, double? Score)[] Scores)[] boards)
    {
        var set = new FigureSet();
        set.Add(new FigureKey(Figure.Bookings, Period.OfMonth(2026, month + 1), 0, 0), bookings);
        var changes = boards
            .Select(b => BoardChange.From(new BoardUpdate(b.Rep, b.Seq, true, b.Full, b.Scores.Select(s => new ScoreChange(s.Board, s.Score)).ToList())))
            .ToArray();
        return new Rollup(Counter.From(set), changes);
    }

    private static void Apply(RegionState region, Rollup rollup)
    {
        foreach (var c in rollup.Counters)
        {
            region.Figures.Add(c.Key, c.Value);
        }

        foreach (var b in rollup.Boards)
        {
            region.ApplyBoardUpdate(b.ToDomain());
        }
    }

    private static List<(string Rep, double Score)> Rows(RegionState region, BoardKey key) =>
        region.Board(key)?.Top(100).Select(r => (r.RepId, r.Score)).ToList() ?? [];

    /// <summary>
    /// A deal book's credit lane to a rep book: the credit messages that waited go as one, every rep's items in the
    /// order they were queued, numbered with the last.
    /// </summary>
    [Fact]
    public async Task RepCreditsQueuedBehindASendInFlight_GoAsOneWithEveryRepsItemsInOrder()
    {
        var outbox = new Outbox<RepCredits[]>(RepCredits.Merge);
        var gate = new TaskCompletionSource();
        var calls = new List<(long Sequence, RepCredits[] Credits)>();
        Credit Item(long value) => new((byte)Figure.Bookings, 0, 0, value, null, null);
        outbox.Enqueue("17", [new RepCredits("ann", [Item(1)])]);
        var drain = outbox.DrainAsync(async (_, _, sequence, credits) =>
        {
            calls.Add((sequence, credits));
            await gate.Task;
        });
        outbox.Enqueue("17", [new RepCredits("bob", [Item(10)])]);
        outbox.Enqueue("17", [new RepCredits("ann", [Item(-1)]), new RepCredits("cy", [Item(100), Item(1000)])]);

        gate.SetResult();
        await drain;

        Assert.Equal([1L, 3L], calls.Select(c => c.Sequence));
        Assert.Equal(
            [("bob", 10L), ("ann", -1L), ("cy", 100L), ("cy", 1000L)],
            calls[1].Credits.SelectMany(c => c.Credits.Select(i => (c.RepId, i.Value))));
    }

    /// <summary>
    /// An activation merged three messages into one and sent it; before that call arrives, the next activation (restored
    /// with the three messages queued) has re-sent the first on its own. The merged message then carries a number the
    /// receiver has applied, so it is a repeat, and the one-by-one re-sends bring the other two: each amount once.
    /// </summary>
    [Fact]
    public async Task MergedMessageOfAGoneActivationArrivingAfterItsSuccessorsFirstResend_IsARepeat()
    {
        var gone = Summing();
        foreach (var amount in new[] { 10, 100, 1000 })
        {
            gone.Enqueue(Destination, amount);
        }

        var successor = Summing();
        successor.Import(gone.Export());
        successor.MarkRecovered();
        var goneSends = new List<(long First, long Last, int Amount)>();
        var successorSends = new List<(long First, long Last, int Amount)>();
        await gone.DrainAsync((_, first, last, amount) => Record(goneSends, first, last, amount));
        await successor.DrainAsync((_, first, last, amount) => Record(successorSends, first, last, amount));
        Assert.Equal([(1L, 3L, 1110)], goneSends);
        Assert.Equal([(1L, 1L, 10), (2L, 2L, 100), (3L, 3L, 1000)], successorSends);

        var inbox = new Inbox();
        long total = 0;
        foreach (var (first, last, amount) in new[] { successorSends[0], goneSends[0], successorSends[1], successorSends[2] })
        {
            if (inbox.IsNew("sender", first))
            {
                total += amount;
                inbox.Applied("sender", last);
            }
        }

        Assert.Equal(1110, total);
    }

    [Fact]
    public async Task MergedMessageInASnapshot_KeepsItsFirstNumber()
    {
        var outbox = Summing();
        var (receiver, drain) = HeldDrain(outbox, 10, 100, 1000);
        receiver.Gate!.SetResult();
        await drain;
        outbox.Enqueue(Destination, 5);
        outbox.Enqueue(Destination, 50);
        receiver.Gate = new TaskCompletionSource();
        drain = outbox.DrainAsync(receiver.SendAsync); // merges 5 and 50 as 5–6 and holds it in flight
        var restored = Summing();
        restored.Import(outbox.Export());
        receiver.Gate.SetResult();
        await drain;

        var sends = new List<(long First, long Last, int Amount)>();
        await restored.DrainAsync((_, first, last, amount) => Record(sends, first, last, amount));
        Assert.Equal([(5L, 6L, 55)], sends);
    }

    private static Task Record(List<(long First, long Last, int Amount)> sends, long first, long last, int amount)
    {
        sends.Add((first, last, amount));
        return Task.CompletedTask;
    }
}
