using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>A target beside the sum of the targets it was split into (docs/semantics.md, "Top-down against bottom-up").</summary>
/// <param name="Metric">The metric, or "Metric/Kind=Value" for a target by dimension.</param>
public sealed record RefCoverage(string Metric, string Basis, long Must, long Stretch, int Parts, long PartsMust, long PartsStretch, long MustGap, long StretchGap, bool Uncovered);

/// <summary>A suggested target (docs/semantics.md, "Suggested target").</summary>
public sealed record RefSuggestion(string Metric, long LastYear, bool Recorded, long Plan, int GrowthBp, long NewPoints, long Grown, long Suggested, long? Must, long? Difference);

/// <summary>The reference's top-down against bottom-up: straight from the targets in force, the region tree and the reps' current regions.</summary>
public sealed partial class ReferenceModel
{
    /// <summary>The counters of the target sums, their documented encoding: A = metric, B 0/1 must high/low, 2/3 stretch high/low, 4 count.</summary>
    private const int SumShift = 24;

    /// <summary>Whether a rep's target for a period counts in the bottom-up sums: while with the company, or a period ended before the leave date.</summary>
    private bool CountsInSums(string repId, string period) =>
        LeaveOf(repId) is not { } left || RefCalendar.Days(period).End <= _calendar.LocalDate(left.OccurredAt);

    /// <summary>
    /// The target-sum counters: each counted rep target in the rep's and every region up from its current region
    /// (RepTargets), each region's own target in its parent only (ChildRegionTargets) and in itself as sent (SentTargets).
    /// </summary>
    private void AddTargetCounters(
        Dictionary<string, RefRep> reps,
        Dictionary<string, string> parents,
        Action<string, string, CounterKey, long> addRepAndChain,
        Dictionary<string, Dictionary<CounterKey, long>> regionCounters)
    {
        IEnumerable<(int B, long V)> Slots(TargetSet t) =>
        [
            (0, t.MustAchieve >> SumShift), (1, t.MustAchieve & ((1L << SumShift) - 1)),
            (2, t.Stretch >> SumShift), (3, t.Stretch & ((1L << SumShift) - 1)), (4, 1),
        ];

        // A target by dimension is summed in the dimension counter of the same figure, named as every dimension counter.
        string Named(string figure, TargetSet t) =>
            t.Dimension.Kind == DimensionKind.None ? figure : Fig.Of(figure, t.Dimension.Kind, t.Dimension.Value ?? "");

        void AddTo(Dictionary<CounterKey, long> set, string figure, string period, TargetSet t)
        {
            foreach (var (b, v) in Slots(t))
            {
                var key = new CounterKey(Named(figure, t), period, (int)t.Metric, b);
                set[key] = checked(set.GetValueOrDefault(key) + v);
            }
        }

        foreach (var ((scope, id, period, _, _), t) in Targets())
        {
            // Targets for a year, quarter or month are summed, by dimension or not; week targets are not.
            if (!(period.Length == 4 || period[5] == 'Q' || char.IsDigit(period[5])))
            {
                continue;
            }

            if (scope == TargetScope.Rep)
            {
                if (reps.TryGetValue(id, out var rep) && CountsInSums(id, period))
                {
                    foreach (var (b, v) in Slots(t))
                    {
                        addRepAndChain(id, rep.CurrentRegion, new CounterKey(Named("RepTargets", t), period, (int)t.Metric, b), v);
                    }
                }
            }
            else if (id != Company)
            {
                AddTo(regionCounters[parents[id]], "ChildRegionTargets", period, t);
                AddTo(regionCounters[id], "SentTargets", period, t);
            }
        }
    }

    /// <summary>The coverage rows of a scope's report for a period: per metric with a target, per basis with a part that has one.</summary>
    public List<RefCoverage> Coverage(TargetScope scope, string scopeId, string period, ReportInputs inputs)
    {
        var rows = new List<RefCoverage>();
        if (!(period.Length == 4 || period[5] == 'Q' || char.IsDigit(period[5])))
        {
            return rows; // a week's target is compared with nothing
        }

        var year = int.Parse(period[..4], CultureInfo.InvariantCulture);
        var quarters = Enumerable.Range(1, 4).Select(q => string.Create(CultureInfo.InvariantCulture, $"{year:D4}-Q{q}")).ToList();
        var (first, end) = RefCalendar.Days(period);
        var months = new List<string>();
        for (var m = first; m < end; m = m.AddMonths(1))
        {
            months.Add(RefCalendar.MonthCode(m));
        }

        // Metrics in the contract's order; the whole metric first, then its dimensions by kind and value (ordinal).
        var tops = inputs.Targets
            .Where(kv => kv.Key.Scope == scope && kv.Key.Id == scopeId && kv.Key.Period == period)
            .Select(kv => kv.Value)
            .OrderBy(t => t.Metric)
            .ThenBy(t => t.Dimension.Kind)
            .ThenBy(t => t.Dimension.Value ?? "", StringComparer.Ordinal)
            .ToList();
        foreach (var top in tops)
        {
            var metric = top.Metric;
            var dimension = DimensionOf(top);
            var name = dimension.Length == 0 ? metric.ToString() : $"{metric}/{dimension}";

            void Row(string basis, IEnumerable<TargetSet> parts)
            {
                var list = parts.ToList();
                if (list.Count == 0)
                {
                    return;
                }

                long must = list.Sum(p => p.MustAchieve), stretch = list.Sum(p => p.Stretch);
                rows.Add(new RefCoverage(name, basis, top.MustAchieve, top.Stretch, list.Count, must, stretch, top.MustAchieve - must, top.Stretch - stretch, must < top.MustAchieve));
            }

            IEnumerable<TargetSet> Held(TargetScope s, IEnumerable<string> ids, IEnumerable<string> periods) =>
                from id in ids
                from p in periods
                where inputs.Targets.ContainsKey((s, id, p, metric, dimension))
                select inputs.Targets[(s, id, p, metric, dimension)];

            if (scope == TargetScope.Region)
            {
                var children = inputs.Parents.Where(kv => kv.Key != Company && kv.Value == scopeId).Select(kv => kv.Key);
                Row("ChildRegions", Held(TargetScope.Region, children, [period]));
                var members = inputs.Reps.Values.Where(r => Chain(r.CurrentRegion, inputs.Parents).Contains(scopeId) && CountsInSums(r.Id, period)).Select(r => r.Id);
                Row("Reps", Held(TargetScope.Rep, members, [period]));
            }

            if (period.Length == 4)
            {
                Row("Quarters", Held(scope, [scopeId], quarters));
            }

            if (period.Length == 4 || period[5] == 'Q')
            {
                Row("Months", Held(scope, [scopeId], months));
            }
        }

        return rows;
    }

    /// <summary>
    /// The suggested targets of a year: per metric, the inputs recorded last (by occurred_at, then event id), with last
    /// year's actual taken from <paramref name="lastYearFigure"/> when none was recorded; grown in decimal arithmetic.
    /// </summary>
    public List<RefSuggestion> Suggestions(TargetScope scope, string scopeId, string period, ReportInputs inputs, Func<TargetMetric, long> lastYearFigure)
    {
        var rows = new List<RefSuggestion>();
        if (period.Length != 4)
        {
            return rows;
        }

        foreach (var metric in new[] { TargetMetric.Bookings, TargetMetric.Collections, TargetMetric.Activities, TargetMetric.NewCustomers, TargetMetric.GrossMargin })
        {
            var recorded = _accepted.OfType<PlanningInputsRecorded>()
                .Where(i => i.Scope == scope && i.ScopeId == scopeId && RefCalendar.CodeOf(i.Year) == period && i.Metric == metric)
                .ToList();
            if (recorded.Count == 0)
            {
                continue;
            }

            recorded.Sort(Stamp);
            var last = recorded[^1];
            var lastYear = last.LastYearActual ?? lastYearFigure(metric);
            var grown = (long)decimal.Floor(lastYear * (10_000m + last.IndustryGrowthBasisPoints) / 10_000m);
            var suggested = Math.Max(grown, last.LongTermPlan) + last.NewGrowthPoints;
            long? must = inputs.Targets.TryGetValue((scope, scopeId, period, metric, ""), out var t) ? t.MustAchieve : null;
            rows.Add(new RefSuggestion(metric.ToString(), lastYear, last.LastYearActual.HasValue, last.LongTermPlan, last.IndustryGrowthBasisPoints, last.NewGrowthPoints, grown, suggested, must, must - suggested));
        }

        return rows;
    }
}
