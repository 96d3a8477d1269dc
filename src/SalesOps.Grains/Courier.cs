using Microsoft.Extensions.Logging;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// Runs a grain's outbox drain, one at a time: a drain that is running goes on until nothing is pending, so what
/// is queued meanwhile goes with it. On failure it logs, keeps what failed queued and retries every second on a
/// grain timer; the call that queued the effect still succeeds, because the effect is accepted and will be delivered.
/// </summary>
/// <remarks>
/// Callers queue a message only once the input that produced it is committed to the journal, so a drain never
/// sends an effect its sender could forget. Nothing is sent once the grain's journal has failed: the activation is
/// on its way out.
/// </remarks>
internal sealed class Courier(IGrainBase grain, GrainJournal journal, ILogger logger, Func<Task> drain, Func<bool> hasPending, Action? drained = null)
{
    private IGrainTimer? _retry;
    private Task _running = Task.CompletedTask;

    /// <summary>Starts delivering what is pending, if no drain is running, and returns at once.</summary>
    public void Kick() => _ = DeliverAsync();

    /// <summary>Delivers what is pending; completes when the drain that takes it has stopped (sent all, or failed).</summary>
    public Task DeliverAsync()
    {
        if (_running.IsCompleted && !journal.Failed && hasPending())
        {
            _running = RunAsync();
        }

        return _running;
    }

    private async Task RunAsync()
    {
        try
        {
            while (!journal.Failed && hasPending())
            {
                await drain();
            }

            drained?.Invoke();
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
