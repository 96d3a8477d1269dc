using System.Collections.Concurrent;
using System.Threading.Channels;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Server.Push;

/// <summary>
/// This host's end of the push path: the silo-side notifier and alert log call it once per batch, and it hands
/// each update to this host's own gRPC watchers without waiting for any of them. Every watcher has its own
/// bounded buffer: a board watcher keeps only the latest snapshot (coalescing); an alert watcher keeps up to
/// <see cref="AlertBufferSize"/> alerts and is cut off with a resume point when it overflows.
/// </summary>
public sealed class PushHub : IPushHub
{
    public const int AlertBufferSize = 1_024;

    private readonly ConcurrentDictionary<(string RegionId, BoardKey Board), ConcurrentDictionary<BoardSubscription, byte>> _boards = new();
    private readonly ConcurrentDictionary<AlertSubscription, byte> _alerts = new();

    public Guid HostId { get; } = Guid.NewGuid();

    /// <summary>Boards that at least one watcher on this host is watching (their leases are renewed).</summary>
    public IEnumerable<(string RegionId, BoardKey Board)> WatchedBoards => _boards.Where(b => !b.Value.IsEmpty).Select(b => b.Key);

    public Task OnBoardsChangedAsync(BoardSnapshot[] boards)
    {
        foreach (var snapshot in boards)
        {
            if (_boards.TryGetValue((snapshot.RegionId, snapshot.Key), out var subscribers))
            {
                foreach (var s in subscribers.Keys)
                {
                    s.Offer(snapshot);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task OnAlertsAsync(AlertRecord[] alerts)
    {
        foreach (var s in _alerts.Keys)
        {
            s.Offer(alerts);
        }

        return Task.CompletedTask;
    }

    public BoardSubscription SubscribeBoard(string regionId, BoardKey board)
    {
        var key = (regionId, board);
        var subscription = new BoardSubscription(s => Unsubscribe(key, s));
        _boards.GetOrAdd(key, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    private bool Unsubscribe((string, BoardKey) key, BoardSubscription subscription)
    {
        if (!_boards.TryGetValue(key, out var set) || !set.TryRemove(subscription, out _))
        {
            return false;
        }

        // Forget boards nobody on this host watches any more (a concurrent subscriber re-adds its set).
        if (set.IsEmpty)
        {
            ((ICollection<KeyValuePair<(string, BoardKey), ConcurrentDictionary<BoardSubscription, byte>>>)_boards)
                .Remove(new KeyValuePair<(string, BoardKey), ConcurrentDictionary<BoardSubscription, byte>>(key, set));
        }

        return true;
    }

    public AlertSubscription SubscribeAlerts()
    {
        var subscription = new AlertSubscription(AlertBufferSize, s => _alerts.TryRemove(s, out _));
        _alerts.TryAdd(subscription, 0);
        return subscription;
    }
}

/// <summary>A board watcher's buffer of one: the newest snapshot wins.</summary>
public sealed class BoardSubscription(Func<BoardSubscription, bool> remove) : IDisposable
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private BoardSnapshot? _latest;

    public void Offer(BoardSnapshot snapshot)
    {
        lock (_gate)
        {
            if (_latest is not null && _latest.Version >= snapshot.Version)
            {
                return;
            }

            _latest = snapshot;
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Waits for a snapshot newer than what was taken last, and takes it.</summary>
    public async Task<BoardSnapshot> NextAsync(CancellationToken cancellationToken)
    {
        await _signal.Reader.ReadAsync(cancellationToken);
        lock (_gate)
        {
            return _latest!;
        }
    }

    public void Dispose() => remove(this);
}

/// <summary>
/// An alert watcher's bounded buffer. When it overflows it is completed and <see cref="Overflow"/> is cancelled, so a
/// writer waiting for alerts is cut off at once (one stuck in a write, by the write timeout); the watcher is told
/// where to resume.
/// </summary>
public sealed class AlertSubscription(int capacity, Func<AlertSubscription, bool> remove) : IDisposable
{
    private readonly Channel<AlertRecord> _buffer = Channel.CreateBounded<AlertRecord>(new BoundedChannelOptions(capacity) { SingleReader = true });
    private readonly CancellationTokenSource _overflow = new();

    public bool Overflowed => _overflow.IsCancellationRequested;

    /// <summary>Cancelled when the buffer overflows.</summary>
    public CancellationToken Overflow => _overflow.Token;

    public ChannelReader<AlertRecord> Reader => _buffer.Reader;

    public void Offer(AlertRecord[] alerts)
    {
        foreach (var a in alerts)
        {
            if (!_buffer.Writer.TryWrite(a))
            {
                _buffer.Writer.TryComplete();
                _overflow.Cancel();
                return;
            }
        }
    }

    public void Dispose()
    {
        // The token source is not disposed: a hub thread may still be offering to this subscription.
        remove(this);
        _buffer.Writer.TryComplete();
    }
}
