namespace SalesOps.Domain;

/// <summary>What a target's dimension splits its metric by.</summary>
public enum DimensionKind : byte
{
    /// <summary>No dimension: the target is for the whole metric.</summary>
    None = 0,

    /// <summary>The product line a deal was opened with.</summary>
    ProductLine = 1,

    /// <summary>The channel a deal was opened with.</summary>
    Channel = 2,

    /// <summary>The customer of a deal or a payment.</summary>
    Customer = 3,

    /// <summary>The type of an activity (call, visit, meeting, proposal, demo).</summary>
    ActivityType = 4,
}

/// <summary>
/// One value of a dimension: a product line, channel or customer id as the events carry it, or an activity type's name
/// (<c>Call</c>, <c>Visit</c>…). <c>default</c> is "no dimension".
/// </summary>
public readonly record struct TargetDimension(DimensionKind Kind, string? Value)
{
    public static readonly TargetDimension None = default;

    public bool IsNone => Kind == DimensionKind.None;

    /// <summary>A dimension value; "no dimension" whatever the value when <paramref name="kind"/> is <see cref="DimensionKind.None"/>.</summary>
    public static TargetDimension Of(DimensionKind kind, string? value) => kind == DimensionKind.None ? None : new(kind, value ?? "");

    /// <summary>The dimension of one activity type.</summary>
    public static TargetDimension Of(ActivityType type) => new(DimensionKind.ActivityType, type.ToString());

    /// <summary>The activity type of an <see cref="DimensionKind.ActivityType"/> dimension, or null.</summary>
    public ActivityType? ActivityType =>
        Kind == DimensionKind.ActivityType && Enum.TryParse<ActivityType>(Value, ignoreCase: false, out var t) && Enum.IsDefined(t) && Value == t.ToString()
            ? t
            : null;

    public override string ToString() => IsNone ? "" : $"{Kind}={Value}";
}

/// <summary>
/// Which metric × dimension × period combinations a target may have (docs/semantics.md, "Targets by dimension"), and why
/// the others are refused. A dimension is only allowed where every event behind the metric names it:
/// <list type="bullet">
/// <item>bookings and gross margin (won deals) by product line, channel or customer: a deal carries all three;</item>
/// <item>collections by customer: a payment names its customer but no deal, so not by product line or channel;</item>
/// <item>activities by activity type; an activity names no deal, so not by product line or channel;</item>
/// <item>new customers by none: a first order is one per customer, so a split by customer is meaningless.</item>
/// </list>
/// Week periods are kept for activities only. Customer targets are for quarters and years only: what bounds the memory
/// of per-customer actuals (docs/semantics.md, "Targets by dimension").
/// </summary>
public static class TargetRules
{
    /// <summary>The longest dimension value (a product line, channel or customer id).</summary>
    public const int MaxValueLength = EventValidator.MaxIdLength;

    /// <summary>Null when a target of this metric, period and dimension can be set; otherwise the refusal naming the field.</summary>
    public static Outcome? Check(TargetMetric metric, Period period, TargetDimension dimension)
    {
        if (period.IsWeek && metric != TargetMetric.Activities)
        {
            return Outcome.Invalid("period", $"week periods are kept for activity targets only; a {metric} target needs a year, quarter or month");
        }

        switch (dimension.Kind)
        {
            case DimensionKind.None:
                return null;
            case DimensionKind.ActivityType:
                if (metric != TargetMetric.Activities)
                {
                    return Outcome.Invalid("dimension.kind", $"an activity-type dimension is for ACTIVITIES targets only, not {metric}");
                }

                return dimension.ActivityType is null ? Outcome.Invalid("dimension.activity_type", "dimension.activity_type is required for an activity-type dimension") : null;
            case DimensionKind.ProductLine or DimensionKind.Channel or DimensionKind.Customer:
                break;
            default:
                return Outcome.Invalid("dimension.kind", "dimension.kind has an unknown value");
        }

        if (string.IsNullOrWhiteSpace(dimension.Value))
        {
            return Outcome.Invalid("dimension.value", "dimension.value is required for a product line, channel or customer dimension");
        }

        if (dimension.Value.Length > MaxValueLength)
        {
            return Outcome.Invalid("dimension.value", $"dimension.value is longer than {MaxValueLength} characters");
        }

        return (metric, dimension.Kind) switch
        {
            (TargetMetric.Bookings or TargetMetric.GrossMargin, _) => CustomerPeriod(period, dimension),
            (TargetMetric.Collections, DimensionKind.Customer) => CustomerPeriod(period, dimension),
            (TargetMetric.Collections, _) => Outcome.Invalid(
                "dimension.kind", $"collections cannot be split by {dimension.Kind}: a payment names its customer but no deal"),
            (TargetMetric.Activities, _) => Outcome.Invalid(
                "dimension.kind", $"activities cannot be split by {dimension.Kind}: use an activity-type dimension"),
            _ => Outcome.Invalid("dimension.kind", $"{metric} targets take no dimension"),
        };
    }

    private static Outcome? CustomerPeriod(Period period, TargetDimension dimension) =>
        dimension.Kind == DimensionKind.Customer && period.Kind is not (PeriodKind.Quarter or PeriodKind.Year)
            ? Outcome.Invalid("period", "customer targets are for a quarter or a year (per-customer actuals are kept per quarter and year)")
            : null;
}
