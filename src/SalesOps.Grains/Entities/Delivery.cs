using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>Helpers shared by the grains for what they send on.</summary>
internal static partial class Delivery
{
    /// <summary>Alerts are notifications, not figures: a failure to publish one is logged and never fails an event.</summary>
    public static async Task PublishAlertsAsync(GrainRefs grains, AlertRecord[] alerts, ILogger logger)
    {
        if (alerts.Length == 0)
        {
            return;
        }

        try
        {
            await grains.AlertLog.PublishAsync(alerts);
        }
        catch (Exception ex)
        {
            LogAlertLost(logger, alerts.Length, ex);
        }
    }

    /// <summary>
    /// The outcomes of a call refused because the grain's outboxes are at their bound (back-pressure, ADR 0015): none of
    /// its events was applied, each answers UNAVAILABLE with a retry delay, and the client sends them again.
    /// </summary>
    public static EventOutcome[] BackedUp(int count)
    {
        var outcomes = new EventOutcome[count];
        Array.Fill(outcomes, EventOutcome.From(new Outcome(
            OutcomeCode.Unavailable, "", "the engine is delivering a backlog behind this entity; the event was not applied, re-send it")));
        return outcomes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish {Count} alerts")]
    public static partial void LogAlertLost(ILogger logger, int count, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery from {Grain} failed; it stays queued and is retried")]
    public static partial void LogRetry(ILogger logger, string grain, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine fault while applying event {EventId} in {Grain}")]
    private static partial void LogFault(ILogger logger, string eventId, string grain, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Grain}: credits from {Sender} for rep {RepId}, which has not joined, were not applied")]
    public static partial void LogCreditToUnknownRep(ILogger logger, string grain, string sender, string repId);

    /// <summary>
    /// The outcome of an event whose apply threw (an engine bug): logged, answered INTERNAL, and its effects dropped,
    /// while the other events of the same book call go on as if it had not been sent.
    /// </summary>
    public static Outcome Fault(ILogger logger, string grain, string eventId, Exception ex)
    {
        LogFault(logger, eventId, grain, ex);
        return new Outcome(OutcomeCode.Internal, "", $"engine fault while processing the event ({ex.GetType().Name}); it has been logged");
    }
}
