using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>Top-down against bottom-up on the wire: coverage rows of a report and the plan-uncovered alert.</summary>
public static class CoverageMapper
{
    public static IEnumerable<V1.TargetCoverage> ToWire(IEnumerable<TargetCoverage> rows) => rows.Select(c => new V1.TargetCoverage
    {
        Metric = ProtoMapper.ToWire(c.Metric),
        Basis = ToWire(c.Basis),
        MustAchieve = c.MustAchieve,
        Stretch = c.Stretch,
        Parts = c.Parts,
        PartsMustAchieve = c.PartsMustAchieve,
        PartsStretch = c.PartsStretch,
        MustGap = c.MustGap,
        StretchGap = c.StretchGap,
        Uncovered = c.Uncovered,
    });

    public static V1.CoverageBasis ToWire(CoverageBasis b) => (V1.CoverageBasis)((int)b + 1);

    /// <summary>The alert's typed message: the basis travels in the record's other id, the sums in actual and expected.</summary>
    public static V1.PlanUncoveredAlert ToAlert(AlertRecord a, AlertNames names) => new()
    {
        Scope = a.AboutRegion ? V1.TargetScope.Region : V1.TargetScope.Rep,
        ScopeId = a.SubjectId,
        Metric = Enum.TryParse<TargetMetric>(a.Metric, out var metric) ? ProtoMapper.ToWire(metric) : V1.TargetMetric.Unspecified,
        Basis = Enum.TryParse<CoverageBasis>(a.OtherId, out var basis) ? ToWire(basis) : V1.CoverageBasis.Unspecified,
        PartsMustAchieve = a.Actual,
        MustAchieve = a.Expected,
        ScopeName = names.Subject,
    };

    /// <summary>The alert's sentence for people.</summary>
    public static string Text(AlertRecord a, AlertNames names, Func<long, string> amount)
    {
        var parts = Enum.TryParse<CoverageBasis>(a.OtherId, out var basis) ? basis switch
        {
            CoverageBasis.ChildRegions => "its regions' targets",
            CoverageBasis.Reps => "its reps' targets",
            CoverageBasis.Quarters => "its quarters' targets",
            _ => "its months' targets",
        } : "its parts' targets";
        return $"{names.Subject}'s {AlertText.Words(a.Metric)} target for {new Period(a.Period)} is not covered by {parts}: {amount(a.Actual)} of {amount(a.Expected)} must-achieve";
    }
}
