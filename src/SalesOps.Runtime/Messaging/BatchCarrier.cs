using System.Collections.Concurrent;

namespace SalesOps.Runtime;

/// <summary>
/// Carries many senders' messages to their destinations, per silo: one call in flight per destination, and the
/// messages that reach the carrier meanwhile, from any sender of the silo, go together in the next call. A destination
/// then takes one call, and in durable mode one commit, per batch instead of per sender message, and the batch grows
/// with the load by itself: no timer, no added wait when idle.
/// </summary>
/// <remarks>
/// Each sender's numbering and retries are unchanged: a lane has one message in flight at a time, its task completes
/// when the batch that carried it is applied (and committed), and fails if that call fails, so the sender keeps the
/// message and sends it again; the destination's inbox ignores a number it already has.
/// </remarks>
public class BatchCarrier<TItem>(Func<string, TItem[], Task> send)
{
    /// <summary>The most items one call carries; more wait for the next call.</summary>
    public const int MaxBatch = 512;

    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.Ordinal);

    /// <summary>Queues an item for <paramref name="destination"/>; completes when the destination has applied it, or fails with the call.</summary>
    public Task SendAsync(string destination, TItem item)
    {
        var route = _routes.GetOrAdd(destination, static _ => new Route());
        var waiting = new Waiting(item);
        bool start;
        lock (route)
        {
            route.Queue.Add(waiting);
            start = !route.Running;
            route.Running = true;
        }

        if (start)
        {
            // Off the calling grain's scheduler: the loop serves every sender of the silo, not the one that started it.
            _ = Task.Run(() => RunAsync(destination, route));
        }

        return waiting.Done.Task;
    }

    private async Task RunAsync(string destination, Route route)
    {
        while (true)
        {
            List<Waiting> batch;
            lock (route)
            {
                if (route.Queue.Count == 0)
                {
                    route.Running = false;
                    return;
                }

                if (route.Queue.Count <= MaxBatch)
                {
                    batch = route.Queue;
                    route.Queue = new List<Waiting>();
                }
                else
                {
                    batch = route.Queue.GetRange(0, MaxBatch);
                    route.Queue.RemoveRange(0, MaxBatch);
                }
            }

            var items = new TItem[batch.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            try
            {
                await send(destination, items);
                foreach (var w in batch)
                {
                    w.Done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                foreach (var w in batch)
                {
                    w.Done.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Route
    {
        public List<Waiting> Queue = new();
        public bool Running;
    }

    private sealed class Waiting(TItem item)
    {
        public TItem Item { get; } = item;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
