using SalesOps.Abstractions;

namespace SalesOps.Server.Push;

/// <summary>
/// Registers this host's <see cref="PushHub"/> with the cluster and keeps the registration and the leases of the
/// boards its watchers watch alive.
/// </summary>
public sealed partial class HubRegistration(PushHub hub, IGrainFactory grains, ILogger<HubRegistration> logger) : BackgroundService
{
    public static readonly TimeSpan Renewal = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(4);
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
            // Any failure, including a call cancelled because its silo died, must not end the renewals, and one failed
            // call must not skip the others: watchers depend on them to re-lease boards whose region grains moved to
            // another silo.
            await Task.WhenAll(
                hub.WatchedBoards.Select(w => RenewAsync(() => LeaseAsync(w.RegionId, w.Board), stoppingToken))
                    .Append(RenewAsync(RegisterAsync, stoppingToken)));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// One renewal call, bounded well below the grain-call timeout: a call to a grain whose silo just died must not
    /// hold up the next round, which reaches the grain on its new silo once the membership has declared the old one
    /// dead.
    /// </summary>
    private async Task RenewAsync(Func<Task> call, CancellationToken stoppingToken)
    {
        try
        {
            await call().WaitAsync(CallTimeout, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogRenewalFailed(logger, ex);
        }
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
