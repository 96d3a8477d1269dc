using Microsoft.Extensions.Logging;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>Helpers shared by the grains for what they send on.</summary>
internal static partial class Delivery
{
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish {Count} alerts")]
    public static partial void LogAlertLost(ILogger logger, int count, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery from {Grain} failed; it stays queued and is retried")]
    public static partial void LogRetry(ILogger logger, string grain, Exception ex);
}
