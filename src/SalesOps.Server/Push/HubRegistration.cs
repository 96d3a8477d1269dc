using SalesOps.Abstractions;

namespace SalesOps.Server.Push;

/// <summary>
/// Registers this host's <see cref="PushHub"/> with the cluster and keeps the registration and the leases of the
/// boards its watchers watch alive.
/// </summary>
public sealed partial class HubRegistration(PushHub hub, IGrainFactory grains, ILogger<HubRegistration> logger) : BackgroundService
{
    public static readonly TimeSpan Renewal = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan BoardLease = TimeSpan.FromSeconds(45);

    private readonly Lazy<IPushHub> _reference = new(() => grains.CreateObjectReference<IPushHub>(hub));

    public IPushHub Reference => _reference.Value;

    /// <summary>Registers the hub now (also called on start, before any watcher could subscribe).</summary>
    public Task RegisterAsync() => grains.GetGrain<IPushHubRegistryGrain>(0).RegisterAsync(hub.HostId, Reference);

    public Task LeaseAsync(string regionId, Domain.BoardKey board) =>
        grains.GetGrain<IRegionGrain>(regionId).WatchBoardAsync(board.Period.Code, (byte)board.Metric, BoardLease);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Renewal);
        do
        {
            try
            {
                await RegisterAsync();
                foreach (var (regionId, board) in hub.WatchedBoards)
                {
                    await LeaseAsync(regionId, board);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRenewalFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IPushHubRegistryGrain>(0).UnregisterAsync(hub.HostId);
        }
        catch (Exception ex)
        {
            LogRenewalFailed(logger, ex);
        }

        await base.StopAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the push hub registration; retrying")]
    private static partial void LogRenewalFailed(ILogger logger, Exception ex);
}
