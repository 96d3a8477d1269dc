using Microsoft.Extensions.Logging;
namespace SalesOps.Runtime;

/// <summary>
/// Runs a grain's outbox drain, one at a time: a drain that is running goes on until nothing is pending, so what
/// is queued meanwhile goes with it. On failure it logs, keeps what failed queued and retries every second on a
/// grain timer; the call that queued the effect still succeeds, because the effect is accepted and will be delivered.
/// </summary>
/// <remarks>
/// <para>
/// Two ways to use it. A grain that answers before delivery (<see cref="Kick"/>, the rep book) must queue a message only
/// once the input that produced it is committed, because its drain runs between its other calls' turns, including
/// while one of them awaits a commit. A grain that awaits <see cref="DeliverAsync"/> inside the call that queued (the
/// opportunity book) may queue before its commit: nothing else runs in the grain until the call, delivery included,
/// is over, and its retries run on a timer that does not interleave and await the drain.
/// </para>
/// <para>
/// Nothing is sent once the grain's journal has failed, or once the grain is going away (<see cref="CloseAsync"/>).
/// </para>
/// </remarks>
public sealed partial class Courier(
    IGrainBase grain,
    IGrainJournal journal,
    ILogger logger,
    Func<Task> drain,
    Func<bool> hasPending,
    Action stop,
    bool background = false,
    Action? drained = null)
{
    /// <summary>How long a failed delivery waits before it is tried again.</summary>
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    private IGrainTimer? _retry;
    private Task _running = Task.CompletedTask;
    private bool _closed;

    /// <summary>Starts delivering what is pending, if no drain is running, and returns at once.</summary>
    public void Kick() => _ = DeliverAsync();

    /// <summary>Delivers what is pending; completes when the drain that takes it has stopped (sent all, or failed).</summary>
    public Task DeliverAsync()
    {
        if (_running.IsCompleted && !_closed && !journal.Failed && hasPending())
        {
            _running = RunAsync();
        }

        return _running;
    }

    /// <summary>
    /// The grain is deactivating: delivers what is queued while <paramref name="cancellationToken"/> allows, then
    /// stops the drain for good, so a drain of this activation never runs beside the next activation's.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DeliverAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // what is left stays in the snapshot (durable mode) for the next activation
        }
        finally
        {
            _closed = true;
            stop();
            _retry?.Dispose();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_closed && !journal.Failed && hasPending())
            {
                await drain();
            }
        }
        catch (Exception ex)
        {
            LogRetry(logger, journal.Stream, ex);
            StartRetrying();
            return;
        }

        _retry?.Dispose();
        _retry = null;
        drained?.Invoke();
    }

    private void StartRetrying()
    {
        if (_retry is not null || _closed)
        {
            return;
        }

        try
        {
            _retry = grain.RegisterGrainTimer(
                RetryAsync,
                new GrainTimerCreationOptions(RetryPeriod, RetryPeriod) { Interleave = false });
        }
        catch (Exception ex)
        {
            LogRetry(logger, journal.Stream, ex); // the activation is going away; its next one delivers
        }
    }

    /// <summary>
    /// A grain that answers before delivery only restarts the drain, so the tick does not hold the grain's calls
    /// while the drain runs; one that delivers inside its calls waits for it, as its calls do.
    /// </summary>
    private Task RetryAsync(CancellationToken cancellationToken)
    {
        if (background)
        {
            Kick();
            return Task.CompletedTask;
        }

        return DeliverAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery from {Grain} failed; it stays queued and is retried")]
    private static partial void LogRetry(ILogger logger, string grain, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Grain} deactivated with undelivered messages and could not ask to be woken; the recovery reminder sends them")]
    internal static partial void LogWakeRequestFailed(ILogger logger, string grain, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Grain} failed part-way through applying or queueing what a call brought; a durable activation reloads from its journal, and the call's senders send it again")]
    internal static partial void LogApplyFailed(ILogger logger, string grain, Exception ex);
}
