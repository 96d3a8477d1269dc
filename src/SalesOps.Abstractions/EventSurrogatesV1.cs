using SalesOps.Domain;

namespace SalesOps.Abstractions;

// Version 1 of the events that gained optional fields in version 2 (a deal's cost; a target's dimension). An event that
// does not use them is journalled in exactly its version-1 bytes, so entries written before stay what this build
// writes, and a build without the new fields could still read them. Version 2 is the surrogate with the added fields;
// both versions are read into it (a field missing from version 1 reads as its default: no cost, no dimension).

/// <summary>Version 1 of <see cref="OpportunityOpenedSurrogate"/>: no cost.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityOpenedV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public string OwnerRepId;
    [Id(4)] public string CustomerId;
    [Id(5)] public long Amount;
    [Id(6)] public string ProductLine;
    [Id(7)] public string Channel;
    [Id(8)] public DateOnly ExpectedClose;
    [Id(9)] public string StageId;

    public static OpportunityOpenedV1 Of(in OpportunityOpenedSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, OpportunityId = s.OpportunityId, OwnerRepId = s.OwnerRepId, CustomerId = s.CustomerId,
        Amount = s.Amount, ProductLine = s.ProductLine, Channel = s.Channel, ExpectedClose = s.ExpectedClose, StageId = s.StageId,
    };
}

/// <summary>Version 1 of <see cref="OpportunityAmountChangedSurrogate"/>: no cost.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityAmountChangedV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public long Amount;

    public static OpportunityAmountChangedV1 Of(in OpportunityAmountChangedSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, OpportunityId = s.OpportunityId, Amount = s.Amount,
    };
}

/// <summary>Version 1 of <see cref="OpportunityWonSurrogate"/>: no cost.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityWonV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public long Amount;

    public static OpportunityWonV1 Of(in OpportunityWonSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, OpportunityId = s.OpportunityId, Amount = s.Amount,
    };
}

/// <summary>Version 1 of <see cref="TargetSetSurrogate"/>: no dimension.</summary>
[GenerateSerializer, Immutable]
public struct TargetSetV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public TargetScope Scope;
    [Id(3)] public string ScopeId;
    [Id(4)] public int Period;
    [Id(5)] public TargetMetric Metric;
    [Id(6)] public long MustAchieve;
    [Id(7)] public long Stretch;

    public static TargetSetV1 Of(in TargetSetSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, Scope = s.Scope, ScopeId = s.ScopeId, Period = s.Period, Metric = s.Metric,
        MustAchieve = s.MustAchieve, Stretch = s.Stretch,
    };
}

/// <summary>Version 1 of <see cref="CustomerRegisteredSurrogate"/>: no key-account flag.</summary>
[GenerateSerializer, Immutable]
public struct CustomerRegisteredV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string CustomerId;
    [Id(3)] public string CustomerName;

    public static CustomerRegisteredV1 Of(in CustomerRegisteredSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, CustomerId = s.CustomerId, CustomerName = s.CustomerName,
    };
}

/// <summary>Version 1 of <see cref="RepJoinedSurrogate"/>: no photo.</summary>
[GenerateSerializer, Immutable]
public struct RepJoinedV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string RepName;
    [Id(4)] public string RegionId;
    [Id(5)] public RepRole Role;
    [Id(6)] public RepStyle Style;

    public static RepJoinedV1 Of(in RepJoinedSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, RepId = s.RepId, RepName = s.RepName, RegionId = s.RegionId, Role = s.Role, Style = s.Style,
    };
}

/// <summary>Version 1 of <see cref="ActivityLoggedSurrogate"/>: no opportunity.</summary>
[GenerateSerializer, Immutable]
public struct ActivityLoggedV1
{
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string CustomerId;
    [Id(4)] public ActivityType Type;
    [Id(5)] public int DurationMinutes;
    [Id(6)] public TimeCategory TimeCategory;

    public static ActivityLoggedV1 Of(in ActivityLoggedSurrogate s) => new()
    {
        EventId = s.EventId, OccurredAt = s.OccurredAt, RepId = s.RepId, CustomerId = s.CustomerId, Type = s.Type,
        DurationMinutes = s.DurationMinutes, TimeCategory = s.TimeCategory,
    };
}
