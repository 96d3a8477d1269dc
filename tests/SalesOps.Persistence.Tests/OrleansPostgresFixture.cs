using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;
using SalesOps.Runtime;
using SalesOps.TestSupport;

namespace SalesOps.Persistence.Tests;

/// <summary>
/// A migrated throwaway PostgreSQL and a two-silo in-process cluster whose membership, snapshot storage and
/// reminders all go through <see cref="PostgresStorage.UsePostgresStorage"/>. Shared by one collection; tests use
/// their own grain keys and never assume a silo count beyond "the silos that are active now".
/// </summary>
public sealed class OrleansPostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;
    private InProcessTestCluster? _cluster;

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public string ConnectionString { get; private set; } = "";

    public string ClusterId => Cluster.Options.ClusterId;

    public string ServiceId => Cluster.Options.ServiceId;

    public IClusterClient Client => Cluster.Client;

    /// <summary>A service of one of the active silos.</summary>
    public T SiloService<T>()
        where T : notnull => Cluster.GetActiveSilos().First().ServiceProvider.GetRequiredService<T>();

    /// <summary>A grain storage provider configured with <c>DeleteStateOnClear</c>.</summary>
    public const string DeletingStorageName = "snapshots-delete-on-clear";

    /// <summary>The snapshot storage provider (or another one by name) as a silo resolves it.</summary>
    public IGrainStorage SnapshotStorage(string name = Runtime.SnapshotStorage.Name) =>
        Cluster.GetActiveSilos().First().ServiceProvider.GetRequiredKeyedService<IGrainStorage>(name);

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync().WaitAsync(Limits.ServerStart);
        ConnectionString = _server.ConnectionString("salesops");
        await SchemaMigrator.MigrateAsync(ConnectionString).WaitAsync(Limits.Migration);

        var connectionString = ConnectionString;
        var builder = new InProcessTestClusterBuilder(2);
        InProcessClusters.UseRealMembership(builder.Options);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = "persistence-tests-" + Guid.NewGuid().ToString("N")[..8];
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UsePostgresStorage(connectionString);
            silo.Services.AddPostgresJournal(connectionString); // the journal probe's store
            silo.Services.AddDurableRuntime<ProbeEntry, ProbeEntryCodec>(JournalProbeGrain.Kind);
            // A second provider on the same table that deletes rows on clear, to exercise DeleteStorageKey.
            silo.AddAdoNetGrainStorage(DeletingStorageName, o =>
            {
                o.Invariant = PostgresStorage.Invariant;
                o.ConnectionString = connectionString;
                o.DeleteStateOnClear = true;
            });
            silo.DetectFailuresFast();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        });
        builder.ConfigureClient(client =>
        {
            client.UsePostgresClustering(connectionString);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        });

        _cluster = builder.Build();
        await _cluster.DeployAsync().WaitAsync(Limits.Cluster);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_cluster is not null)
            {
                await _cluster.StopAllSilosAsync().WaitAsync(Limits.Cluster);
                await _cluster.DisposeAsync().AsTask().WaitAsync(Limits.Cluster);
            }
        }
        finally
        {
            if (_server is not null)
            {
                await _server.DisposeAsync().AsTask().WaitAsync(Limits.ServerStart);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OrleansPostgresCollection : ICollectionFixture<OrleansPostgresFixture>
{
    public const string Name = "Orleans on PostgreSQL";
}
