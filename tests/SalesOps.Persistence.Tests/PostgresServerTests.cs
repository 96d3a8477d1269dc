using Npgsql;
using SalesOps.TestSupport;

namespace SalesOps.Persistence.Tests;

[CollectionDefinition(Name)]
public sealed class ThrowawayServerCollection
{
    public const string Name = "Throwaway PostgreSQL server";
}

/// <summary>The test server itself: outages are simulated with it, so it must really stop and come back.</summary>
[Collection(ThrowawayServerCollection.Name)]
public sealed class PostgresServerTests
{
    [Fact]
    public async Task StopThenStartAgain_RefusesConnectionsWhileDownAndKeepsCommittedRows()
    {
        var server = await PostgresServer.StartAsync().WaitAsync(Limits.ServerStart);
        var dataDirectory = server.DataDirectory;
        try
        {
            // No pooling: a pooled connection would outlive the restart and fail on first use.
            var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
            await Sql.ExecuteAsync(connectionString, "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (42)");
            var port = server.Port;

            await server.StopAsync().WaitAsync(Limits.ServerStart);
            Assert.False(server.IsRunning);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => Sql.ScalarAsync<int>(connectionString, "SELECT 1"));

            await server.StartAgainAsync().WaitAsync(Limits.ServerStart);

            Assert.True(server.IsRunning);
            Assert.Equal(port, server.Port);
            Assert.Equal(42, await Sql.ScalarAsync<int>(connectionString, "SELECT id FROM kept"));
            Assert.Equal("on", await Sql.ScalarAsync<string>(connectionString, "SHOW fsync"));
        }
        finally
        {
            await server.DisposeAsync().AsTask().WaitAsync(Limits.ServerStart);
        }

        Assert.False(Directory.Exists(dataDirectory));
    }
}
