using System.Collections.Concurrent;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// Carries the rep books' roll-ups to their regions, per silo: one call in flight per region, and the roll-ups that
/// reach the carrier meanwhile, from any rep book of the silo, go together in the next call (<see cref="IRegionGrain.ApplyRollupsAsync"/>).
/// A region then takes one call, and in durable mode one commit, per batch instead of per book message, and the batch
/// grows with the load by itself: no timer, no added wait when idle.
/// </summary>
/// <remarks>
/// Each sender's numbering and retries are unchanged: a book's lane has one message in flight at a time, its task
/// completes when the batch that carried it is applied (and committed), and fails if that call fails, so the book
/// keeps the message and sends it again; the region's inbox ignores a number it already has.
/// </remarks>
public sealed class RollupCarrier(GrainRefs grains)
{
    /// <summary>The most roll-ups one call carries; more wait for the next call.</summary>
    public const int MaxBatch = 512;

    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.Ordinal);

    /// <summary>Queues a roll-up for the region; completes when the region has applied it, or fails with the call.</summary>
    public Task SendAsync(string region, string sender, long firstSequence, long sequence, Rollup rollup)
    {
        var route = _routes.GetOrAdd(region, static _ => new Route());
        var item = new Waiting(new RollupItem(sender, sequence, rollup, firstSequence));
        bool start;
        lock (route)
        {
            route.Queue.Add(item);
            start = !route.Running;
            route.Running = true;
        }

        if (start)
        {
            // Off the calling grain's scheduler: the loop serves every rep book of the silo, not the one that started it.
            _ = Task.Run(() => RunAsync(region, route));
        }

        return item.Done.Task;
    }

    private async Task RunAsync(string region, Route route)
    {
        var grain = grains.Region(region);
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

            var items = new RollupItem[batch.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            try
            {
                await grain.ApplyRollupsAsync(items);
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

    private sealed class Waiting(RollupItem item)
    {
        public RollupItem Item { get; } = item;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
