using Orleans.Concurrency;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// Stateless fan-out: one message per host hub for each batch of changed boards. Regions call it one-way, so a
/// slow host never holds up a region.
/// </summary>
[StatelessWorker]
public sealed class PushNotifierGrain : Grain, IPushNotifierGrain
{
    private readonly HubCache _hubs = new();

    public async Task PublishBoardsAsync(BoardSnapshot[] boards)
    {
        foreach (var hub in await _hubs.GetAsync(GrainFactory))
        {
            _ = hub.OnBoardsChangedAsync(boards);
        }
    }
}

/// <summary>A short-lived copy of the hub directory, so publishers ask the registry at most every few seconds.</summary>
internal sealed class HubCache
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);
    private IPushHub[] _hubs = [];
    private long? _fetchedAt;

    public async ValueTask<IPushHub[]> GetAsync(IGrainFactory grains)
    {
        var now = Environment.TickCount64;
        if (_fetchedAt is not { } at || now - at > Refresh.TotalMilliseconds)
        {
            _hubs = await grains.GetGrain<IPushHubRegistryGrain>(0).GetHubsAsync();
            _fetchedAt = now;
        }

        return _hubs;
    }
}
