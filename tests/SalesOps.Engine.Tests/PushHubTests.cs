using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Server.Push;

namespace SalesOps.Engine.Tests;

/// <summary>The per-watcher buffers of the host's push hub: coalescing for boards, bounded with a cut-off for alerts.</summary>
public sealed class PushHubTests
{
    private static readonly BoardKey Board = new(Period.OfMonth(2026, 11), LeaderboardMetric.Bookings);

    private static BoardSnapshot Snapshot(long version) =>
        new("r", Board.Period.Code, (byte)Board.Metric, version, 1, [new BoardRow(1, "a", version, 0)], []);

    private static AlertRecord Alert(long sequence) =>
        new(sequence, (byte)AlertKind.BigDealWon, "o", "", "a", 0, "Bookings", 1, 0, "won", DateTimeOffset.UnixEpoch, Guid.Empty);

    [Fact]
    public async Task SlowBoardWatcher_GetsOnlyTheLatestVersion()
    {
        var hub = new PushHub();
        using var watcher = hub.SubscribeBoard("r", Board);
        for (var v = 1; v <= 500; v++)
        {
            await hub.OnBoardsChangedAsync([Snapshot(v)]);
        }

        await hub.OnBoardsChangedAsync([Snapshot(3)]);
        var next = await watcher.NextAsync(CancellationToken.None).Within();
        Assert.Equal(500, next.Version);
    }

    [Fact]
    public async Task StalledAlertWatcher_IsCutOffAfterItsBufferWithoutBlockingOthers()
    {
        var hub = new PushHub();
        using var stalled = hub.SubscribeAlerts();
        using var healthy = hub.SubscribeAlerts();
        var received = new List<long>();
        var total = PushHub.AlertBufferSize + 10;
        for (var s = 1; s <= total; s++)
        {
            await hub.OnAlertsAsync([Alert(s)]);
            while (healthy.Reader.TryRead(out var a))
            {
                received.Add(a.Sequence);
            }
        }

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), received);
        Assert.True(stalled.Overflowed);
        var buffered = new List<long>();
        await foreach (var a in stalled.Reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token))
        {
            buffered.Add(a.Sequence);
        }

        Assert.Equal(PushHub.AlertBufferSize, buffered.Count);
        Assert.Equal(1, buffered[0]);
    }

    [Fact]
    public async Task DisposedWatcher_NoLongerReceives()
    {
        var hub = new PushHub();
        var watcher = hub.SubscribeBoard("r", Board);
        Assert.Single(hub.WatchedBoards);
        watcher.Dispose();
        await hub.OnBoardsChangedAsync([Snapshot(1)]);
        Assert.Empty(hub.WatchedBoards);
        var next = watcher.NextAsync(CancellationToken.None);
        Assert.NotSame(next, await Task.WhenAny(next, Task.Delay(200)));
    }
    [Fact]
    public async Task WatchersAtTheSamePoint_ShareOneMessage_MadeOnce()
    {
        var shared = new SharedPushes();
        var makes = 0;
        var gate = new TaskCompletionSource();
        var step = new BoardStep("r", Board, 10, 4, 7, 42);
        async Task<WatcherBoardChange> Make()
        {
            Interlocked.Increment(ref makes);
            await gate.Task;
            return new WatcherBoardChange(new Contracts.V1.WatchLeaderboardResponse { Version = 7 }, new Dictionary<string, BoardRow>(), 1);
        }

        var watchers = Enumerable.Range(0, 50).Select(_ => Task.Run(() => shared.BoardAsync(step, Make))).ToList();
        gate.SetResult();
        var changes = await Task.WhenAll(watchers).Within();

        Assert.Equal(1, makes);
        Assert.All(changes, c => Assert.Same(changes[0].Update, c.Update));
        // Another size or another starting version is another message.
        await shared.BoardAsync(step with { Top = 20 }, Make).Within();
        await shared.BoardAsync(step with { From = 5 }, Make).Within();
        // The same version shown with other rows (other arrows after the region was rebuilt) is another message too.
        await shared.BoardAsync(step with { Shown = 43 }, Make).Within();
        Assert.Equal(4, makes);
    }

    [Fact]
    public async Task AMessageThatFailedToBeMade_IsMadeAgainByTheNextWatcher()
    {
        var shared = new SharedPushes();
        var alert = Alert(9);
        await Assert.ThrowsAsync<TimeoutException>(() => shared.AlertAsync(alert, () => Task.FromException<Contracts.V1.WatchAlertsResponse>(new TimeoutException())).Within());

        var made = await shared.AlertAsync(alert, () => Task.FromResult(new Contracts.V1.WatchAlertsResponse { Sequence = 9 })).Within();

        Assert.Equal(9, made.Sequence);
    }

    [Fact]
    public async Task BeyondItsCapacity_TheOldestMessagesAreForgotten()
    {
        var shared = new SharedPushes();
        var makes = 0;
        Task<Contracts.V1.WatchAlertsResponse> Make(long sequence)
        {
            makes++;
            return Task.FromResult(new Contracts.V1.WatchAlertsResponse { Sequence = sequence });
        }

        for (var sequence = 1; sequence <= SharedPushes.Capacity + 1; sequence++)
        {
            var s = sequence;
            await shared.AlertAsync(Alert(s), () => Make(s));
        }

        await shared.AlertAsync(Alert(SharedPushes.Capacity + 1), () => Make(0));
        await shared.AlertAsync(Alert(1), () => Make(1));

        Assert.Equal(SharedPushes.Capacity + 2, makes);
    }
}
