using System.Diagnostics.CodeAnalysis;
using Orleans.Serialization.Cloning;
using SalesOps.Domain;

namespace SalesOps.Abstractions;

// The domain's event records cross grain boundaries and go into the journal as they are; the domain has no Orleans
// reference, so each record has a surrogate here: a struct of plain fields that Orleans serializes in its place
// (EventConverter). A surrogate is also the event's stored schema: its Name and Version head each journal entry
// (docs/adr/0011-typed-events-and-versioned-journal.md). Field ids are the stored format: never renumber them; a
// change of shape gets a new Version and an upcaster for the old one (JournalFormat).

/// <summary>Stored and wire form of <see cref="RegionDefined"/>.</summary>
[GenerateSerializer, Immutable]
public struct RegionDefinedSurrogate
{
    public const string Name = "RegionDefined";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RegionId;
    [Id(3)] public string RegionName;
    [Id(4)] public string ParentRegionId;
}

/// <summary>Stored and wire form of <see cref="RepJoined"/>.</summary>
[GenerateSerializer, Immutable]
public struct RepJoinedSurrogate
{
    public const string Name = "RepJoined";

    /// <summary>2 added <see cref="PhotoUrl"/> (absent, so empty, in version 1).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string RepName;
    [Id(4)] public string RegionId;
    [Id(5)] public RepRole Role;
    [Id(6)] public RepStyle Style;
    [Id(7)] public string? PhotoUrl;
}

/// <summary>Stored and wire form of <see cref="RepMoved"/>.</summary>
[GenerateSerializer, Immutable]
public struct RepMovedSurrogate
{
    public const string Name = "RepMoved";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string RegionId;
}

/// <summary>Stored and wire form of <see cref="RepLeft"/>.</summary>
[GenerateSerializer, Immutable]
public struct RepLeftSurrogate
{
    public const string Name = "RepLeft";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string Reason;
}

/// <summary>Stored and wire form of <see cref="CustomerRegistered"/>.</summary>
[GenerateSerializer, Immutable]
public struct CustomerRegisteredSurrogate
{
    public const string Name = "CustomerRegistered";

    /// <summary>Version 2 added <see cref="KeyAccount"/>; a registration without it is still written as version 1 (<see cref="CustomerRegisteredV1"/>).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string CustomerId;
    [Id(3)] public string CustomerName;

    /// <summary>Absent from version 1 (read as false).</summary>
    [Id(4)] public bool KeyAccount;
}

/// <summary>Stored and wire form of <see cref="CustomerKeyAccountChanged"/>.</summary>
[GenerateSerializer, Immutable]
public struct CustomerKeyAccountChangedSurrogate
{
    public const string Name = "CustomerKeyAccountChanged";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string CustomerId;
    [Id(3)] public bool KeyAccount;
}

/// <summary>Stored and wire form of <see cref="OpportunityOpened"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityOpenedSurrogate
{
    public const string Name = "OpportunityOpened";

    /// <summary>Version 2 added optional fields; an entry without them is still written as version 1 (<see cref="OpportunityOpenedV1"/>).</summary>
    public const int Version = 2;
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
    [Id(10)] public long? Cost;
}

/// <summary>Stored and wire form of <see cref="OpportunityStageChanged"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityStageChangedSurrogate
{
    public const string Name = "OpportunityStageChanged";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public string StageId;
    [Id(4)] public DateOnly? ExpectedClose;
}

/// <summary>Stored and wire form of <see cref="OpportunityAmountChanged"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityAmountChangedSurrogate
{
    public const string Name = "OpportunityAmountChanged";

    /// <summary>Version 2 added optional fields; an entry without them is still written as version 1 (<see cref="OpportunityAmountChangedV1"/>).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public long Amount;
    [Id(4)] public long? Cost;
}

/// <summary>Stored and wire form of <see cref="OpportunityReassigned"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityReassignedSurrogate
{
    public const string Name = "OpportunityReassigned";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public string NewOwnerRepId;
}

/// <summary>Stored and wire form of <see cref="OpportunityWon"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityWonSurrogate
{
    public const string Name = "OpportunityWon";

    /// <summary>Version 2 added optional fields; an entry without them is still written as version 1 (<see cref="OpportunityWonV1"/>).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public long Amount;
    [Id(4)] public long? Cost;
}

/// <summary>Stored and wire form of <see cref="OpportunityLost"/>.</summary>
[GenerateSerializer, Immutable]
public struct OpportunityLostSurrogate
{
    public const string Name = "OpportunityLost";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string OpportunityId;
    [Id(3)] public string Reason;
}

/// <summary>Stored and wire form of <see cref="ActivityLogged"/>.</summary>
[GenerateSerializer, Immutable]
public struct ActivityLoggedSurrogate
{
    public const string Name = "ActivityLogged";

    /// <summary>Version 2 added <see cref="OpportunityId"/>; an activity without one is still written as version 1 (<see cref="ActivityLoggedV1"/>).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string CustomerId;
    [Id(4)] public ActivityType Type;
    [Id(5)] public int DurationMinutes;
    [Id(6)] public TimeCategory TimeCategory;

    /// <summary>Absent from version 1 (read as none).</summary>
    [Id(7)] public string? OpportunityId;
}

/// <summary>Stored and wire form of <see cref="PaymentReceived"/>.</summary>
[GenerateSerializer, Immutable]
public struct PaymentReceivedSurrogate
{
    public const string Name = "PaymentReceived";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public string RepId;
    [Id(3)] public string CustomerId;
    [Id(4)] public long Amount;
}

/// <summary>Stored and wire form of <see cref="TargetSet"/>.</summary>
[GenerateSerializer, Immutable]
public struct TargetSetSurrogate
{
    public const string Name = "TargetSet";

    /// <summary>Version 2 added optional fields; an entry without them is still written as version 1 (<see cref="TargetSetV1"/>).</summary>
    public const int Version = 2;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public TargetScope Scope;
    [Id(3)] public string ScopeId;
    [Id(4)] public int Period;
    [Id(5)] public TargetMetric Metric;
    [Id(6)] public long MustAchieve;
    [Id(7)] public long Stretch;
    [Id(8)] public DimensionKind DimensionKind;
    [Id(9)] public string? DimensionValue;
}

/// <summary>Stored and wire form of <see cref="ForecastSubmitted"/>.</summary>
[GenerateSerializer, Immutable]
public struct ForecastSubmittedSurrogate
{
    public const string Name = "ForecastSubmitted";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public TargetScope Scope;
    [Id(3)] public string ScopeId;
    [Id(4)] public int Period;
    [Id(5)] public long Commit;
    [Id(6)] public long BestCase;
    [Id(7)] public string SubmittedBy;
    [Id(8)] public string Note;
}

/// <summary>Stored and wire form of <see cref="PlanningInputsRecorded"/>.</summary>
[GenerateSerializer, Immutable]
public struct PlanningInputsRecordedSurrogate
{
    public const string Name = "PlanningInputsRecorded";
    public const int Version = 1;
    [Id(0)] public string EventId;
    [Id(1)] public DateTimeOffset OccurredAt;
    [Id(2)] public TargetScope Scope;
    [Id(3)] public string ScopeId;
    [Id(4)] public int Year;
    [Id(5)] public TargetMetric Metric;
    [Id(6)] public long? LastYearActual;
    [Id(7)] public long LongTermPlan;
    [Id(8)] public int IndustryGrowthBasisPoints;
    [Id(9)] public long NewGrowthPoints;
}
