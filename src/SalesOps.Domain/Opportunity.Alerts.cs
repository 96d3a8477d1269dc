namespace SalesOps.Domain;

/// <summary>A deal's alerts: its celebration when won, and the at-risk checks of an open deal.</summary>
public sealed partial class OpportunityState
{
    /// <summary>
    /// The celebration alert when this change made the deal won at or above <paramref name="threshold"/>, for the
    /// month of the win. Its scope (the owner's region) is not known here; the alert log fills it in.
    /// </summary>
    public Alert? Celebration(OpportunityChange change, long threshold, CompanyCalendar calendar) =>
        change.BecameWon && Amount >= threshold
            ? new Alert(
                AlertKind.BigDealWon,
                Id,
                "",
                OwnerRepId,
                calendar.PeriodsOf(StageAt).Month,
                "Bookings",
                Amount,
                0,
                $"{OwnerRepId} won {Id} for {Amount}",
                StageAt)
            {
                CustomerId = CustomerId,
            }
            : null;

    /// <summary>The deal's at-risk figures at <paramref name="at"/>; null unless it is open.</summary>
    public DealRisk? Risk(StageTable stages, AtRiskRules rules, RiskInstant at) =>
        IsOpened && stages.IsOpen(_stage.Value)
            ? DealRisk.Of(_stage.Stamp.At, stages.Stages[_stage.Value].Id, _expectedClose.Value, _closes.Pushes, rules, at)
            : null;

    /// <summary>
    /// The at-risk alerts this deal raises at <paramref name="at"/>: each condition once when it starts to hold
    /// (<see cref="RiskAlertState"/> says when it is re-armed). The scope (the owner's region) is filled in by the alert log.
    /// </summary>
    public List<Alert>? RiskAlerts(StageTable stages, AtRiskRules rules, RiskInstant at)
    {
        var now = at.Now;
        if (Risk(stages, rules, at) is not { } risk)
        {
            _riskAlerts = default;
            return null;
        }

        List<Alert>? alerts = null;
        var state = _riskAlerts;
        if ((risk.Conditions & RiskConditions.Stalled) != 0 && state.StalledFor != _stage.Stamp)
        {
            state.StalledFor = _stage.Stamp;
            (alerts ??= []).Add(RiskAlert(AlertKind.DealStalled, risk.DaysInStage, risk.StallDays, stages, now,
                $"{Id} has not moved from stage {stages.Stages[_stage.Value].Id} for {risk.DaysInStage} days (limit {risk.StallDays})"));
        }

        if ((risk.Conditions & RiskConditions.Overdue) != 0 && state.OverdueFor != _expectedClose.Value)
        {
            state.OverdueFor = _expectedClose.Value;
            (alerts ??= []).Add(RiskAlert(AlertKind.DealOverdue, risk.DaysOverdue, 0, stages, now,
                $"{Id} was expected to close on {_expectedClose.Value:yyyy-MM-dd} and is still open, {risk.DaysOverdue} days later"));
        }

        if ((risk.Conditions & RiskConditions.Slipping) != 0 && !state.Slipping)
        {
            state.Slipping = true;
            (alerts ??= []).Add(RiskAlert(AlertKind.DealSlipping, risk.Pushes, rules.PushLimit, stages, now,
                $"{Id} was pushed out {risk.Pushes} times (limit {rules.PushLimit})"));
        }

        _riskAlerts = state;
        return alerts;
    }

    private Alert RiskAlert(AlertKind kind, long actual, long expected, StageTable stages, DateTimeOffset now, string message) =>
        new(kind, Id, "", OwnerRepId, Period.Containing(_expectedClose.Value).Month, stages.Stages[_stage.Value].Id, actual, expected, message, now)
        {
            CustomerId = CustomerId,
            Amount = Amount,
            ExpectedClose = _expectedClose.Value,
        };
}
