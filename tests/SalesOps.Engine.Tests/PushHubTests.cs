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
}
