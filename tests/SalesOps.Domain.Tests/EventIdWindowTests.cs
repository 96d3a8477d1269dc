namespace SalesOps.Domain.Tests;

public sealed class EventIdWindowTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset Day(int n) => Day0.AddDays(n);

    [Fact]
    public void AcceptedId_IsADuplicateWhileInsideTheWindow()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(10), 100));
        window.Add("a", Day(0));

        Assert.Equal(DedupVerdict.Duplicate, window.Check("a", Day(0)));
        Assert.Equal(DedupVerdict.New, window.Check("b", Day(0)));
        Assert.Null(window.Horizon);
    }

    [Fact]
    public void IdsDatedBeyondTheMaxAgeOfTheNewest_AreForgottenAndTheirDatesRefused()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(10), 100));
        window.Add("old", Day(0));
        window.Add("mid", Day(5));
        window.Add("new", Day(12)); // "old" is now more than 10 days before the newest

        Assert.False(window.Contains("old"));
        Assert.Equal(Day(0), window.Horizon);
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("old", Day(0))); // a re-send: refused, not counted again
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("never-seen", Day(-3)));
        Assert.Equal(DedupVerdict.New, window.Check("late-but-inside", Day(2))); // exactly MaxAge before the newest
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("after-horizon-but-too-old", Day(1).AddHours(23)));
        Assert.Equal(DedupVerdict.Duplicate, window.Check("mid", Day(5)));
    }

    [Fact]
    public void MoreIdsThanMaxCount_ForgetsTheOldestDatedFirst()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(1000), 3));
        foreach (var (id, day) in new[] { ("d", 4), ("b", 2), ("c", 3), ("a", 1) })
        {
            window.Add(id, Day(day));
        }

        Assert.Equal(3, window.Count);
        Assert.False(window.Contains("a"));
        Assert.Equal(Day(1), window.Horizon);
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("a", Day(1)));
    }

    [Fact]
    public void ForgettingOneIdOfADate_ForgetsEveryIdOfThatDate()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(1000), 3));
        window.Add("x1", Day(1));
        window.Add("x2", Day(1));
        window.Add("y", Day(2));
        window.Add("z", Day(3)); // over the count: one id of day 1 goes, and so does the other

        Assert.False(window.Contains("x1"));
        Assert.False(window.Contains("x2"));
        Assert.Equal(2, window.Count);
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("x1", Day(1)));
        Assert.Equal(DedupVerdict.BeyondWindow, window.Check("x2", Day(1)));
    }

    [Fact]
    public void RestoredCopy_RemembersTheSameIdsAndHorizon()
    {
        var settings = new DedupWindow(TimeSpan.FromDays(30), 50);
        var original = new EventIdWindow(settings);
        var random = new Random(11);
        for (var i = 0; i < 500; i++)
        {
            original.Add("e" + i, Day(random.Next(0, 200)));
        }

        var (ids, horizon) = original.Export();
        var copy = new EventIdWindow(settings);
        copy.Import(ids, horizon);

        Assert.Equal(original.Horizon, copy.Horizon);
        Assert.Equal(original.Export().Ids.OrderBy(p => p.Key, StringComparer.Ordinal), copy.Export().Ids.OrderBy(p => p.Key, StringComparer.Ordinal));
        for (var i = 0; i < 600; i++)
        {
            var at = Day(random.Next(0, 220));
            Assert.Equal(original.Check("e" + i, at), copy.Check("e" + i, at));
        }
    }

    [Fact]
    public void EveryAcceptedEventDatedAfterTheHorizon_IsRemembered()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(20), 40));
        var random = new Random(5);
        var accepted = new List<(string Id, DateTimeOffset At)>();
        for (var i = 0; i < 2_000; i++)
        {
            var at = Day(random.Next(0, 365)).AddHours(random.Next(24));
            var id = "e" + i;
            if (window.Check(id, at) == DedupVerdict.New)
            {
                window.Add(id, at);
                accepted.Add((id, at));
            }
        }

        var horizon = window.Horizon ?? DateTimeOffset.MinValue;
        Assert.All(accepted.Where(a => a.At > horizon), a => Assert.True(window.Contains(a.Id), a.Id));
        Assert.All(accepted.Where(a => a.At <= horizon), a => Assert.NotEqual(DedupVerdict.New, window.Check(a.Id, a.At)));
        Assert.InRange(window.Count, 1, 40);
    }

    [Fact]
    public void SameAcceptedEventsInAnyOrder_LeaveTheSameWindow()
    {
        // Few distinct instants, so that count eviction meets ties (several ids of one instant) all the time.
        var settings = new DedupWindow(TimeSpan.FromDays(6), 7);
        var random = new Random(23);
        for (var trial = 0; trial < 200; trial++)
        {
            var events = Enumerable.Range(0, random.Next(1, 40)).Select(i => ("e" + i, Day(random.Next(0, 12)))).ToList();
            var first = new EventIdWindow(settings);
            foreach (var (id, at) in events)
            {
                first.Add(id, at);
            }

            var second = new EventIdWindow(settings);
            foreach (var (id, at) in events.OrderBy(_ => random.Next()))
            {
                second.Add(id, at);
            }

            Assert.Equal(first.Export().Ids, second.Export().Ids);
            Assert.Equal(first.Horizon, second.Horizon);
            Assert.Equal(first.Newest, second.Newest);
        }
    }

    [Fact]
    public void EventFoundNew_IsRememberedRightAfterItIsAdded()
    {
        var window = new EventIdWindow(new DedupWindow(TimeSpan.FromDays(5), 4));
        var random = new Random(3);
        var refusedForAge = 0;
        var refusedWhenFull = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var at = Day(random.Next(0, 400)).AddHours(random.Next(3));
            var id = "e" + i;
            switch (window.Check(id, at))
            {
                case DedupVerdict.New:
                    window.Add(id, at);
                    Assert.Equal(DedupVerdict.Duplicate, window.Check(id, at)); // a lost answer's re-send is a duplicate
                    break;
                case DedupVerdict.BeyondWindow when at > window.Horizon && window.Newest - at > TimeSpan.FromDays(5):
                    refusedForAge++;
                    break;
                case DedupVerdict.BeyondWindow when at > window.Horizon:
                    refusedWhenFull++;
                    break;
            }
        }

        Assert.True(refusedForAge > 0 && refusedWhenFull > 0, $"{refusedForAge} refused for age, {refusedWhenFull} for a full window");
    }
}
