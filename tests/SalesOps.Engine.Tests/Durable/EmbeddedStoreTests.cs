using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// The default storage mode, the embedded SQLite store of a single server, under the same crash test as postgres
/// mode: SIGKILL under ingest, restart on the same data folder, every acknowledged event answers DUPLICATE and every
/// figure equals a from-scratch recomputation.
/// </summary>
public sealed class EmbeddedStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "salesops-embedded-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public Task ServerKilledUnderLoad_KeepsEveryAcknowledgedEventExactlyOnce() =>
        ProcessTests.KillUnderLoadThenRestartAsync(ServerProcess.Embedded(_folder), new DurableWorkload("embedded", seed: 13));

    [Fact]
    public async Task ASecondServerOnTheSameDataFolder_IsRefusedAtStart_NamingTheFolder()
    {
        await using var first = ServerProcess.Embedded(_folder);
        await first.StartAsync();
        await using var second = ServerProcess.Embedded(_folder);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains($"'{_folder}' is in use by another SalesOps server", refused.Message, StringComparison.Ordinal);
        Assert.Contains("server exited with 2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithCredentialsRequired_TheFirstAdminKeyIsMadeInTheStoreBeforeTheServerRuns()
    {
        // No key yet, no bootstrap key, no tokens: nobody could ever authenticate, so the server refuses to start and says how.
        await using (var keyless = ServerProcess.Embedded(_folder, "--Auth:Required", "true"))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => keyless.StartAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("holds no active admin key", refused.Message, StringComparison.Ordinal);
            Assert.Contains($"keys create --role admin --label \"first admin\" --data-dir '{_folder}'", refused.Message, StringComparison.Ordinal);
            Assert.Contains("server exited with 2", refused.Message, StringComparison.Ordinal);
        }

        var (code, output) = await ServerProcess.RunCommandAsync("keys", "create", "--role", "admin", "--label", "first admin", "--data-dir", _folder);
        Assert.True(code == 0, output);
        var apiKey = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("sok_", StringComparison.Ordinal));

        await using var server = ServerProcess.Embedded(_folder, "--Auth:Required", "true");
        await server.StartAsync();
        var admin = new V1.AdminService.AdminServiceClient(server.Channel);
        var anonymous = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => admin.ListApiKeysAsync(new V1.ListApiKeysRequest()).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, anonymous.StatusCode);
        var keys = await admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), new Grpc.Core.Metadata { { "x-api-key", apiKey } });
        Assert.Equal("first admin", Assert.Single(keys.Keys).Label);

        // While the server holds the folder, the command is refused (it would be a second writer) and says so.
        var (busy, why) = await ServerProcess.RunCommandAsync("keys", "list", "--data-dir", _folder);
        Assert.Equal(1, busy);
        Assert.Contains("is in use by another SalesOps server", why, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
