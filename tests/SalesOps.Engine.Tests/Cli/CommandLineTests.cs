using SalesOps.Server.Cli;

namespace SalesOps.Engine.Tests.Cli;

/// <summary>The command line's parser: help, errors and what reaches the server's configuration. Nothing is started.</summary>
public sealed class CommandLineTests
{
    private static async Task<(int Code, string Output, string Error, string[]? ServerArgs)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[]? serverArgs = null;
        var code = await SalesOpsCommandLine.InvokeAsync(args, output, error, (a, _) =>
        {
            serverArgs = a;
            return Task.FromResult(0);
        }).Within();
        return (code, output.ToString(), error.ToString(), serverArgs);
    }

    [Fact]
    public async Task UnknownSwitch_ExitCode2AndAMessageNamingIt()
    {
        var (code, _, error, serverArgs) = await RunAsync("--grpc-prot", "7070");

        Assert.Equal(2, code);
        Assert.Contains("'--grpc-prot'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no stack trace
        Assert.Null(serverArgs);
    }

    [Fact]
    public async Task UnknownSwitchOfASubcommand_ExitCode2AndAMessageNamingIt()
    {
        var (code, _, error, _) = await RunAsync("import", "rows.csv", "--kind", "activities", "--bogus");

        Assert.Equal(2, code);
        Assert.Contains("--bogus", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedValue_ExitCode2NamingTheSwitch()
    {
        var (code, _, error, serverArgs) = await RunAsync("--grpc-port", "seventy");

        Assert.Equal(2, code);
        Assert.Contains("--grpc-port", error, StringComparison.Ordinal);
        Assert.Null(serverArgs);
    }

    [Fact]
    public async Task Help_ListsTheSubcommandsAndTheServerSwitches()
    {
        var (code, output, _, serverArgs) = await RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Null(serverArgs);
        foreach (var command in new[] { "migrate", "healthcheck", "keys", "channels", "import", "get", "top", "alerts" })
        {
            Assert.Contains($"  {command} ", output, StringComparison.Ordinal);
        }

        Assert.Contains("--grpc-port", output, StringComparison.Ordinal);
        Assert.Contains("--storage", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubcommandHelp_ListsItsOptions()
    {
        var (code, output, _, _) = await RunAsync("import", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--kind", output, StringComparison.Ordinal);
        Assert.Contains("--rejects", output, StringComparison.Ordinal);
        Assert.Contains("--server", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerSwitchesAndConfigurationOverrides_ReachTheServerAsConfigurationKeys()
    {
        var (code, _, error, serverArgs) = await RunAsync(
            "--grpc-port", "7171", "--storage", "memory", "--Membership:ProbeTimeout", "00:00:01", "--web-port", "-1",
            "--Logging:LogLevel:Default=Warning", "--demo");

        Assert.True(code == 0, error);
        Assert.NotNull(serverArgs);
        Assert.Equal(
            ["--Server:GrpcPort", "7171", "--Server:WebPort", "-1", "--Storage:Mode", "memory", "--demo", "--Membership:ProbeTimeout", "00:00:01", "--Logging:LogLevel:Default=Warning"],
            serverArgs);
    }

    [Fact]
    public async Task ConfigurationOverrideWithoutAValue_ExitCode2()
    {
        var (code, _, error, serverArgs) = await RunAsync("--Engine:TimeZone");

        Assert.Equal(2, code);
        Assert.Contains("--Engine:TimeZone", error, StringComparison.Ordinal);
        Assert.Null(serverArgs);
    }

    [Fact]
    public async Task StorageOutsideItsChoices_ExitCode2()
    {
        var (code, error) = await RunAsync("--storage", "floppy") is var r ? (r.Code, r.Error) : default;

        Assert.Equal(2, code);
        Assert.Contains("floppy", error, StringComparison.Ordinal);
    }
}
