namespace SalesOps.Domain;

/// <summary>
/// The four reference variables of a year's target (seed 000, "制定营销目标的四个参考变量") as a planner records them for one
/// scope, year and metric. Amounts are in the metric's unit (minor units of the company currency for money metrics).
/// </summary>
/// <param name="LastYearActual">Last year's actual, or null to take the engine's own figure for the year before.</param>
/// <param name="LongTermPlan">What the long-term plan sets for the year (0: none).</param>
/// <param name="IndustryGrowthBasisPoints">The industry's growth rate in hundredths of a percent (500 = 5%; −10,000 to 100,000).</param>
/// <param name="NewGrowthPoints">What new products, markets or channels are expected to add in the year.</param>
public readonly record struct PlanningInputs(long? LastYearActual, long LongTermPlan, int IndustryGrowthBasisPoints, long NewGrowthPoints)
{
    public static PlanningInputs Of(PlanningInputsRecorded e) => new(e.LastYearActual, e.LongTermPlan, e.IndustryGrowthBasisPoints, e.NewGrowthPoints);
}

/// <summary>
/// The suggested target the reference variables imply, beside the target set (docs/semantics.md, "Suggested target"):
/// grown = ⌊last year × (10,000 + industry growth bp) ÷ 10,000⌋; suggested = max(grown, long-term plan) + new growth points.
/// </summary>
/// <param name="LastYearRecorded">Last year's actual was recorded; false: it is the engine's own figure for the year before.</param>
/// <param name="MustAchieve">The must-achieve target set for the year and metric, or null when none is.</param>
/// <param name="Difference">Must-achieve − suggested, or null without a target.</param>
public sealed record SuggestedTarget(
    TargetMetric Metric,
    long LastYearActual,
    bool LastYearRecorded,
    long LongTermPlan,
    int IndustryGrowthBasisPoints,
    long NewGrowthPoints,
    long Grown,
    long Suggested,
    long? MustAchieve,
    long? Difference)
{
    /// <summary>The suggestions for a year period: one per metric with inputs recorded for that year, in metric order.</summary>
    public static List<SuggestedTarget> For(PlanningInputsBook inputs, FigureSet figures, TargetBook targets, Period period)
    {
        var list = new List<SuggestedTarget>();
        if (period.Kind != PeriodKind.Year || inputs.Count == 0)
        {
            return list;
        }

        foreach (TargetMetric metric in Enum.GetValues<TargetMetric>())
        {
            if (inputs.Get(period, metric) is not { } i)
            {
                continue;
            }

            var last = i.LastYearActual ?? TargetBook.Actual(figures, period.YearEarlier, metric);
            var grown = TargetSums.Clamp((Int128)last * (10_000 + i.IndustryGrowthBasisPoints) / 10_000);
            var suggested = TargetSums.Clamp((Int128)Math.Max(grown, i.LongTermPlan) + i.NewGrowthPoints);
            var must = targets.Get(period, metric)?.MustAchieve;
            list.Add(new SuggestedTarget(
                metric, last, i.LastYearActual.HasValue, i.LongTermPlan, i.IndustryGrowthBasisPoints, i.NewGrowthPoints, grown, suggested, must, must - suggested));
        }

        return list;
    }
}

/// <summary>The reference variables a scope recorded, last-writer-wins per year and metric.</summary>
public sealed class PlanningInputsBook
{
    private readonly Dictionary<(Period Year, TargetMetric Metric), Lww<PlanningInputs>> _inputs = new();

    public int Count => _inputs.Count;

    public IEnumerable<(Period Year, TargetMetric Metric, PlanningInputs Inputs)> All =>
        _inputs.Select(kv => (kv.Key.Year, kv.Key.Metric, kv.Value.Value));

    public PlanningInputs? Get(Period year, TargetMetric metric) =>
        _inputs.TryGetValue((year, metric), out var reg) && reg.HasValue ? reg.Value : null;

    /// <summary>Offers recorded inputs; returns whether they are now the ones in force.</summary>
    public bool Offer(PlanningInputsRecorded e)
    {
        var key = (e.Year, e.Metric);
        _inputs.TryGetValue(key, out var reg);
        var taken = reg.Offer(PlanningInputs.Of(e), new EventStamp(e.OccurredAt, e.EventId));
        _inputs[key] = reg;
        return taken;
    }

    /// <summary>Restores inputs as they were (for read models, which need no stamps).</summary>
    public void Put(Period year, TargetMetric metric, PlanningInputs inputs)
    {
        var reg = default(Lww<PlanningInputs>);
        reg.Offer(inputs, default);
        _inputs[(year, metric)] = reg;
    }

    /// <summary>The latest instant of any inputs held (for the de-dup window a snapshot restores).</summary>
    internal IEnumerable<DateTimeOffset> Stamps => _inputs.Values.Select(r => r.Stamp.At);

    /// <summary>Every entry with its register; null when there is none, so snapshots without inputs keep their bytes.</summary>
    internal List<PlanningInputsEntry>? ToMemento() => _inputs.Count == 0
        ? null
        : _inputs.Select(kv => new PlanningInputsEntry(
            kv.Key.Year.Code, kv.Key.Metric, kv.Value.Value.LastYearActual, kv.Value.Value.LongTermPlan, kv.Value.Value.IndustryGrowthBasisPoints,
            kv.Value.Value.NewGrowthPoints, kv.Value.Stamp.At, kv.Value.Stamp.EventId, kv.Value.HasValue)).ToList();

    /// <summary>Restores the entries of a snapshot into this empty book (null: none, as in snapshots written before inputs existed).</summary>
    internal void Restore(List<PlanningInputsEntry>? entries)
    {
        foreach (var e in entries ?? [])
        {
            var reg = Snapshots.Register(new PlanningInputs(e.LastYearActual, e.LongTermPlan, e.GrowthBasisPoints, e.NewGrowthPoints), e.At, e.EventId, e.HasValue);
            if (!_inputs.TryAdd((new Period(e.Year), e.Metric), reg))
            {
                throw new InvalidDataException($"Corrupt snapshot: planning inputs {e.Metric} {e.Year} are listed twice.");
            }
        }
    }
}
