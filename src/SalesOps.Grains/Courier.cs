using Microsoft.Extensions.Logging;

namespace SalesOps.Grains;

/// <summary>
/// Runs a grain's outbox drain: on failure it logs, keeps what failed queued, retries every second on a grain timer,
/// and fails the current call so the caller learns the effect is not complete yet.
/// </summary>
internal sealed class Courier(IGrainBase grain, string name, ILogger logger, Func<Task> drain, Func<bool> hasPending)
{
    private IGrainTimer? _retry;

    public async Task DeliverAsync()
    {
        try
        {
            await drain();
        }
        catch (Exception ex)
        {
            Delivery.LogRetry(logger, name, ex);
            _retry ??= grain.RegisterGrainTimer(
                RetryAsync,
                new GrainTimerCreationOptions(Delivery.RetryPeriod, Delivery.RetryPeriod) { Interleave = false });
            throw;
        }
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        if (!hasPending())
        {
            return;
        }

        try
        {
            await DeliverAsync();
        }
        catch (Exception)
        {
            // Logged by DeliverAsync; the next tick tries again.
        }
    }
}
