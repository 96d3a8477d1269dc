using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>The activity report (direction and quality) in its v1 wire form.</summary>
internal static class ActivityReportMapper
{
    public static V1.GetActivityReportResponse ToResponse(TargetScope scope, string scopeId, ActivityReport report, ActivityQuality company) => new()
    {
        Scope = ProtoMapper.ToWire(scope),
        ScopeId = scopeId,
        Report = ToWire(report),
        CompanyQuality = ToWire(company),
    };

    private static V1.ActivityReport ToWire(ActivityReport r)
    {
        var m = new V1.ActivityReport
        {
            Period = r.Period.ToString(),
            Count = r.Count,
            Minutes = r.Minutes,
            WithoutCustomerCount = r.WithoutCustomerCount,
            WithoutCustomerMinutes = r.WithoutCustomerMinutes,
            Quality = ToWire(r.Quality),
        };
        foreach (var g in r.Groups)
        {
            m.Groups.Add(new V1.ActivityGroupFigure { Group = (V1.CustomerGroup)(int)g.Group, Count = g.Count, Minutes = g.Minutes });
        }

        foreach (var p in r.ProductLines)
        {
            m.ProductLines.Add(new V1.ActivityProductLineFigure { ProductLine = p.ProductLine, Count = p.Count, Minutes = p.Minutes });
        }

        return m;
    }

    private static V1.ActivityQuality ToWire(ActivityQuality q)
    {
        var m = Ratios(q);
        foreach (var b in q.ByLoad)
        {
            var bucket = new V1.ActivityLoadBucket { MinActivities = b.MinActivities, Won = b.Won, Lost = b.Lost, WinRate = b.WinRate };
            if (b.MaxActivities is { } max)
            {
                bucket.MaxActivities = max;
            }

            m.ByLoad.Add(bucket);
        }

        return m;
    }

    private static V1.ActivityQuality Ratios(ActivityQuality q) => new()
    {
        Calls = q.Calls,
        Visits = q.Visits,
        Proposals = q.Proposals,
        Won = q.Won,
        Lost = q.Lost,
        CallsPerVisit = q.CallsPerVisit,
        VisitsPerProposal = q.VisitsPerProposal,
        ProposalsPerOrder = q.ProposalsPerOrder,
        WinRate = q.WinRate,
    };
}
