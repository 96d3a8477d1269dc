using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests;

/// <summary>The engine's notion of "now" in every test: mid-November 2026.</summary>
public static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);
}

/// <summary>A real in-process Orleans cluster of two silos, shared by the "cluster" collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(TestClock.Start);
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    /// <remarks>
    /// The engine clock stands still at <see cref="TestClock.Start"/> while the scenarios date events years ahead of
    /// it, so this fixture lets events run that far ahead; the skew rule itself is tested by HostileInputTests.
    /// </remarks>
    public EngineSettings Settings { get; } =
        new EngineOptions { BigDealThreshold = 500_000, OvertakeDepth = 10, MaxFutureSkew = TimeSpan.FromDays(20 * 365) }.ToSettings();
    public EventIngestor Ingestor { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(new EngineClock(Time));
            silo.Services.AddSalesOpsEngine(configure: o =>
            {
                o.BigDealThreshold = 500_000;
                o.RollupInterval = TimeSpan.FromMilliseconds(10);
            });
            silo.KeepStateInMemory();
            silo.AddIncomingGrainCallFilter<FaultInjection>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        var refs = new GrainRefs(Cluster.Client);
        Ingestor = new EventIngestor(refs, new BookCalls(refs, merge: false), new KnownEntities(refs), Settings, new EngineClock(Time), Microsoft.Extensions.Logging.Abstractions.NullLogger<EventIngestor>.Instance);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

public static class Net
{
    /// <summary>A loopback port for a server the test starts (outside the ephemeral range: <see cref="SalesOps.TestSupport.Net.LoopbackPorts"/>).</summary>
    public static int FreePort() => SalesOps.TestSupport.Net.LoopbackPorts.Free();
}

public static class Wait
{
    /// <summary>Polls until the condition holds; fails the test after <paramref name="timeout"/> (default 10 s).</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) => UntilAsync(condition, () => what, timeout);

    /// <summary>As above, with the failure's text built when it fails (it may name the last value the condition saw).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for: {what()}");
            }

            await Task.Delay(20);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Bounds any await so a hung call fails instead of hanging the run.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null) =>
        await task.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));

    public static async Task Within(this Task task, TimeSpan? timeout = null) =>
        await task.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));
}
