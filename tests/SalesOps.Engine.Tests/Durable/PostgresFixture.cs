using SalesOps.Persistence;
using SalesOps.TestSupport;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>A throwaway PostgreSQL for the durability tests; each test takes a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));

    /// <summary>Creates and migrates database <paramref name="name"/>; returns its connection string.</summary>
    public async Task<string> DatabaseAsync(string name)
    {
        var connectionString = Server.ConnectionString(name);
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(TimeSpan.FromSeconds(60));
        return connectionString;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
