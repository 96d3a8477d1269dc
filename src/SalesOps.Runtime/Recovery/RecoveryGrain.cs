using Microsoft.Extensions.Logging;

namespace SalesOps.Runtime;

/// <summary>
/// Wakes the grains whose journals have entries not covered by a snapshot. A grain that was lost with a silo may
/// have had messages queued (a credit for its rep book, a roll-up for its parent); nothing else would wake it, so the
/// effect would wait until its next event. Waking it replays its journal and sends what was queued; receivers
/// ignore the messages they already have. Runs at silo start and when a silo dies (<see cref="RecoveryTrigger"/>), and on
/// a reminder as a backstop; a grain that deactivates with messages it could not deliver asks to be woken a second
/// later (<see cref="WakeSoonAsync"/>), so its effects do not wait for the reminder.
/// </summary>
public sealed partial class RecoveryGrain(IEventJournal journal, JournalStreamKinds kinds, ILogger<RecoveryGrain> logger) : Grain, IRecoveryGrain, IRemindable
{
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(5);

    /// <summary>How soon a grain that deactivated with undelivered messages is woken (<see cref="WakeSoonAsync"/>).</summary>
    public static readonly TimeSpan WakeDelay = TimeSpan.FromSeconds(1);
    private const string ReminderName = "recovery-sweep";
    private const int Parallelism = 64;

    public async Task<int> SweepAsync()
    {
        if (!journal.IsDurable)
        {
            return 0;
        }

        var streams = await journal.StreamsAsync();
        var woken = 0;

        // Bounded fan-out that stays on the grain's scheduler (grain references may only be used from it).
        using var gate = new SemaphoreSlim(Parallelism);
        await Task.WhenAll(streams.Select(async stream =>
        {
            await gate.WaitAsync();
            try
            {
                if (Wake(stream) is { } wake)
                {
                    await wake;
                    woken++;
                }
            }
            catch (Exception ex)
            {
                LogWakeFailed(logger, stream, ex); // the next sweep tries again
            }
            finally
            {
                gate.Release();
            }
        }));

        if (woken > 0)
        {
            LogSwept(logger, woken);
        }

        return woken;
    }

    private readonly HashSet<string> _wakeSoon = new(StringComparer.Ordinal);
    private IGrainTimer? _wakeTimer;

    public Task WakeSoonAsync(string stream)
    {
        _wakeSoon.Add(stream);
        _wakeTimer ??= this.RegisterGrainTimer(WakeDueAsync, new GrainTimerCreationOptions(WakeDelay, WakeDelay) { Interleave = false });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Wakes the grains asked for; one that cannot be woken now is tried again on the next tick. The timer stops once
    /// nothing is left, so an idle recovery grain holds no timer.
    /// </summary>
    private async Task WakeDueAsync(CancellationToken cancellationToken)
    {
        var due = _wakeSoon.ToArray();
        _wakeSoon.Clear();
        foreach (var stream in due)
        {
            try
            {
                if (Wake(stream) is { } wake)
                {
                    await wake;
                }
            }
            catch (Exception ex)
            {
                LogWakeFailed(logger, stream, ex);
                _wakeSoon.Add(stream);
            }
        }

        if (_wakeSoon.Count == 0)
        {
            _wakeTimer?.Dispose();
            _wakeTimer = null;
        }
    }

    public async Task EnsureScheduledAsync() =>
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);

    public Task ReceiveReminder(string reminderName, TickStatus status) => SweepAsync();

    /// <summary>Wakes the grain of a stored stream name; null for a name of no registered kind.</summary>
    private Task? Wake(string stream) =>
        kinds.TryParse(stream, out var parsed) ? parsed.Kind.WakeAsync(GrainFactory, parsed.Key) : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovery sweep woke {Count} grains")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovery sweep could not wake {Stream}")]
    private static partial void LogWakeFailed(ILogger logger, string stream, Exception ex);
}
