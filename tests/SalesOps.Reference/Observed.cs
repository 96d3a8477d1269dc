namespace SalesOps.Reference;

/// <summary>A deal as an engine shows it. <see cref="Level"/> is null when the engine does not expose it.</summary>
public sealed record ObservedDeal(string Owner, long Amount, string Stage, DateOnly ExpectedClose, DateTimeOffset StageAt, int? Level);

public sealed record ObservedRep(string Region, Dictionary<CounterKey, long> Counters);

public sealed record ObservedRegion(string Parent, Dictionary<CounterKey, long> Counters);

/// <summary>
/// Everything the differential test reads from an engine (in-process or grains), in the reference's vocabulary: ids,
/// period codes, figure and metric names. Only entities that exist (opened, joined, defined, registered) are listed.
/// </summary>
public sealed class ObservedState
{
    public Dictionary<string, ObservedDeal> Deals { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ObservedRep> Reps { get; } = new(StringComparer.Ordinal);

    /// <summary>Every defined region and the company.</summary>
    public Dictionary<string, ObservedRegion> Regions { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, RefCustomer> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>The orphaned-deals list as the engine answers it: (deal id, departed owner), ordered by deal id.</summary>
    public List<(string Deal, string Owner)> Orphans { get; } = [];

    /// <summary>The at-risk list as the engine answers it at an instant (company-wide, ordered by deal id); null when not read.</summary>
    public Func<DateTimeOffset, List<RefAtRisk>>? AtRisk { get; init; }

    /// <summary>The boards read (an absent or empty board has no rows).</summary>
    public Dictionary<RefBoard, List<RefRow>> Boards { get; } = [];

    /// <summary>A rep's (<c>isRep</c>) or region's report for a period code, as the engine reports it (what GetRep / GetRegion answer).</summary>
    public required Func<bool, string, string, RefReport> Report { get; init; }

    /// <summary>A rep's (<c>isRep</c>) or region's forecast view for a period code, as the engine answers it.</summary>
    public required Func<bool, string, string, RefForecast> Forecast { get; init; }

    /// <summary>
    /// A rep's (<c>isRep</c>) or region's pipeline waterfall for a period code between the ends of two local days, and
    /// its trend, as the engine answers it (what GetPipelineHistory answers); null when not read.
    /// </summary>
    public Func<bool, string, string, DateOnly, DateOnly, RefPipelineView>? Pipeline { get; init; }
}
