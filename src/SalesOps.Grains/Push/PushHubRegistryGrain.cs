using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>Directory of host hubs; a host renews every few seconds, and one silent for <see cref="Expiry"/> is dropped.</summary>
public sealed class PushHubRegistryGrain : Grain, IPushHubRegistryGrain
{
    private static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);
    private readonly Dictionary<Guid, (IPushHub Hub, long SeenAt)> _hubs = new();

    public Task RegisterAsync(Guid hostId, IPushHub hub)
    {
        _hubs[hostId] = (hub, Environment.TickCount64);
        return Task.CompletedTask;
    }

    public Task UnregisterAsync(Guid hostId)
    {
        _hubs.Remove(hostId);
        return Task.CompletedTask;
    }

    public Task<IPushHub[]> GetHubsAsync()
    {
        var cutoff = Environment.TickCount64 - (long)Expiry.TotalMilliseconds;
        foreach (var stale in _hubs.Where(h => h.Value.SeenAt < cutoff).Select(h => h.Key).ToList())
        {
            _hubs.Remove(stale);
        }

        return Task.FromResult(_hubs.Values.Select(h => h.Hub).ToArray());
    }
}
