using System.Collections.Concurrent;
using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Push;

/// <summary>
/// The work every watcher on this host would otherwise repeat for the same push: a board's change from one version to
/// the next (rows compared, reps' names looked up, the message built) and an alert's message (names looked up, the
/// text written). The first watcher that needs one makes it; every watcher at the same point takes the same message, so
/// the cost of a tick's push grows with the boards and alerts that changed, not with the watchers. A shared message is
/// never changed once made: writers wrap it (a screen's stream) or write it as it is.
/// </summary>
public sealed class SharedPushes
{
    /// <summary>Messages kept for watchers still on their way to them; a watcher further behind makes its own.</summary>
    public const int Capacity = 4_096;

    private readonly Memo<(Guid Epoch, long Sequence), V1.WatchAlertsResponse> _alerts = new(Capacity);
    private readonly Memo<BoardStep, WatcherBoardChange> _boards = new(Capacity);

    /// <summary>The message of alert <paramref name="alert"/>, made once by <paramref name="make"/>.</summary>
    public Task<V1.WatchAlertsResponse> AlertAsync(AlertRecord alert, Func<Task<V1.WatchAlertsResponse>> make) =>
        _alerts.GetOrAdd((alert.Epoch, alert.Sequence), make);

    /// <summary>What a watcher showing <paramref name="step"/>'s first version is sent for its second, made once by <paramref name="make"/>.</summary>
    public Task<WatcherBoardChange> BoardAsync(BoardStep step, Func<Task<WatcherBoardChange>> make) => _boards.GetOrAdd(step, make);

    /// <summary>
    /// A bounded memo of tasks: concurrent callers of one key share one task, the oldest keys are forgotten beyond the
    /// capacity, and a task that fails is forgotten so the next caller tries again.
    /// </summary>
    private sealed class Memo<TKey, TValue>(int capacity)
        where TKey : notnull
    {
        private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _entries = new();
        private readonly ConcurrentQueue<TKey> _order = new();

        public Task<TValue> GetOrAdd(TKey key, Func<Task<TValue>> make)
        {
            if (_entries.TryGetValue(key, out var found))
            {
                return found.Value;
            }

            var mine = new Lazy<Task<TValue>>(() => MakeAsync(make), LazyThreadSafetyMode.ExecutionAndPublication);
            var entry = _entries.GetOrAdd(key, mine);
            if (!ReferenceEquals(entry, mine))
            {
                return entry.Value;
            }

            _order.Enqueue(key);
            while (_order.Count > capacity && _order.TryDequeue(out var oldest))
            {
                _entries.TryRemove(oldest, out _);
            }

            var task = mine.Value;
            if (!task.IsCompletedSuccessfully)
            {
                _ = task.ContinueWith(
                    (t, state) => _entries.TryRemove(KeyValuePair.Create(key, (Lazy<Task<TValue>>)state!)),
                    mine,
                    CancellationToken.None,
                    TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            return task;
        }

        /// <summary>A maker that throws before its first await fails its task, like one that throws later.</summary>
        private static async Task<TValue> MakeAsync(Func<Task<TValue>> make) => await make();
    }
}

/// <summary>
/// A board watched with <paramref name="Top"/> rows, going from version <paramref name="From"/> to <paramref name="To"/>,
/// from what the watcher shows (<paramref name="Shown"/>: <see cref="Fingerprint"/>). The version alone does not pin the
/// rows a watcher shows: movement depends on when the board was ranked (ADR 0034), so a watcher that joined after the
/// region grain was rebuilt may show other arrows at the same version than one that watched throughout.
/// </summary>
public readonly record struct BoardStep(string RegionId, BoardKey Board, int Top, long From, long To, ulong Shown)
{
    /// <summary>An order-independent fingerprint of the rows a watcher shows and the board's count.</summary>
    public static ulong Fingerprint(IReadOnlyDictionary<string, BoardRow> rows, int total)
    {
        var print = (ulong)(uint)total * 0x9E3779B97F4A7C15UL;
        foreach (var row in rows.Values)
        {
            print += ((ulong)(uint)row.GetHashCode() + 1) * 0xBF58476D1CE4E5B9UL;
        }

        return print;
    }
}

/// <summary>
/// A board watcher's next message (null when nothing it shows changed), and the rows and total it then shows.
/// </summary>
public sealed record WatcherBoardChange(V1.WatchLeaderboardResponse? Update, IReadOnlyDictionary<string, BoardRow> Rows, int Total);
