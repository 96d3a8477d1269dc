namespace SalesOps.Persistence.Tests;

/// <summary>
/// A durable grain whose call fails part-way through applying or queueing what it brought (an engine bug; nothing a
/// client sends reaches it) must not go on from state that is ahead of its journal: the activation stops taking calls
/// and is rebuilt from the journal, and the sender's retry is applied once.
/// </summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class AbandonedCallTests(OrleansPostgresFixture fixture)
{
    private IJournalProbeGrain Probe(out string key)
    {
        key = "abandon-" + Guid.NewGuid().ToString("N");
        return fixture.Cluster.Client.GetGrain<IJournalProbeGrain>(key);
    }

    /// <summary>The grain's view once an activation other than <paramref name="abandoned"/> answers.</summary>
    private static Task<JournalProbeView> RebuiltAsync(IJournalProbeGrain probe, Guid abandoned) =>
        Eventually.SucceedsAsync(
            async () =>
            {
                var view = await probe.GetAsync();
                return view.Activation != abandoned ? view : throw new InvalidOperationException("the abandoned activation still answers");
            },
            Limits.Call,
            Limits.Call,
            "the abandoned activation was never replaced");

    [Fact]
    public async Task BatchThatThrowsPartWayThroughApplying_LeavesNothingOfItInTheRebuiltGrain_AndItsRetryAppliesOnce()
    {
        var probe = Probe(out _);
        await probe.ReceiveAsync(new ProbeMessage("sender/1", 1, "a")).WaitAsync(Limits.Call);
        var before = await probe.GetAsync().WaitAsync(Limits.Call);

        // "b" is applied in memory before "poison" throws; none of the call is journaled.
        await Assert.ThrowsAnyAsync<Exception>(() => probe.ReceiveAllAsync(
            [new ProbeMessage("sender/1", 2, "b"), new ProbeMessage("sender/1", 3, "poison"), new ProbeMessage("sender/1", 4, "c")]).WaitAsync(Limits.Call));

        var after = await RebuiltAsync(probe, before.Activation);
        Assert.Equal(["a"], after.Values); // not "b": the rebuilt grain holds what its journal holds
        Assert.Equal(["a"], after.Queued);

        // The sender retries what it was never told was applied, without the poison: each value is applied once.
        Assert.Empty(await probe.ReceiveAllAsync([new ProbeMessage("sender/1", 2, "b"), new ProbeMessage("sender/1", 3, "c")]).WaitAsync(Limits.Call));
        await probe.ReceiveAsync(new ProbeMessage("sender/1", 2, "b")).WaitAsync(Limits.Call); // a repeat: skipped
        var retried = await probe.GetAsync().WaitAsync(Limits.Call);
        Assert.Equal(["a", "b", "c"], retried.Values);
        Assert.Equal(["a", "b", "c"], retried.Queued);
    }

    [Fact]
    public async Task MessageThatThrowsWhileApplied_AbandonsTheActivation_SoNoLaterCallSeesItsHalfAppliedState()
    {
        var probe = Probe(out _);
        await probe.ReceiveAsync(new ProbeMessage("sender/2", 1, "a")).WaitAsync(Limits.Call);
        var before = await probe.GetAsync().WaitAsync(Limits.Call);

        await Assert.ThrowsAnyAsync<Exception>(() => probe.ReceiveAsync(new ProbeMessage("sender/2", 2, "poison")).WaitAsync(Limits.Call));

        var after = await RebuiltAsync(probe, before.Activation);
        Assert.Equal(["a"], after.Values);
    }

    [Fact]
    public async Task EffectThatThrowsWhenQueued_IsQueuedByTheReplayOfTheRebuiltGrain()
    {
        // The value is committed, then queueing its effect throws: the effect is owed, and only a replay queues it.
        var probe = Probe(out _);
        await probe.ReceiveAsync(new ProbeMessage("sender/3", 1, "a")).WaitAsync(Limits.Call);
        var before = await probe.GetAsync().WaitAsync(Limits.Call);

        await Assert.ThrowsAnyAsync<Exception>(() => probe.ReceiveAsync(new ProbeMessage("sender/3", 2, "poison-queue")).WaitAsync(Limits.Call));

        var after = await RebuiltAsync(probe, before.Activation);
        Assert.Equal(["a", "poison-queue"], after.Values);
        Assert.Equal(["a", "poison-queue"], after.Queued);

        await probe.ReceiveAsync(new ProbeMessage("sender/3", 2, "poison-queue")).WaitAsync(Limits.Call); // the sender's retry: a repeat
        Assert.Equal(["a", "poison-queue"], (await probe.GetAsync().WaitAsync(Limits.Call)).Values);
    }
}
