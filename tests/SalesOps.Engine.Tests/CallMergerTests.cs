using SalesOps.Runtime;

namespace SalesOps.Engine.Tests;

/// <summary>The call merger on its own: requests queued behind a call in flight go together, each answered with its own results.</summary>
public sealed class CallMergerTests
{
    /// <summary>A destination that records each call's items and waits for the test to answer it.</summary>
    private sealed class Destination
    {
        public List<string[]> Calls { get; } = [];
        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Failure { get; set; }

        public async Task<string[]> CallAsync(int key, string[] items)
        {
            lock (Calls)
            {
                Calls.Add(items);
            }

            await Gate.Task;
            return Failure is { } failure ? throw failure : items.Select(i => $"{key}:{i}").ToArray();
        }
    }

    private static string EntityOf(string item) => item.Split('.')[0];

    /// <summary>Starts a call and waits until the destination has it, so the requests after it queue behind it.</summary>
    private static async Task<Task<string[]>> InFlightAsync(CallMerger<int, string, string> merger, Destination destination, int key, string item)
    {
        var before = destination.Calls.Count;
        var call = merger.CallAsync(key, [item]);
        await Wait.UntilAsync(() => { lock (destination.Calls) { return destination.Calls.Count > before; } }, "the call reached the destination");
        return call;
    }

    [Fact]
    public async Task RequestsQueuedBehindACall_GoAsOneCall_EachAnsweredWithItsOwnSlice()
    {
        var destination = new Destination();
        var merger = new CallMerger<int, string, string>(destination.CallAsync, EntityOf);

        var first = await InFlightAsync(merger, destination, 7, "a.1");
        var second = merger.CallAsync(7, ["b.1", "c.1"]);
        var third = merger.CallAsync(7, ["d.1"]);
        var elsewhere = await InFlightAsync(merger, destination, 8, "a.2");
        Assert.Equal(2, merger.Queued(7));
        destination.Gate.SetResult();

        Assert.Equal(["7:a.1"], await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["7:b.1", "7:c.1"], await second.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["7:d.1"], await third.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["8:a.2"], await elsewhere.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([["a.1"], ["a.2"], ["b.1", "c.1", "d.1"]], destination.Calls.OrderBy(c => c[0]));
        Assert.Equal(0, merger.Queued(7));
    }

    [Fact]
    public async Task RequestWithAnEntityAlreadyInTheCall_WaitsForTheNextCall_InOrder()
    {
        var destination = new Destination();
        var merger = new CallMerger<int, string, string>(destination.CallAsync, EntityOf);

        var first = await InFlightAsync(merger, destination, 1, "x.0");
        var queued = new[] { merger.CallAsync(1, ["a.1"]), merger.CallAsync(1, ["b.1"]), merger.CallAsync(1, ["a.2"]), merger.CallAsync(1, ["c.1"]) };
        destination.Gate.SetResult();
        await Task.WhenAll([first, .. queued]).WaitAsync(TimeSpan.FromSeconds(10));

        // a.2 changes the entity a.1 changes: it starts the next call, and c.1, behind it, goes with it.
        Assert.Equal([["x.0"], ["a.1", "b.1"], ["a.2", "c.1"]], destination.Calls);
    }

    private static readonly AsyncLocal<string?> Caller = new();

    [Fact]
    public async Task CallOfOneRequest_RunsInItsCallersContext_AMergedCallInNone()
    {
        var seen = new List<string?>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var merger = new CallMerger<int, string, string>(
            async (_, items) =>
            {
                lock (seen)
                {
                    seen.Add(Caller.Value);
                }

                Interlocked.Increment(ref calls);
                await gate.Task;
                return items;
            },
            EntityOf);

        Caller.Value = "first";
        var first = merger.CallAsync(1, ["a.1"]);
        await Wait.UntilAsync(() => Volatile.Read(ref calls) == 1, "the first call reached the destination");
        Caller.Value = "second";
        var second = merger.CallAsync(1, ["b.1"]);
        Caller.Value = "third";
        var third = merger.CallAsync(1, ["c.1"]);
        Caller.Value = null;
        gate.SetResult();
        await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["first", null], seen); // the trace of a request is its own call's, and a merged call is in no one's
    }

    [Fact]
    public async Task MergedCallFails_EveryRequestInItFails_AndTheNextCallRuns()
    {
        var destination = new Destination();
        var merger = new CallMerger<int, string, string>(destination.CallAsync, EntityOf);

        var first = await InFlightAsync(merger, destination, 1, "x.0");
        var second = merger.CallAsync(1, ["a.1"]);
        var third = merger.CallAsync(1, ["b.1"]);
        destination.Failure = new TimeoutException("the destination did not answer");
        destination.Gate.SetResult();

        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<TimeoutException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<TimeoutException>(() => third.WaitAsync(TimeSpan.FromSeconds(10)));
        destination.Failure = null;
        Assert.Equal(["1:c.1"], await merger.CallAsync(1, ["c.1"]).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([["x.0"], ["a.1", "b.1"], ["c.1"]], destination.Calls);
    }

    [Fact]
    public async Task CallThatThrowsBeforeItStarts_FailsItsRequests_AndTheRouteGoesOn()
    {
        var throws = true;
        var merger = new CallMerger<int, string, string>(
            (_, items) => throws ? throw new InvalidOperationException("no grain reference") : Task.FromResult(items),
            EntityOf);

        await Assert.ThrowsAsync<InvalidOperationException>(() => merger.CallAsync(1, ["a.1"]).WaitAsync(TimeSpan.FromSeconds(10)));
        throws = false;

        Assert.Equal(["a.2"], await merger.CallAsync(1, ["a.2"]).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task DestinationAnsweringTheWrongNumberOfResults_FailsTheRequest()
    {
        var merger = new CallMerger<int, string, string>((_, _) => Task.FromResult(new[] { "one" }), EntityOf);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => merger.CallAsync(1, ["a.1", "b.1"]).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("answered 1 results for 2 items", failure.Message);
    }

    [Fact]
    public async Task MergedCall_CarriesAtMostMaxItems_ButNeverSplitsARequest()
    {
        var destination = new Destination();
        var merger = new CallMerger<int, string, string>(destination.CallAsync, EntityOf);
        string[] Items(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}{i}.0").ToArray();

        var first = await InFlightAsync(merger, destination, 1, "x.0");
        var big = merger.CallAsync(1, Items("big", CallMerger<int, string, string>.MaxItems + 5));
        var small = merger.CallAsync(1, Items("small", 3));
        destination.Gate.SetResult();
        await Task.WhenAll(first, big, small).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1, CallMerger<int, string, string>.MaxItems + 5, 3], destination.Calls.Select(c => c.Length));
        Assert.Equal(3, (await small).Length);
    }
}
