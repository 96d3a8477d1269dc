using Grpc.Core;
using Grpc.Net.Client;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// The keys the load test calls with, as real clients would hold them: a connector key for ingest, a screen key for
/// the watchers and a company-wide manager key for queries and verification, created with the admin key the server
/// was started with. All null without an admin key: the calls then carry no credentials.
/// </summary>
public sealed record Identities(string? Connector, string? Screen, string? Manager)
{
    public static async Task<Identities> CreateAsync(Options o, CancellationToken ct)
    {
        if (o.AdminKeyFile is null)
        {
            return new Identities(null, null, null);
        }

        var adminKey = (await File.ReadAllTextAsync(o.AdminKeyFile, ct)).Trim();
        using var channel = GrpcChannel.ForAddress(o.Server, new GrpcChannelOptions
        {
            Credentials = Credentials(adminKey),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        var admin = new V1.AdminService.AdminServiceClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Limits sized for the run: a load test is the flood the defaults exist to stop.
                var connector = await admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest
                {
                    Role = V1.Role.Connector, Label = $"load test {o.Tag}: CRM connectors", Limits = new V1.KeyLimits { EventsPerSecond = 10_000_000 },
                }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                var screen = await admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest
                {
                    Role = V1.Role.Screen, Label = $"load test {o.Tag}: office screens", Limits = new V1.KeyLimits { WatchStreams = o.Watchers + o.AlertWatchers + o.BrowserScreens + 10 },
                }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                var manager = await admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest
                {
                    Role = V1.Role.Manager, Label = $"load test {o.Tag}: verification", Limits = new V1.KeyLimits { EventsPerSecond = 10_000_000 },
                }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                Console.WriteLine($"[load] authenticating with API keys {connector.Key.KeyId} (connector), {screen.Key.KeyId} (screen), {manager.Key.KeyId} (manager)");
                return new Identities(connector.ApiKey, screen.ApiKey, manager.ApiKey);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2_000, 100 * (attempt + 1))), ct);
            }
        }
    }

    public static ChannelCredentials Credentials(string apiKey) =>
        ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("x-api-key", apiKey);
            return Task.CompletedTask;
        }));
}
