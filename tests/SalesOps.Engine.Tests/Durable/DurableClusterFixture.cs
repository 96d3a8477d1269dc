using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.TestingHost;
using SalesOps.Grains;
using SalesOps.Grains.Durability;
using SalesOps.Persistence;
using SalesOps.TestSupport;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// A two-silo in-process cluster in durable mode: membership, snapshots and reminders on a throwaway PostgreSQL
/// through the ADO.NET providers, grains journaling to it. Snapshots are taken every few entries so that restores
/// from snapshot plus journal are exercised, not only full replays.
/// </summary>
public sealed class DurableClusterFixture : IAsyncLifetime
{
    public const int SnapshotEvery = 7;

    private PostgresServer _server = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public EventIngestor Ingestor { get; private set; } = null!;

    /// <summary>The ingestor's calls to the books, merged as in a durable server.</summary>
    public BookCalls BookCalls { get; private set; } = null!;

    /// <summary>The engine's database, for tests that put stored data in place before a grain reads it.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var connectionString = _server.ConnectionString("engine");
        ConnectionString = connectionString;
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(TimeSpan.FromSeconds(60));

        var builder = new InProcessTestClusterBuilder(2);
        InProcessClusters.UseRealMembership(builder.Options);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UsePostgresStorage(connectionString);
            silo.Services.AddPostgresJournal(connectionString);
            silo.Services.AddSalesOpsEngine(configure: o =>
            {
                o.RollupInterval = TimeSpan.FromMilliseconds(10);
                o.SnapshotEvery = SnapshotEvery;
                o.BookSnapshotEvery = SnapshotEvery;
            });
            silo.DetectFailuresFast();
            silo.AddIncomingGrainCallFilter<BlockedCalls>();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        builder.ConfigureClient(client =>
        {
            client.UsePostgresClustering(connectionString);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var refs = new GrainRefs(Cluster.Client);
        BookCalls = new BookCalls(refs, merge: true);
        Ingestor = new EventIngestor(refs, BookCalls, new KnownEntities(refs), new EngineOptions().ToSettings(), new EngineClock(TimeProvider.System), NullLogger<EventIngestor>.Instance);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await Cluster.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DurableClusterCollection : ICollectionFixture<DurableClusterFixture>
{
    public const string Name = "durable cluster";
}
