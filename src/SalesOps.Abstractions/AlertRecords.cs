using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>
/// What the alert log still holds: sequences <see cref="Oldest"/> to <see cref="Newest"/> of numbering
/// <see cref="Epoch"/> (a new activation of the log numbers from 1 again under a new epoch).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.AlertRange")]
public readonly record struct AlertRange([property: Id(0)] long Oldest, [property: Id(1)] long Newest, [property: Id(2)] Guid Epoch);

/// <summary>An alert with its place in the alert log.</summary>
[GenerateSerializer, Immutable, Alias("salesops.AlertRecord")]
public sealed record AlertRecord(
    [property: Id(0)] long Sequence,
    [property: Id(1)] byte Kind,
    [property: Id(2)] string SubjectId,
    [property: Id(3)] string ScopeId,
    [property: Id(4)] string OtherId,
    [property: Id(5)] int Period,
    [property: Id(6)] string Metric,
    [property: Id(7)] long Actual,
    [property: Id(8)] long Expected,
    [property: Id(9)] string Message,
    [property: Id(10)] DateTimeOffset At,
    [property: Id(11)] Guid Epoch)
{
    /// <summary>A behind-pace or behind-last-year alert about a region rather than a rep (<see cref="Alert.AboutRegion"/>).</summary>
    [Id(12)]
    public bool AboutRegion { get; init; }

    /// <summary>An at-risk deal's customer (empty for other kinds).</summary>
    [Id(13)]
    public string CustomerId { get; init; } = "";

    /// <summary>An at-risk deal's amount.</summary>
    [Id(14)]
    public long Amount { get; init; }

    /// <summary>An at-risk deal's expected close date as a day number (<see cref="DateOnly.DayNumber"/>); 0 for other kinds.</summary>
    [Id(15)]
    public int ExpectedCloseDay { get; init; }

    /// <summary>A behind-pace alert's target dimension: its kind (0: none) and value.</summary>
    [Id(16)]
    public byte DimensionKind { get; init; }

    [Id(17)]
    public string? DimensionValue { get; init; }

    public TargetDimension Dimension => TargetDimension.Of((DimensionKind)DimensionKind, DimensionValue);

    /// <summary>When the alert was raised (wall-clock UTC ticks, not the engine clock), for the push-latency metric; 0: unknown.</summary>
    [Id(18)]
    public long RaisedAt { get; init; }

    public static AlertRecord From(Alert a) =>
        new(0, (byte)a.Kind, a.SubjectId, a.ScopeId, a.OtherId, a.Period.Code, a.Metric, a.Actual, a.Expected, a.Message, a.At, Guid.Empty)
        {
            AboutRegion = a.AboutRegion,
            CustomerId = a.CustomerId,
            Amount = a.Amount,
            ExpectedCloseDay = a.ExpectedClose?.DayNumber ?? 0,
            DimensionKind = (byte)a.Dimension.Kind,
            DimensionValue = a.Dimension.IsNone ? null : a.Dimension.Value,
            RaisedAt = DateTime.UtcNow.Ticks,
        };
}
