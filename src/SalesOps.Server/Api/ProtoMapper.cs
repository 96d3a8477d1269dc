using Google.Protobuf.WellKnownTypes;
using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>Maps between the protobuf contract and the domain. No business rules here.</summary>
public static class ProtoMapper
{
    /// <summary>Maps a protobuf event; returns a rejection (InvalidArgument naming the field) when it cannot.</summary>
    public static SalesEvent? ToDomain(V1.Event e, out Outcome? error)
    {
        error = null;
        if (e.OccurredAt is null)
        {
            error = Outcome.Invalid("occurred_at", "occurred_at is required");
            return null;
        }

        DateTimeOffset at;
        try
        {
            at = e.OccurredAt.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            error = Outcome.Invalid("occurred_at", "occurred_at is not a valid timestamp");
            return null;
        }

        var id = e.EventId ?? "";
        switch (e.KindCase)
        {
            case V1.Event.KindOneofCase.RegionDefined:
                var rd = e.RegionDefined;
                return new RegionDefined(id, at, rd.RegionId, rd.Name, rd.ParentRegionId);
            case V1.Event.KindOneofCase.RepJoined:
                var rj = e.RepJoined;
                return new RepJoined(id, at, rj.RepId, rj.Name, rj.RegionId, (RepRole)rj.Role, (RepStyle)rj.Style);
            case V1.Event.KindOneofCase.RepMoved:
                return new RepMoved(id, at, e.RepMoved.RepId, e.RepMoved.RegionId);
            case V1.Event.KindOneofCase.CustomerRegistered:
                return new CustomerRegistered(id, at, e.CustomerRegistered.CustomerId, e.CustomerRegistered.Name);
            case V1.Event.KindOneofCase.OpportunityOpened:
                var oo = e.OpportunityOpened;
                if (ToDate(oo.ExpectedClose, "expected_close", required: true, out error) is not { } close)
                {
                    return null;
                }

                return new OpportunityOpened(id, at, oo.OpportunityId, oo.OwnerRepId, oo.CustomerId, oo.Amount, oo.ProductLine, oo.Channel, close, oo.StageId);
            case V1.Event.KindOneofCase.OpportunityStageChanged:
                var sc = e.OpportunityStageChanged;
                var newClose = ToDate(sc.ExpectedClose, "expected_close", required: false, out error);
                return error is null ? new OpportunityStageChanged(id, at, sc.OpportunityId, sc.StageId, newClose) : null;
            case V1.Event.KindOneofCase.OpportunityAmountChanged:
                return new OpportunityAmountChanged(id, at, e.OpportunityAmountChanged.OpportunityId, e.OpportunityAmountChanged.Amount);
            case V1.Event.KindOneofCase.OpportunityReassigned:
                return new OpportunityReassigned(id, at, e.OpportunityReassigned.OpportunityId, e.OpportunityReassigned.NewOwnerRepId);
            case V1.Event.KindOneofCase.OpportunityWon:
                return new OpportunityWon(id, at, e.OpportunityWon.OpportunityId, e.OpportunityWon.Amount);
            case V1.Event.KindOneofCase.OpportunityLost:
                return new OpportunityLost(id, at, e.OpportunityLost.OpportunityId, e.OpportunityLost.Reason);
            case V1.Event.KindOneofCase.ActivityLogged:
                var al = e.ActivityLogged;
                return new ActivityLogged(id, at, al.RepId, al.CustomerId, (ActivityType)al.Type, al.DurationMinutes, (TimeCategory)al.TimeCategory);
            case V1.Event.KindOneofCase.PaymentReceived:
                var pr = e.PaymentReceived;
                return new PaymentReceived(id, at, pr.RepId, pr.CustomerId, pr.Amount);
            case V1.Event.KindOneofCase.TargetSet:
                var ts = e.TargetSet;
                if (!Period.TryParse(ts.Period, out var period))
                {
                    error = Outcome.Invalid("period", $"period {Echo.Quote(ts.Period)} is not a year (2026), quarter (2026-Q4) or month (2026-11)");
                    return null;
                }

                return new TargetSet(id, at, (TargetScope)ts.Scope, ts.ScopeId, period, (TargetMetric)ts.Metric, ts.MustAchieve, ts.Stretch);
            default:
                error = Outcome.Invalid("kind", "the event carries no kind (set one of region_defined, rep_joined, …)");
                return null;
        }
    }

    private static DateOnly? ToDate(V1.Date? d, string field, bool required, out Outcome? error)
    {
        error = null;
        if (d is null)
        {
            if (required)
            {
                error = Outcome.Invalid(field, $"{field} is required");
            }

            return null;
        }

        if (d.Year is < 1900 or > 9000 || d.Month is < 1 or > 12 || d.Day < 1 || d.Day > DateTime.DaysInMonth(d.Year, d.Month))
        {
            error = Outcome.Invalid(field, $"{field} {d.Year}-{d.Month}-{d.Day} is not a valid date");
            return null;
        }

        return new DateOnly(d.Year, d.Month, d.Day);
    }

    public static V1.EventResult ToResult(string eventId, Outcome o) => new()
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
            _ => V1.EventStatus.Internal,
        },
        Field = o.Field,
        Message = o.Message,
    };

    public static Grpc.Core.StatusCode ToStatusCode(OutcomeCode code) => code switch
    {
        OutcomeCode.InvalidArgument => Grpc.Core.StatusCode.InvalidArgument,
        OutcomeCode.NotFound => Grpc.Core.StatusCode.NotFound,
        OutcomeCode.FailedPrecondition => Grpc.Core.StatusCode.FailedPrecondition,
        OutcomeCode.Unavailable => Grpc.Core.StatusCode.Unavailable,
        OutcomeCode.Internal => Grpc.Core.StatusCode.Internal,
        _ => Grpc.Core.StatusCode.OK,
    };

    public static V1.Figures ToFigures(FigureReport r)
    {
        var f = new V1.Figures
        {
            Period = r.Period.ToString(),
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
            Type = (V1.ActivityType)a.Type,
            TimeCategory = (V1.TimeCategory)a.Category,
            Count = a.Count,
        }));
        f.MinutesByTimeCategory.Add(r.MinutesByTimeCategory);
        f.Targets.Add(r.Targets.Select(t => new V1.TargetFigure
        {
            Metric = (V1.TargetMetric)t.Metric,
            Actual = t.Actual,
            MustAchieve = t.MustAchieve,
            Stretch = t.Stretch,
            MustAttainment = t.MustAttainment,
            StretchAttainment = t.StretchAttainment,
            ElapsedShare = t.ElapsedShare,
            Pace = t.Pace,
            BehindPace = t.BehindPace,
        }));
        return f;
    }

    public static V1.LeaderboardEntry ToEntry(BoardRow r) => new() { Rank = r.Rank, RepId = r.RepId, Score = r.Score, Movement = r.Movement };

    public static V1.AlertMessage ToAlert(AlertRecord a) => new()
    {
        Sequence = a.Sequence,
        Kind = (V1.AlertKind)a.Kind,
        SubjectId = a.SubjectId,
        ScopeRegionId = a.ScopeId,
        OtherId = a.OtherId,
        Period = new Period(a.Period).ToString(),
        Metric = a.Metric,
        Actual = a.Actual,
        Expected = a.Expected,
        Message = a.Message,
        OccurredAt = Timestamp.FromDateTimeOffset(a.At),
    };

    public static V1.Date ToDate(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };

    public static Timestamp? ToTimestamp(DateTimeOffset? at) => at is { } a ? Timestamp.FromDateTimeOffset(a) : null;
}
