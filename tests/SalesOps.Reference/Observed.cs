namespace SalesOps.Reference;

/// <summary>A deal as an engine shows it. <see cref="Level"/> is null when the engine does not expose it.</summary>
public sealed record ObservedDeal(string Owner, long Amount, string Stage, DateOnly ExpectedClose, DateTimeOffset StageAt, int? Level);

public sealed record ObservedRep(string Region, Dictionary<CounterKey, long> Counters);

public sealed record ObservedRegion(string Parent, Dictionary<CounterKey, long> Counters);

/// <summary>A target's figures as an engine reports them.</summary>
public sealed record ObservedTarget(string Metric, long Actual, long Must, long Stretch, double MustAttainment, double StretchAttainment, double Pace, bool Behind);

/// <summary>One scope's figures for one period as an engine reports them (what GetRep / GetRegion answer).</summary>
public sealed record ObservedReport(
    long OpenCount,
    long OpenAmount,
    decimal Weighted,
    long[] StageCount,
    long[] StageAmount,
    long[] Reached,
    double[] Conversion,
    long Bookings,
    long Won,
    long Lost,
    long LostAmount,
    long Collections,
    double WinRate,
    double AverageDeal,
    double AverageCycleDays,
    decimal Forecast,
    long Commit,
    long BestCase,
    long Pipeline,
    long ActivityTotal,
    SortedDictionary<(int Type, int Category), long> Activities,
    long[] Minutes,
    List<ObservedTarget> Targets);

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

    /// <summary>The boards read (an absent or empty board has no rows).</summary>
    public Dictionary<RefBoard, List<RefRow>> Boards { get; } = [];

    /// <summary>A rep's (<c>isRep</c>) or region's report for a period code.</summary>
    public required Func<bool, string, string, ObservedReport> Report { get; init; }
}
