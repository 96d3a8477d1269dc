using System.Collections.Concurrent;

namespace SalesOps.Runtime;

/// <summary>
/// Merges concurrent calls to one destination, per silo: one call in flight per destination, and the requests that
/// arrive meanwhile, from any caller, go together in the next call, each answered with its own slice of the results.
/// A destination that commits once per call (a durable grain) then commits once per merged call instead of once per
/// request, and the merge grows with the load by itself: no timer, no added wait when idle.
/// </summary>
/// <remarks>
/// A merged call carries at most <see cref="MaxItems"/> items (more wait for the next call), never splits a request,
/// takes requests in the order they came, and answers every request in it with the call's failure if it fails. A
/// request with an entity (<paramref name="entityOf"/>) already in the call waits for the next one, with the requests
/// behind it: two requests' items of one entity are applied in two calls, in the order they came, and a call of
/// requests whose items are of distinct entities (a wave of ingest) has items of distinct entities.
/// </remarks>
/// <param name="call">The call that carries the items to a destination; answers one result per item, in order.</param>
/// <param name="entityOf">The entity an item changes.</param>
public sealed class CallMerger<TKey, TItem, TResult>(Func<TKey, TItem[], Task<TResult[]>> call, Func<TItem, string> entityOf)
    where TKey : notnull
{
    /// <summary>The most items one merged call carries, unless one request alone has more.</summary>
    public const int MaxItems = 2_048;

    private readonly ConcurrentDictionary<TKey, Route> _routes = new();

    /// <summary>Calls <paramref name="destination"/> with <paramref name="items"/>, merged with other requests queued for it.</summary>
    public Task<TResult[]> CallAsync(TKey destination, TItem[] items)
    {
        var keys = new string[items.Length]; // taken here, so a failure to name an entity is the caller's, not the loop's
        for (var i = 0; i < items.Length; i++)
        {
            keys[i] = entityOf(items[i]);
        }

        var route = _routes.GetOrAdd(destination, static _ => new Route());
        var request = new Request(items, keys);
        bool start;
        lock (route)
        {
            route.Queue.Enqueue(request);
            start = !route.Running;
            route.Running = true;
        }

        if (start)
        {
            // Off the caller's execution context (never flowed by this queueing): the loop serves every caller of the
            // silo, not the one that started it. A call of several requests belongs to none of their traces; a call of
            // one is made in its own (InContextOf).
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Merger.RunAsync(s.Destination, s.Route), (Merger: this, Destination: destination, Route: route), preferLocal: false);
        }

        return request.Done.Task;
    }

    /// <summary>How many requests wait for <paramref name="destination"/> behind the call in flight.</summary>
    public int Queued(TKey destination)
    {
        if (!_routes.TryGetValue(destination, out var route))
        {
            return 0;
        }

        lock (route)
        {
            return route.Queue.Count;
        }
    }

    private async Task RunAsync(TKey destination, Route route)
    {
        var merged = new List<Request>();
        var entities = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            merged.Clear();
            entities.Clear();
            var count = 0;
            lock (route)
            {
                while (route.Queue.TryPeek(out var next) && (merged.Count == 0 || (count + next.Items.Length <= MaxItems && Disjoint(next, entities))))
                {
                    merged.Add(route.Queue.Dequeue());
                    count += next.Items.Length;
                    entities.UnionWith(next.Entities);
                }

                if (merged.Count == 0)
                {
                    route.Running = false;
                    return;
                }
            }

            await CallMergedAsync(destination, merged, count);
        }
    }

    private static bool Disjoint(Request request, HashSet<string> entities)
    {
        foreach (var entity in request.Entities)
        {
            if (entities.Contains(entity))
            {
                return false;
            }
        }

        return true;
    }

    private async Task CallMergedAsync(TKey destination, List<Request> merged, int count)
    {
        try
        {
            // A call of one request is made in that request's execution context, so it stays part of the request's trace
            // (and carries its request context), as a direct call would.
            var results = await (merged.Count == 1 ? InContextOf(merged[0], destination) : call(destination, Concatenated(merged, count)));
            if (results.Length != count)
            {
                throw new InvalidOperationException($"{destination} answered {results.Length} results for {count} items");
            }

            var at = 0;
            foreach (var request in merged)
            {
                request.Done.TrySetResult(merged.Count == 1 ? results : results[at..(at + request.Items.Length)]);
                at += request.Items.Length;
            }
        }
        catch (Exception ex)
        {
            foreach (var request in merged)
            {
                request.Done.TrySetException(ex);
            }
        }
    }

    private static TItem[] Concatenated(List<Request> merged, int count)
    {
        var items = new TItem[count];
        var at = 0;
        foreach (var request in merged)
        {
            request.Items.CopyTo(items, at);
            at += request.Items.Length;
        }

        return items;
    }

    private Task<TResult[]> InContextOf(Request request, TKey destination)
    {
        if (request.Context is not { } context)
        {
            return call(destination, request.Items);
        }

        Task<TResult[]>? started = null;
        ExecutionContext.Run(context, _ => started = call(destination, request.Items), null);
        return started!;
    }

    private sealed class Route
    {
        public readonly Queue<Request> Queue = new();
        public bool Running;
    }

    private sealed class Request(TItem[] items, string[] entities)
    {
        public TItem[] Items { get; } = items;

        /// <summary>The entity of each item.</summary>
        public string[] Entities { get; } = entities;

        /// <summary>The caller's execution context (its trace), for a call that carries this request alone.</summary>
        public ExecutionContext? Context { get; } = ExecutionContext.Capture();
        public TaskCompletionSource<TResult[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
