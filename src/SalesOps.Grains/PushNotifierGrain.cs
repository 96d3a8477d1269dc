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
