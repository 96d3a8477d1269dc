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

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
