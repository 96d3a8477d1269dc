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

/// <summary>The <c>healthcheck</c> command: asks a server on this machine for its gRPC health; exit code 0 when serving.</summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(IConfiguration configuration)
    {
        var port = configuration.GetValue("Server:GrpcPort", 7070);
        try
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            Console.WriteLine($"127.0.0.1:{port} {reply.Status}");
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (Grpc.Core.RpcException ex)
        {
            Console.Error.WriteLine($"127.0.0.1:{port} unreachable: {ex.Status.Detail}");
            return 1;
        }
    }
}
