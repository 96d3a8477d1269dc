using Microsoft.Extensions.Logging;

namespace SalesOps.Grains;

/// <summary>
/// Runs a grain's outbox drain. On failure it logs, keeps what failed queued and retries every second on a grain
/// timer; the call that queued the effect still succeeds, because the effect is accepted and will be delivered.
/// </summary>
internal sealed class Courier(IGrainBase grain, string name, ILogger logger, Func<Task> drain, Func<bool> hasPending)
{
    private IGrainTimer? _retry;

    public async Task DeliverAsync()
    {
        if (!hasPending())
        {
            return;
        }

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
        }
    }

    private Task RetryAsync(CancellationToken cancellationToken) => DeliverAsync();
}
