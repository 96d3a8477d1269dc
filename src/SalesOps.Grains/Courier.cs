using Microsoft.Extensions.Logging;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// Runs a grain's outbox drain. On failure it logs, keeps what failed queued and retries every second on a grain
/// timer; the call that queued the effect still succeeds, because the effect is accepted and will be delivered.
/// </summary>
/// <remarks>
/// Nothing is sent once the grain's journal has failed: what is queued may not be durable, and the activation is
/// on its way out.
/// </remarks>
internal sealed class Courier(IGrainBase grain, GrainJournal journal, ILogger logger, Func<Task> drain, Func<bool> hasPending)
{
    private IGrainTimer? _retry;

    public async Task DeliverAsync()
    {
        if (journal.Failed || !hasPending())
        {
            return;
        }

        try
        {
            await drain();
        }
        catch (Exception ex)
        {
            Delivery.LogRetry(logger, journal.Stream, ex);
            _retry ??= grain.RegisterGrainTimer(
                RetryAsync,
                new GrainTimerCreationOptions(Delivery.RetryPeriod, Delivery.RetryPeriod) { Interleave = false });
        }
    }

    private Task RetryAsync(CancellationToken cancellationToken) => DeliverAsync();
}
