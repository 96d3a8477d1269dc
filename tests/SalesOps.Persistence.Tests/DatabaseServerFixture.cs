using SalesOps.TestSupport;

namespace SalesOps.Persistence.Tests;

/// <summary>One throwaway PostgreSQL server for the schema and query tests; each test uses its own database.</summary>
public sealed class DatabaseServerFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>A database name no other test uses (it does not exist until a migration creates it).</summary>
    public static string NewDatabaseName() => "db_" + Guid.NewGuid().ToString("N")[..16];

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync().WaitAsync(Limits.ServerStart);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().AsTask().WaitAsync(Limits.ServerStart);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseServerCollection : ICollectionFixture<DatabaseServerFixture>
{
    public const string Name = "PostgreSQL for schema and query tests";
}
