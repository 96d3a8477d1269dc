using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using SalesOps.Server.Access;

namespace SalesOps.Server.Cli;

/// <summary>
/// The options of every command that calls a running server: <c>--server</c> (the local one by default) and the
/// caller's key, <c>--api-key</c> or the environment's <c>SALESOPS_API_KEY</c> (none needed against a local development
/// server).
/// </summary>
public sealed class ClientOptions
{
    public const string DefaultServer = "http://127.0.0.1:7070";

    public Option<string> Server { get; } = new("--server")
    {
        Description = "the server's gRPC address",
        DefaultValueFactory = _ => DefaultServer,
        HelpName = "url",
    };

    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = "the caller's API key [default: env SALESOPS_API_KEY]",
        HelpName = "key",
    };

    /// <summary>Adds both options to <paramref name="command"/> (recursively: its subcommands take them too).</summary>
    public ClientOptions AddTo(Command command)
    {
        Server.Recursive = true;
        ApiKey.Recursive = true;
        command.Options.Add(Server);
        command.Options.Add(ApiKey);
        return this;
    }

    public string ServerOf(ParseResult parse) => parse.GetValue(Server) ?? DefaultServer;

    public string? KeyOf(ParseResult parse) => parse.GetValue(ApiKey);

    /// <summary>The caller's key as call metadata: the given one, else <c>SALESOPS_API_KEY</c>; none when neither is set.</summary>
    public static Metadata Headers(string? apiKey) =>
        (apiKey ?? Environment.GetEnvironmentVariable("SALESOPS_API_KEY")) is { Length: > 0 } key
            ? [new Metadata.Entry(Credentials.ApiKeyHeader, key)]
            : [];

    /// <summary>A channel to <paramref name="address"/> that carries the largest batch the server accepts.</summary>
    public static GrpcChannel Channel(string address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = Hosting.SalesOpsHost.MaxMessageBytes });
}
