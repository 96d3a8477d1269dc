using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>The book's periodic checks: pace, plan and last year for its reps, and the forecast periods that close.</summary>
public sealed partial class RepBookGrain
{
    public async Task CheckPaceAsync()
    {
        await CloseForecastPeriodsAsync();
        await CheckPaceAsync(_reps.Values);
    }

    /// <summary>
    /// Once the engine's clock has passed the end of a period some rep has forecast submissions for, journals the clock
    /// (<see cref="ForecastPeriodsClosed"/>) and sends the reps' accuracy scores of the ended periods to the boards.
    /// </summary>
    private async Task CloseForecastPeriodsAsync()
    {
        var now = _clock.Now;
        if (Journal.Failed || !(_nextForecastEnd <= now))
        {
            return;
        }

        var effects = CloseForecastPeriods(now);
        _acceptedAt = 0;
        await CommitAsync(new ForecastPeriodsClosed(now), () => Enqueue(effects), Answer.AfterCommit);
    }

    private RepEffects CloseForecastPeriods(DateTimeOffset now)
    {
        var effects = new RepEffects();
        foreach (var rep in _reps.Values)
        {
            if (rep.IsJoined)
            {
                rep.CloseForecastPeriods(now, _settings.Forecasts, effects);
            }
        }

        _nextForecastEnd = NextForecastEnd();
        return effects;
    }

    private DateTimeOffset? NextForecastEnd()
    {
        DateTimeOffset? next = null;
        foreach (var rep in _reps.Values)
        {
            if (rep.Forecasts.Count > 0 && rep.NextForecastEnd(_settings.Forecasts) is { } end && (next is null || end < next))
            {
                next = end;
            }
        }

        return next;
    }

    /// <summary>Checks the pace of the given reps that have targets and publishes their alerts together.</summary>
    private Task CheckPaceAsync(IEnumerable<RepState> reps)
    {
        if (Journal.Failed)
        {
            return Task.CompletedTask;
        }

        List<AlertRecord>? alerts = null;
        foreach (var rep in reps)
        {
            if (!rep.IsJoined || rep.HasLeft)
            {
                continue;
            }

            var now = _clock.Now;
            var raised = new List<Alert>();
            if (rep.Targets.Count > 0)
            {
                var figures = rep.Figures();
                raised.AddRange(rep.Pace.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, _settings.Calendar, now));
                raised.AddRange(rep.Plan.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, _settings, now));
                raised.AddRange(rep.Coverage.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, now));
            }

            // Period figures are historical items: the last-year check needs no merged copy of the rep's counters.
            raised.AddRange(rep.LastYear.Check(rep.Id, rep.RegionId, false, rep.Historical, _settings.Calendar, now, _settings.BehindLastYearShare));
            foreach (var alert in raised)
            {
                (alerts ??= new List<AlertRecord>()).Add(AlertRecord.From(alert));
            }
        }

        return alerts is null ? Task.CompletedTask : Delivery.PublishAlertsAsync(_refs, alerts.ToArray(), _logger);
    }
}
