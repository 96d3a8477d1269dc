using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>The wire forms of target dimensions and deal costs (docs/semantics.md, "Targets by dimension", "Gross margin").</summary>
public static partial class ProtoMapper
{
    /// <summary>
    /// A target's dimension; absent or kind unspecified is "no dimension". Only the shape is checked here (a known kind,
    /// the activity type of an activity-type dimension); which combinations a target may have is the domain's rule.
    /// </summary>
    private static TargetDimension? ToDimension(V1.TargetDimension? d, out Outcome? error)
    {
        error = null;
        if (d is null || d.Kind == V1.TargetDimensionKind.Unspecified)
        {
            return d is { Value.Length: > 0 } or { ActivityType: not V1.ActivityType.Unspecified }
                ? Refuse("dimension.kind", "dimension.kind is required when a dimension value or activity type is given", out error)
                : TargetDimension.None;
        }

        if (!System.Enum.IsDefined(d.Kind))
        {
            return Refuse("dimension.kind", $"dimension.kind has an unknown value {(int)d.Kind}", out error);
        }

        var kind = (DimensionKind)(int)d.Kind;
        if (kind != DimensionKind.ActivityType)
        {
            return d.ActivityType != V1.ActivityType.Unspecified
                ? Refuse("dimension.activity_type", "dimension.activity_type is only for an ACTIVITY_TYPE dimension", out error)
                : TargetDimension.Of(kind, d.Value);
        }

        if (d.Value.Length > 0)
        {
            return Refuse("dimension.value", "an ACTIVITY_TYPE dimension names its type in dimension.activity_type, not dimension.value", out error);
        }

        return Required(d.ActivityType, "dimension.activity_type", out error) is { } type ? TargetDimension.Of((ActivityType)type) : null;
    }

    private static TargetDimension? Refuse(string field, string message, out Outcome? error)
    {
        error = Outcome.Invalid(field, message);
        return null;
    }

    /// <summary>A target's dimension on the wire; null for a target of the whole metric.</summary>
    public static V1.TargetDimension? ToWire(TargetDimension d) => d.Kind switch
    {
        DimensionKind.None => null,
        DimensionKind.ActivityType => new V1.TargetDimension
        {
            Kind = V1.TargetDimensionKind.ActivityType,
            ActivityType = d.ActivityType is { } t ? ToWire(t) : V1.ActivityType.Unspecified,
        },
        _ => new V1.TargetDimension { Kind = (V1.TargetDimensionKind)(int)d.Kind, Value = d.Value ?? "" },
    };

    /// <summary>
    /// An optional deal cost in the company currency: null when absent (the event keeps the deal's cost), the error
    /// naming <c>cost</c> when it is in another currency. Its range is the validator's.
    /// </summary>
    private static bool TryCost(V1.Money? cost, string currency, out long? value, out Outcome? error)
    {
        value = null;
        error = null;
        if (cost is null)
        {
            return true;
        }

        value = ToAmount(cost, currency, out error, "cost");
        return error is null;
    }
}
