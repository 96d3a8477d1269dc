using SalesOps.Server.Cli;

namespace SalesOps.Engine.Tests.Cli;

/// <summary>The read-only client commands (get, top, alerts) against the real server: what they answer with.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClientCommandTests(ServerFixture server)
{
    private Task<int> RunAsync(CancellationToken cancel, params string[] args) =>
        SalesOpsCommandLine.InvokeAsync([.. args, "--server", server.Address], TextWriter.Null, TextWriter.Null, cancellationToken: cancel);

    [Fact]
    public async Task GetTopAndAlerts_AgainstTheServer_ExitCodeZeroAndOneForAnUnknownRep()
    {
        var s = new Scenario("cli-get");
        var ack = await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 40_000, h: 1), s.Won("o1", 2));
        Assert.Equal(0, ack.Rejected);

        Assert.Equal(0, await RunAsync(CancellationToken.None, "get", "rep", s.Id("ann"), "--period", "2026-11").Within());
        Assert.Equal(0, await RunAsync(CancellationToken.None, "get", "region", s.Id("r"), "--period", "2026-11").Within());
        Assert.Equal(0, await RunAsync(CancellationToken.None, "get", "customer", s.Id("acme")).Within());
        Assert.Equal(1, await RunAsync(CancellationToken.None, "get", "rep", s.Id("nobody")).Within());

        // Without --follow, alerts prints the retained ones and ends once the stream is quiet.
        Assert.Equal(0, await RunAsync(CancellationToken.None, "alerts", "--region", s.Id("r")).Within(TimeSpan.FromSeconds(20)));

        // top and alerts --follow run until cancelled (Ctrl+C), then end cleanly.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await RunAsync(stop.Token, "top", "--region", s.Id("r"), "--period", "2026-11", "--rows", "5").Within());
        using var stopAlerts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await RunAsync(stopAlerts.Token, "alerts", "--follow", "--region", s.Id("r")).Within());
        Assert.Equal(2, await RunAsync(CancellationToken.None, "top", "--metric", "revenue").Within());
    }
}
