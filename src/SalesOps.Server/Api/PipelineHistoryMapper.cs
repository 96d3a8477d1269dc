using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>The pipeline-over-time query's request checks and response (docs/semantics.md, "Pipeline over time").</summary>
internal static class PipelineHistoryMapper
{
    /// <summary>
    /// The two days, each required and a valid date (years 1900 to 9000), <c>to_date</c> after <c>from_date</c> and
    /// not after <paramref name="today"/> (the end of a day still to come is not known yet), and each a day the
    /// pipeline of <paramref name="period"/> splits exactly: within <see cref="PipelineMoves.DailyDays"/> days of the
    /// period, or a month's last day (movements further away are kept per month).
    /// </summary>
    public static (DateOnly From, DateOnly To) Days(V1.GetPipelineHistoryRequest request, Period period, DateOnly today)
    {
        var from = Day(request.FromDate, "from_date", period);
        var to = Day(request.ToDate, "to_date", period);
        return to <= from ? throw RequestGuard.Invalid("to_date", $"to_date {to:yyyy-MM-dd} must be after from_date {from:yyyy-MM-dd}")
            : to > today ? throw RequestGuard.Invalid("to_date", $"to_date {to:yyyy-MM-dd} is after today ({today:yyyy-MM-dd} in the company time zone)")
            : (from, to);

        static DateOnly Day(Google.Type.Date? date, string field, Period period)
        {
            var day = ProtoMapper.ToDate(date, field, required: true, out var error) is { } d ? d : throw RequestGuard.Invalid(field, error!.Message);
            return PipelineMoves.IsExactDay(period, day) ? day : throw RequestGuard.Invalid(
                field,
                $"{field} {day:yyyy-MM-dd} is more than {PipelineMoves.DailyDays} days from the period {period}, where its movements are kept per month: use a month's last day");
        }
    }

    public static V1.GetPipelineHistoryResponse ToResponse(
        TargetScope scope, string scopeId, PipelineWaterfall waterfall, IReadOnlyList<TrendMonth> trend, string currency)
    {
        var response = new V1.GetPipelineHistoryResponse
        {
            Scope = ProtoMapper.ToWire(scope),
            ScopeId = scopeId,
            Period = waterfall.Period.ToString(),
            FromDate = ProtoMapper.ToDate(waterfall.From),
            ToDate = ProtoMapper.ToDate(waterfall.To),
            CurrencyCode = currency,
            Waterfall = new V1.PipelineWaterfall
            {
                StartAmount = waterfall.StartAmount,
                StartCount = waterfall.StartCount,
                EndAmount = waterfall.EndAmount,
                EndCount = waterfall.EndCount,
            },
        };
        foreach (var t in waterfall.Terms)
        {
            // The wire's values are the domain's plus one (0 is unspecified).
            response.Waterfall.Terms.Add(new V1.PipelineWaterfallTerm { Move = (V1.PipelineMove)((int)t.Move + 1), Amount = t.Amount, Count = t.Count });
        }

        foreach (var m in trend)
        {
            var month = new V1.PipelineTrendMonth { Month = m.Month.ToString(), Opened = m.Opened, Bookings = m.Bookings, Won = m.WonCount, Headcount = m.Headcount };
            if (m.BookingsPerRep is { } perRep)
            {
                month.BookingsPerRep = perRep;
            }

            response.Trend.Add(month);
        }

        return response;
    }
}
