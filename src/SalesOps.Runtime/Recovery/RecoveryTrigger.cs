using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
namespace SalesOps.Runtime;

/// <summary>
/// Starts recovery sweeps: once this silo is up, and whenever the membership declares a silo dead (its grains'
/// queued messages must be sent by their new activations). The reminder is the backstop.
/// </summary>
public sealed partial class RecoveryTrigger(
    IGrainFactory grains,
    IClusterMembershipService membership,
    IHostApplicationLifetime lifetime,
    ILogger<RecoveryTrigger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        await SweepAsync(schedule: true);
        var dead = new HashSet<SiloAddress>();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
        {
            var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
            if (newlyDead.Count > 0)
            {
                await SweepAsync(schedule: false);
            }
        }
    }

    private async Task SweepAsync(bool schedule)
    {
        try
        {
            var recovery = grains.GetGrain<IRecoveryGrain>(0);
            if (schedule)
            {
                await recovery.EnsureScheduledAsync();
            }

            await recovery.SweepAsync();
        }
        catch (Exception ex) when (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            LogSweepFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep failed; the reminder retries it")]
    private static partial void LogSweepFailed(ILogger logger, Exception ex);
}
