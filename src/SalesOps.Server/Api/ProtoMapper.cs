using Google.Protobuf.WellKnownTypes;
using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// Maps between the protobuf contract and the domain. No business rules here. Every wire enum is its domain enum
/// plus one: 0 is the <c>*_UNSPECIFIED</c> value an omitted field reads as, refused wherever the field is required.
/// </summary>
public static partial class ProtoMapper
{
    /// <summary>The result of an event refused before the engine saw it (access control).</summary>
    public static V1.EventResult ToResult(string eventId, Grpc.Core.StatusCode code, Google.Rpc.Status error) => new()
    {
        EventId = eventId ?? "",
        Status = code switch
        {
            Grpc.Core.StatusCode.PermissionDenied => V1.EventStatus.PermissionDenied,
            Grpc.Core.StatusCode.NotFound => V1.EventStatus.NotFound,
            _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a status an event is refused with before the engine"),
        },
        Error = error,
    };

    /// <summary>One event's result; a rejection carries the status a unary call would fail with.</summary>
    public static V1.EventResult ToResult(string eventId, Outcome o)
    {
        var result = new V1.EventResult
        {
            EventId = eventId ?? "",
            Status = o.Code switch
            {
                OutcomeCode.Accepted => V1.EventStatus.Accepted,
                OutcomeCode.Duplicate => V1.EventStatus.Duplicate,
                OutcomeCode.InvalidArgument => V1.EventStatus.InvalidArgument,
                OutcomeCode.NotFound => V1.EventStatus.NotFound,
                OutcomeCode.FailedPrecondition => V1.EventStatus.FailedPrecondition,
                OutcomeCode.Unavailable => V1.EventStatus.Unavailable,
                OutcomeCode.Internal => V1.EventStatus.Internal,
                _ => throw new ArgumentOutOfRangeException(nameof(o), o.Code, "an outcome code this API does not know"),
            },
        };
        if (o.Code is not (OutcomeCode.Accepted or OutcomeCode.Duplicate))
        {
            result.Error = ApiErrors.Of(o);
        }

        return result;
    }

    /// <summary>A scope's forecast view for a period, as <c>GetForecastSubmissions</c> answers it.</summary>
    public static V1.GetForecastSubmissionsResponse ToForecast(ForecastView view, TargetScope scope, string scopeId, string currency)
    {
        V1.ForecastSubmission Submission(ForecastSubmission s) => new()
        {
            EventId = s.EventId,
            SubmittedAt = Timestamp.FromDateTimeOffset(s.At),
            Commit = ToMoney(s.Commit, currency),
            BestCase = ToMoney(s.BestCase, currency),
            SubmittedBy = s.SubmittedBy,
            Note = s.Note,
            AfterCutoff = s.At >= view.Cutoff,
        };

        V1.ForecastAccuracy Accuracy(ForecastScore score)
        {
            var counted = Submission(score.Counted);
            counted.AfterCutoff = false; // counted means dated before its own period's cut-off
            return new V1.ForecastAccuracy
            {
                Period = score.Period.ToString(),
                Counted = counted,
                Actual = ToMoney(score.Actual, currency),
                AccuracyPercent = score.AccuracyPercent,
            };
        }

        var response = new V1.GetForecastSubmissionsResponse
        {
            Scope = ToWire(scope),
            ScopeId = scopeId,
            Period = view.Period.ToString(),
            CurrencyCode = currency,
            Latest = view.Latest is { } latest ? Submission(latest) : null,
            SystemForecast = (double)view.SystemForecast,
            Actual = ToMoney(view.Actual, currency),
            Cutoff = Timestamp.FromDateTimeOffset(view.Cutoff),
            Ended = view.Ended,
            Accuracy = view.Score is { } score ? Accuracy(score) : null,
        };
        response.Submissions.Add(view.Submissions.Select(Submission));
        response.AccuracyHistory.Add(view.History.Select(Accuracy));
        return response;
    }

    public static V1.Money ToMoney(long minorUnits, string currency) => new() { CurrencyCode = currency, MinorUnits = minorUnits };

    public static V1.Figures ToFigures(FigureReport r, string currency)
    {
        var f = new V1.Figures
        {
            Period = r.Period.ToString(),
            CurrencyCode = currency,
            OpenCount = r.OpenCount,
            OpenAmount = r.OpenAmount,
            WeightedPipeline = (double)r.WeightedPipeline,
            Bookings = r.Bookings,
            WonCount = r.WonCount,
            LostCount = r.LostCount,
            LostAmount = r.LostAmount,
            Collections = r.Collections,
            WinRate = r.WinRate,
            AverageDealSize = r.AverageDealSize,
            AverageCycleDays = r.AverageCycleDays,
            Forecast = (double)r.Forecast,
            CommitForecast = r.CommitForecast,
            BestCaseForecast = r.BestCaseForecast,
            PipelineForecast = r.PipelineForecast,
            ActivityTotal = r.ActivityTotal,
            NewCustomers = r.NewCustomers,
            NewCustomerBookings = r.NewCustomerBookings,
            RepeatBookings = r.RepeatBookings,
            GrossMargin = r.GrossMargin,
        };
        f.Stages.Add(r.Stages.Select(s => new V1.StageFigure
        {
            StageId = s.StageId,
            Name = s.Name,
            ProbabilityPercent = s.ProbabilityPercent,
            OpenCount = s.Count,
            OpenAmount = s.Amount,
            Reached = s.Reached,
            ConversionToNext = s.ConversionToNext,
        }));
        f.Activities.Add(r.Activities.Select(a => new V1.ActivityFigure
        {
            Type = ToWire(a.Type),
            TimeCategory = ToWire(a.Category),
            Count = a.Count,
        }));
        f.MinutesByTimeCategory.Add(r.MinutesByTimeCategory);
        f.Targets.Add(r.Targets.Select(t => new V1.TargetFigure
        {
            Metric = ToWire(t.Metric),
            Actual = t.Actual,
            MustAchieve = t.MustAchieve,
            Stretch = t.Stretch,
            MustAttainment = t.MustAttainment,
            StretchAttainment = t.StretchAttainment,
            ElapsedShare = t.ElapsedShare,
            Pace = t.Pace,
            BehindPace = t.BehindPace,
            Dimension = ToWire(t.Dimension),
        }));
        f.TargetCoverage.Add(TargetPlanMapper.ToWire(r.Coverage));
        f.SuggestedTargets.Add(TargetPlanMapper.ToWire(r.Suggestions));
        f.SamePeriodLastYear.Add(r.SamePeriodLastYear.Select(y => new V1.YearOnYearFigure
        {
            Figure = ToWire(y.Figure),
            Actual = y.Actual,
            LastYear = y.LastYear,
            LastYearToDate = y.LastYearToDate,
            Growth = y.Growth,
            Behind = y.Behind,
        }));
        if (r.Plan is { } plan)
        {
            f.Plan = ToPlan(plan);
        }

        return f;
    }

    public static V1.ActivityType ToWire(ActivityType t) => (V1.ActivityType)((int)t + 1);

    public static V1.TimeCategory ToWire(TimeCategory c) => (V1.TimeCategory)((int)c + 1);

    public static V1.TargetMetric ToWire(TargetMetric m) => (V1.TargetMetric)((int)m + 1);

    /// <summary>The domain's metric of a wire one already checked to be set and defined.</summary>
    public static TargetMetric FromWire(V1.TargetMetric m) => (TargetMetric)((int)m - 1);

    public static V1.TargetScope ToWire(TargetScope s) => (V1.TargetScope)((int)s + 1);

    public static V1.ComparedFigure ToWire(ComparedFigure f) => (V1.ComparedFigure)((int)f + 1);

    private static V1.PlanningFunnel ToPlan(PlanningFunnel p)
    {
        static V1.PlanRatio Ratio(PlanRatio r) => new() { Value = (double)r.Value, Observed = r.Observed };
        var m = new V1.PlanningFunnel
        {
            Target = p.Target,
            Booked = p.Booked,
            WorkPlatform = (double)p.WorkPlatform,
            BuyingPlatform = p.BuyingPlatform,
            Gap = p.Gap,
            AverageOrder = p.AverageOrder,
            AverageOrderObserved = p.AverageOrderObserved,
            Orders = p.Orders,
            ProposalsPerOrder = Ratio(p.ProposalsPerOrder),
            VisitsPerProposal = Ratio(p.VisitsPerProposal),
            CallsPerVisit = Ratio(p.CallsPerVisit),
            WorkingDaysLeft = p.WorkingDaysLeft,
            WorkingDaysGone = p.WorkingDaysGone,
            Behind = p.Behind,
            Load = p.Load,
            Overloaded = p.Overloaded,
        };
        m.Activities.Add(p.Activities.Select(a => new V1.PlanActivity
        {
            Type = ToWire(a.Type),
            Needed = a.Needed,
            Logged = a.Logged,
            NeededPerDay = a.NeededPerDay,
            NeededPerWeek = a.NeededPerWeek,
            LoggedPerDay = a.LoggedPerDay,
        }));
        return m;
    }

    public static V1.LeaderboardMetric ToWire(LeaderboardMetric m) => (V1.LeaderboardMetric)((int)m + 1);

    public static V1.RepRole ToWire(RepRole r) => (V1.RepRole)((int)r + 1);

    public static V1.RepStyle ToWire(RepStyle s) => (V1.RepStyle)((int)s + 1);

    public static V1.ForecastCategory ToWire(ForecastCategory c) => (V1.ForecastCategory)((int)c + 1);

    /// <summary>A board row with the rep's display name and current region (<see cref="RepDirectory"/>) and its name.</summary>
    public static V1.LeaderboardEntry ToEntry(BoardRow r, RepProfile profile, string regionName) => new()
    {
        Rank = r.Rank,
        RepId = r.RepId,
        Score = r.Score,
        Movement = r.Movement,
        RepName = profile.Name,
        RegionId = profile.RegionId,
        RegionName = regionName,
        PhotoUrl = profile.PhotoUrl ?? "",
    };

    /// <summary>An alert typed by its kind. The domain's alert record reuses its fields per kind (see <see cref="Alert"/>).</summary>
    public static V1.WatchAlertsResponse ToAlert(AlertRecord a, AlertNames names, string currency)
    {
        var m = new V1.WatchAlertsResponse
        {
            Sequence = a.Sequence,
            OccurredAt = Timestamp.FromDateTimeOffset(a.At),
            RegionId = a.ScopeId,
            RegionName = names.Region,
            Period = new Period(a.Period).ToString(),
            Message = AlertText.Of(a, names, currency),
        };
        switch ((AlertKind)a.Kind)
        {
            case AlertKind.BehindPace:
                m.BehindPace = new V1.BehindPaceAlert
                {
                    Scope = a.AboutRegion ? V1.TargetScope.Region : V1.TargetScope.Rep,
                    ScopeId = a.SubjectId,
                    Metric = System.Enum.TryParse<TargetMetric>(a.Metric, out var target) ? ToWire(target) : V1.TargetMetric.Unspecified,
                    Dimension = ToWire(a.Dimension),
                    Actual = a.Actual,
                    Expected = a.Expected,
                    ScopeName = names.Subject,
                };
                break;
            case AlertKind.BehindLastYear:
                m.BehindLastYear = new V1.BehindLastYearAlert
                {
                    Scope = a.AboutRegion ? V1.TargetScope.Region : V1.TargetScope.Rep,
                    ScopeId = a.SubjectId,
                    Figure = System.Enum.TryParse<ComparedFigure>(a.Metric, out var compared) ? ToWire(compared) : V1.ComparedFigure.Unspecified,
                    Actual = a.Actual,
                    LastYearToDate = a.Expected,
                    ScopeName = names.Subject,
                };
                break;
            case AlertKind.ActivityPlanBehind:
                m.ActivityPlanBehind = new V1.ActivityPlanBehindAlert
                {
                    Scope = a.AboutRegion ? V1.TargetScope.Region : V1.TargetScope.Rep,
                    ScopeId = a.SubjectId,
                    ActivityType = System.Enum.TryParse<ActivityType>(a.Metric, out var type) ? ToWire(type) : V1.ActivityType.Unspecified,
                    LoggedPerDay = a.Actual / 100.0,
                    NeededPerDay = a.Expected / 100.0,
                    ScopeName = names.Subject,
                };
                break;
            case AlertKind.BigDealWon:
                m.BigDealWon = new V1.BigDealWonAlert
                {
                    OpportunityId = a.SubjectId,
                    OwnerRepId = a.OtherId,
                    Amount = ToMoney(a.Actual, currency),
                    OwnerRepName = names.Subject,
                    CustomerId = a.CustomerId,
                    CustomerName = names.Customer,
                };
                break;
            case AlertKind.Overtake:
                m.Overtake = new V1.OvertakeAlert
                {
                    RepId = a.SubjectId,
                    OvertakenRepId = a.OtherId,
                    Metric = System.Enum.TryParse<LeaderboardMetric>(a.Metric, out var board) ? ToWire(board) : V1.LeaderboardMetric.Unspecified,
                    NewRank = (int)a.Actual,
                    OldRank = (int)a.Expected,
                    RepName = names.Subject,
                    OvertakenRepName = names.Other,
                };
                break;
            case AlertKind.DealStalled or AlertKind.DealOverdue or AlertKind.DealSlipping:
                m.DealAtRisk = new V1.DealAtRiskAlert
                {
                    Condition = (AlertKind)a.Kind switch
                    {
                        AlertKind.DealStalled => V1.AtRiskCondition.Stalled,
                        AlertKind.DealOverdue => V1.AtRiskCondition.Overdue,
                        _ => V1.AtRiskCondition.Slipping,
                    },
                    OpportunityId = a.SubjectId,
                    OwnerRepId = a.OtherId,
                    OwnerRepName = names.Subject,
                    CustomerId = a.CustomerId,
                    CustomerName = names.Customer,
                    Amount = ToMoney(a.Amount, currency),
                    StageId = a.Metric,
                    ExpectedClose = ToDate(DateOnly.FromDayNumber(a.ExpectedCloseDay)),
                    Actual = (int)Math.Min(int.MaxValue, a.Actual),
                    Limit = (int)Math.Min(int.MaxValue, a.Expected),
                };
                break;
            case AlertKind.PlanUncovered:
                m.PlanUncovered = TargetPlanMapper.ToAlert(a, names);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(a), a.Kind, "an alert kind this API does not know");
        }

        return m;
    }

    /// <summary>The conditions of an at-risk deal (<see cref="RiskConditions"/>), in the order of the wire enum.</summary>
    public static IEnumerable<V1.AtRiskCondition> ToWire(RiskConditions conditions)
    {
        if ((conditions & RiskConditions.Stalled) != 0)
        {
            yield return V1.AtRiskCondition.Stalled;
        }

        if ((conditions & RiskConditions.Overdue) != 0)
        {
            yield return V1.AtRiskCondition.Overdue;
        }

        if ((conditions & RiskConditions.Slipping) != 0)
        {
            yield return V1.AtRiskCondition.Slipping;
        }
    }

    public static Google.Type.Date ToDate(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };

    public static Timestamp? ToTimestamp(DateTimeOffset? at) => at is { } a ? Timestamp.FromDateTimeOffset(a) : null;
}
