using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Cli;

/// <summary>The <c>keys</c> command through the command line's parser, against the real server (loopback: the local admin).</summary>
[Collection(ServerCollection.Name)]
public sealed class KeysCommandTests(ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task TheKeysCommand_CreatesListsAndRevokesThroughTheServer()
    {
        var label = $"cli-{Guid.NewGuid():N}";
        var admin = new V1.AdminService.AdminServiceClient(server.Channel);

        Assert.Equal(0, await KeysCommand.RunAsync(["create", "--role", "screen", "--label", label, "--expires", "2099-01-01T00:00:00Z", "--server", server.Address]).Within());
        var created = Assert.Single((await admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: DateTime.UtcNow + Deadline)).Keys, k => k.Label == label);
        Assert.Equal((V1.Role.Screen, 2099), (created.Role, created.ExpiresAt.ToDateTimeOffset().Year));
        Assert.Equal(0, await KeysCommand.RunAsync(["list", "--server", server.Address]).Within());

        Assert.Equal(0, await KeysCommand.RunAsync(["revoke", created.KeyId, "--server", server.Address]).Within());
        Assert.DoesNotContain((await admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: DateTime.UtcNow + Deadline)).Keys, k => k.Label == label);

        // Refused by the parser (no role; an unknown role; revoke without the id): exit code 2, nothing sent.
        Assert.Equal(2, await KeysCommand.RunAsync(["create", "--label", label, "--server", server.Address]).Within());
        Assert.Equal(2, await KeysCommand.RunAsync(["create", "--role", "king", "--label", label, "--server", server.Address]).Within());
        Assert.Equal(2, await KeysCommand.RunAsync(["revoke", "--server", server.Address]).Within());
        // Refused by the server: exit code 1.
        Assert.Equal(1, await KeysCommand.RunAsync(["revoke", "no-such-key", "--server", server.Address]).Within());
    }
}
