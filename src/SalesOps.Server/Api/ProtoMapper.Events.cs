using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>Wire events to domain events: every field checked, a refusal naming the field.</summary>
public static partial class ProtoMapper
{
    /// <summary>Maps a protobuf event; returns a rejection (InvalidArgument naming the field) when it cannot.</summary>
    public static SalesEvent? ToDomain(V1.Event e, string currency, out Outcome? error)
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
                if (Required(rj.Role, "role", out error) is not { } role || Required(rj.Style, "style", out error) is not { } style)
                {
                    return null;
                }

                return new RepJoined(id, at, rj.RepId, rj.Name, rj.RegionId, (RepRole)role, (RepStyle)style) { PhotoUrl = rj.PhotoUrl };
            case V1.Event.KindOneofCase.RepMoved:
                return new RepMoved(id, at, e.RepMoved.RepId, e.RepMoved.RegionId);
            case V1.Event.KindOneofCase.RepLeft:
                return new RepLeft(id, at, e.RepLeft.RepId, e.RepLeft.Reason);
            case V1.Event.KindOneofCase.CustomerRegistered:
                return new CustomerRegistered(id, at, e.CustomerRegistered.CustomerId, e.CustomerRegistered.Name, e.CustomerRegistered.KeyAccount);
            case V1.Event.KindOneofCase.CustomerKeyAccountChanged:
                return new CustomerKeyAccountChanged(id, at, e.CustomerKeyAccountChanged.CustomerId, e.CustomerKeyAccountChanged.KeyAccount);
            case V1.Event.KindOneofCase.OpportunityOpened:
                var oo = e.OpportunityOpened;
                if (ToAmount(oo.Amount, currency, out error) is not { } openAmount
                    || ToDate(oo.ExpectedClose, "expected_close", required: true, out error) is not { } close
                    || !TryCost(oo.Cost, currency, out var openCost, out error))
                {
                    return null;
                }

                return new OpportunityOpened(id, at, oo.OpportunityId, oo.OwnerRepId, oo.CustomerId, openAmount, oo.ProductLine, oo.Channel, close, oo.StageId)
                {
                    Cost = openCost,
                };
            case V1.Event.KindOneofCase.OpportunityStageChanged:
                var sc = e.OpportunityStageChanged;
                var newClose = ToDate(sc.ExpectedClose, "expected_close", required: false, out error);
                return error is null ? new OpportunityStageChanged(id, at, sc.OpportunityId, sc.StageId, newClose) : null;
            case V1.Event.KindOneofCase.OpportunityAmountChanged:
                var ac = e.OpportunityAmountChanged;
                return ToAmount(ac.Amount, currency, out error) is { } changed && TryCost(ac.Cost, currency, out var changedCost, out error)
                    ? new OpportunityAmountChanged(id, at, ac.OpportunityId, changed) { Cost = changedCost }
                    : null;
            case V1.Event.KindOneofCase.OpportunityReassigned:
                return new OpportunityReassigned(id, at, e.OpportunityReassigned.OpportunityId, e.OpportunityReassigned.NewOwnerRepId);
            case V1.Event.KindOneofCase.OpportunityWon:
                var won = e.OpportunityWon;
                if (!TryCost(won.Cost, currency, out var wonCost, out error))
                {
                    return null;
                }

                if (won.Amount is null)
                {
                    // The domain's "keep the opportunity's amount": absence on the wire, never a magic amount.
                    return new OpportunityWon(id, at, won.OpportunityId, 0) { Cost = wonCost };
                }

                return ToAmount(won.Amount, currency, out error) is { } final
                    ? OpportunityWonWithAmount(id, at, won.OpportunityId, final, out error) is { } withAmount ? withAmount with { Cost = wonCost } : null
                    : null;
            case V1.Event.KindOneofCase.OpportunityLost:
                return new OpportunityLost(id, at, e.OpportunityLost.OpportunityId, e.OpportunityLost.Reason);
            case V1.Event.KindOneofCase.ActivityLogged:
                var al = e.ActivityLogged;
                if (Required(al.Type, "type", out error) is not { } type || Required(al.TimeCategory, "time_category", out error) is not { } category)
                {
                    return null;
                }

                return new ActivityLogged(id, at, al.RepId, al.CustomerId, (ActivityType)type, al.DurationMinutes, (TimeCategory)category) { OpportunityId = al.OpportunityId };
            case V1.Event.KindOneofCase.PaymentReceived:
                var pr = e.PaymentReceived;
                return ToAmount(pr.Amount, currency, out error) is { } paid ? new PaymentReceived(id, at, pr.RepId, pr.CustomerId, paid) : null;
            case V1.Event.KindOneofCase.TargetSet:
                var ts = e.TargetSet;
                if (Required(ts.Scope, "scope", out error) is not { } scope || Required(ts.Metric, "metric", out error) is not { } metric)
                {
                    return null;
                }

                if (!Period.TryParse(ts.Period, out var period))
                {
                    error = Outcome.Invalid("period", $"period {Echo.Quote(ts.Period)} is not a year (2026), quarter (2026-Q4), month (2026-11) or ISO week (2026-W49)");
                    return null;
                }

                if (ToDimension(ts.Dimension, out error) is not { } dimension)
                {
                    return null;
                }

                return new TargetSet(id, at, (TargetScope)scope, ts.ScopeId, period, (TargetMetric)metric, ts.MustAchieve, ts.Stretch) { Dimension = dimension };
            case V1.Event.KindOneofCase.ForecastSubmitted:
                var fs = e.ForecastSubmitted;
                if (Required(fs.Scope, "scope", out error) is not { } forecastScope)
                {
                    return null;
                }

                if (!Period.TryParse(fs.Period, out var forecastPeriod))
                {
                    error = Outcome.Invalid("period", $"period {Echo.Quote(fs.Period)} is not a year (2026), quarter (2026-Q4) or month (2026-11)");
                    return null;
                }

                if (ToAmount(fs.Commit, currency, out error, "commit") is not { } commit
                    || ToAmount(fs.BestCase, currency, out error, "best_case") is not { } bestCase)
                {
                    return null;
                }

                return new ForecastSubmitted(id, at, (TargetScope)forecastScope, fs.ScopeId, forecastPeriod, commit, bestCase, fs.SubmittedBy, fs.Note);
            case V1.Event.KindOneofCase.PlanningInputsRecorded:
                return TargetPlanMapper.ToDomain(e.PlanningInputsRecorded, id, at, out error);
            case V1.Event.KindOneofCase.None:
            default:
                error = Outcome.Invalid("kind", "the event carries no kind (set one of region_defined, rep_joined, …)");
                return null;
        }
    }

    /// <summary>
    /// The domain reads a won amount of 0 as "keep the opportunity's amount"; on the wire that is an absent amount,
    /// so an explicit zero is refused rather than silently read as "keep".
    /// </summary>
    private static OpportunityWon? OpportunityWonWithAmount(string id, DateTimeOffset at, string opportunityId, long amount, out Outcome? error)
    {
        error = amount == 0 ? Outcome.Invalid("amount", "amount must not be zero; omit amount to keep the opportunity's amount") : null;
        return error is null ? new OpportunityWon(id, at, opportunityId, amount) : null;
    }

    /// <summary>A required wire enum as its domain value (wire − 1); refuses unspecified and unknown values naming the field.</summary>
    internal static byte? Required<TWire>(TWire wire, string field, out Outcome? error)
        where TWire : struct, System.Enum
    {
        var value = Convert.ToInt32(wire, System.Globalization.CultureInfo.InvariantCulture);
        error = value == 0 ? Outcome.Invalid(field, $"{field} is required")
            : !System.Enum.IsDefined(wire) ? Outcome.Invalid(field, $"{field} has an unknown value {value}")
            : null;
        return error is null ? (byte)(value - 1) : null;
    }

    /// <summary>A required amount in the company currency, in minor units.</summary>
    private static long? ToAmount(V1.Money? money, string currency, out Outcome? error, string field = "amount")
    {
        error = money is null ? Outcome.Invalid(field, $"{field} is required")
            : money.CurrencyCode.Length == 0 ? Outcome.Invalid($"{field}.currency_code", $"{field}.currency_code is required (the company currency is {currency})")
            : money.CurrencyCode != currency ? Outcome.Invalid($"{field}.currency_code", $"{field}.currency_code must be the company currency {currency}")
            : null;
        return error is null ? money!.MinorUnits : null;
    }

    internal static DateOnly? ToDate(Google.Type.Date? d, string field, bool required, out Outcome? error)
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
}
