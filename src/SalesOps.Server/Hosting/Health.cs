using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SalesOps.Server.Hosting;

/// <summary>
/// Healthy while this silo is an active member of its cluster. Served as the standard gRPC health service
/// (<c>grpc.health.v1.Health/Check</c>), which load balancers, Kubernetes probes and <c>healthcheck</c> use.
/// </summary>
public sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {silo.SiloAddress} is active")
            : HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} is {status}"));
    }
}

/// <summary>
/// The <c>healthcheck</c> command: asks the server on this machine for its gRPC health; exit code 0 when serving. It
/// reads the server's own settings: with <c>Server:Tls</c> it speaks TLS and accepts exactly the certificate the server
/// is configured with (it probes the local server, whatever name the certificate is for).
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(IConfiguration configuration)
    {
        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        PemCertificate? certificate;
        try
        {
            certificate = Endpoints.LoadPem(TransportOptions.From(configuration).Tls, "Server:Tls");
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }

        var target = $"{ProbeHost(server.GrpcHost)}:{server.GrpcPort}";
        using var handler = new SocketsHttpHandler();
        if (certificate is not null)
        {
            var expected = certificate.Leaf.RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected);
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(
                $"{(certificate is null ? "http" : "https")}://{target}",
                new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            Console.WriteLine($"{target} {reply.Status}");
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (Grpc.Core.RpcException ex)
        {
            await Console.Error.WriteLineAsync($"{target} unreachable: {ex.Status.Detail}");
            return 1;
        }
    }

    /// <summary>Where the local server answers: its own address, or loopback when it listens on every interface.</summary>
    internal static string ProbeHost(string grpcHost)
    {
        var host = grpcHost.Trim();
        if (host is "" or "0.0.0.0" || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "127.0.0.1";
        }

        if (host is "::" or "[::]")
        {
            return "[::1]";
        }

        return System.Net.IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{address}]"
            : host;
    }
}
