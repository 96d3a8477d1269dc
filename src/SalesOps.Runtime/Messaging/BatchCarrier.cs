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
/// message and sends it again; the destination's inbox ignores a number it already has. A destination over its
/// back-pressure bound may refuse some of a batch's items and take the rest (it answers the refused items' places):
/// those items' tasks fail with <see cref="BackPressureException"/>, so their senders keep them and retry.
/// </remarks>
/// <param name="send">The call that carries a batch to a destination; answers the places of the items it refused.</param>
/// <param name="name">The destination's name, for a refused item's exception.</param>
public class BatchCarrier<TItem>(Func<string, TItem[], Task<int[]>> send, Func<string, string> name)
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
            // Off the calling grain's scheduler and its execution context (never flowed by this queueing, so a sender whose
            // flow is already suppressed cannot leave the route marked running with no loop): the loop serves every sender
            // of the silo, not the one that started it (whose trace would otherwise take in every later batch of the route).
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Carrier.RunAsync(s.Destination, s.Route), (Carrier: this, Destination: destination, Route: route), preferLocal: false);
        }

        return waiting.Done.Task;
    }

    /// <summary>
    /// This carrier as the carrier of a grain's lanes (<see cref="ICarrier{T}"/>): each lane message goes as the item
    /// <paramref name="item"/> makes of it (destination, sender, first and last number, message).
    /// </summary>
    public ICarrier<TMessage> For<TMessage>(Func<string, string, long, long, TMessage, TItem> item) => new LaneCarrier<TMessage>(this, item);

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
                foreach (var i in await send(destination, items))
                {
                    batch[i].Done.TrySetException(BackPressureException.MessageRefused(name(destination)));
                }

                foreach (var w in batch)
                {
                    w.Done.TrySetResult(); // a refused item's task has failed already: its first outcome stands
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

    private sealed class LaneCarrier<TMessage>(BatchCarrier<TItem> carrier, Func<string, string, long, long, TMessage, TItem> item) : ICarrier<TMessage>
    {
        public Task SendAsync(string destination, string sender, long firstSequence, long lastSequence, TMessage message) =>
            carrier.SendAsync(destination, item(destination, sender, firstSequence, lastSequence, message));
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
