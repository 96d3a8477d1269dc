using SalesOps.Abstractions;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// Target planning on the wire: coverage rows of a report and the plan-uncovered alert (top-down against bottom-up), the
/// reference variables' event and the targets they suggest.
/// </summary>
public static class TargetPlanMapper
{
    /// <summary>The event as the domain takes it; null with <paramref name="error"/> naming the field when it cannot be read.</summary>
    public static PlanningInputsRecorded? ToDomain(V1.PlanningInputsRecorded p, string id, DateTimeOffset at, out Outcome? error)
    {
        if (ProtoMapper.Required(p.Scope, "scope", out error) is not { } scope || ProtoMapper.Required(p.Metric, "metric", out error) is not { } metric)
        {
            return null;
        }

        if (!Period.TryParse(p.Year, out var year) || year.Kind != PeriodKind.Year)
        {
            error = Outcome.Invalid("year", $"year {Echo.Quote(p.Year)} is not a year (2027)");
            return null;
        }

        return new PlanningInputsRecorded(
            id, at, (TargetScope)scope, p.ScopeId, year, (TargetMetric)metric, p.HasLastYearActual ? p.LastYearActual : null, p.LongTermPlan,
            p.IndustryGrowthBp, p.NewGrowthPoints);
    }

    public static IEnumerable<V1.SuggestedTarget> ToWire(IEnumerable<SuggestedTarget> rows) => rows.Select(s =>
    {
        var m = new V1.SuggestedTarget
        {
            Metric = ProtoMapper.ToWire(s.Metric),
            LastYearActual = s.LastYearActual,
            LastYearRecorded = s.LastYearRecorded,
            LongTermPlan = s.LongTermPlan,
            IndustryGrowthBp = s.IndustryGrowthBasisPoints,
            NewGrowthPoints = s.NewGrowthPoints,
            Grown = s.Grown,
            Suggested = s.Suggested,
        };
        if (s.MustAchieve is { } must)
        {
            m.MustAchieve = must;
            m.Difference = s.Difference ?? 0;
        }

        return m;
    });

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
        Dimension = ProtoMapper.ToWire(c.Dimension),
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
        Dimension = ProtoMapper.ToWire(a.Dimension),
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
        var dimension = a.Dimension.IsNone ? "" : $" ({AlertText.Words(a.Dimension.Kind.ToString())} {a.Dimension.Value})";
        return $"{names.Subject}'s {AlertText.Words(a.Metric)}{dimension} target for {new Period(a.Period)} is not covered by {parts}: {amount(a.Actual)} of {amount(a.Expected)} must-achieve";
    }
}
