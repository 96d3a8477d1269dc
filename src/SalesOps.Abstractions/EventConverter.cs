using System.Diagnostics.CodeAnalysis;
using Orleans.Serialization.Cloning;
using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>
/// Converts every event to and from its surrogate. Orleans finds one converter per event type through the interfaces
/// this class implements; <c>JournalFormat</c>'s event writer converts every event through it, so leaving one out is a
/// compile error there.
/// </summary>
[RegisterConverter]
public sealed class EventConverter :
    IConverter<RegionDefined, RegionDefinedSurrogate>,
    IConverter<RepJoined, RepJoinedSurrogate>,
    IConverter<RepMoved, RepMovedSurrogate>,
    IConverter<RepLeft, RepLeftSurrogate>,
    IConverter<CustomerRegistered, CustomerRegisteredSurrogate>,
    IConverter<CustomerKeyAccountChanged, CustomerKeyAccountChangedSurrogate>,
    IConverter<OpportunityOpened, OpportunityOpenedSurrogate>,
    IConverter<OpportunityStageChanged, OpportunityStageChangedSurrogate>,
    IConverter<OpportunityAmountChanged, OpportunityAmountChangedSurrogate>,
    IConverter<OpportunityReassigned, OpportunityReassignedSurrogate>,
    IConverter<OpportunityWon, OpportunityWonSurrogate>,
    IConverter<OpportunityLost, OpportunityLostSurrogate>,
    IConverter<ActivityLogged, ActivityLoggedSurrogate>,
    IConverter<PaymentReceived, PaymentReceivedSurrogate>,
    IConverter<TargetSet, TargetSetSurrogate>,
    IConverter<ForecastSubmitted, ForecastSubmittedSurrogate>,
    IConverter<PlanningInputsRecorded, PlanningInputsRecordedSurrogate>
{
    public RegionDefined ConvertFromSurrogate(in RegionDefinedSurrogate s) => new(s.EventId, s.OccurredAt, s.RegionId, s.RegionName, s.ParentRegionId);

    public RegionDefinedSurrogate ConvertToSurrogate(in RegionDefined e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RegionId = e.RegionId, RegionName = e.Name, ParentRegionId = e.ParentRegionId,
    };

    public RepJoined ConvertFromSurrogate(in RepJoinedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.RepId, s.RepName, s.RegionId, s.Role, s.Style) { PhotoUrl = s.PhotoUrl ?? "" };

    public RepJoinedSurrogate ConvertToSurrogate(in RepJoined e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RepId = e.RepId, RepName = e.Name, RegionId = e.RegionId, Role = e.Role, Style = e.Style,
        PhotoUrl = e.PhotoUrl.Length == 0 ? null : e.PhotoUrl,
    };

    public RepMoved ConvertFromSurrogate(in RepMovedSurrogate s) => new(s.EventId, s.OccurredAt, s.RepId, s.RegionId);

    public RepMovedSurrogate ConvertToSurrogate(in RepMoved e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RepId = e.RepId, RegionId = e.RegionId,
    };

    public RepLeft ConvertFromSurrogate(in RepLeftSurrogate s) => new(s.EventId, s.OccurredAt, s.RepId, s.Reason ?? "");

    public RepLeftSurrogate ConvertToSurrogate(in RepLeft e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RepId = e.RepId, Reason = e.Reason,
    };

    public CustomerRegistered ConvertFromSurrogate(in CustomerRegisteredSurrogate s) => new(s.EventId, s.OccurredAt, s.CustomerId, s.CustomerName, s.KeyAccount);

    public CustomerRegisteredSurrogate ConvertToSurrogate(in CustomerRegistered e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, CustomerId = e.CustomerId, CustomerName = e.Name, KeyAccount = e.KeyAccount,
    };

    public CustomerKeyAccountChanged ConvertFromSurrogate(in CustomerKeyAccountChangedSurrogate s) => new(s.EventId, s.OccurredAt, s.CustomerId, s.KeyAccount);

    public CustomerKeyAccountChangedSurrogate ConvertToSurrogate(in CustomerKeyAccountChanged e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, CustomerId = e.CustomerId, KeyAccount = e.KeyAccount,
    };

    public OpportunityOpened ConvertFromSurrogate(in OpportunityOpenedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.OpportunityId, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel, s.ExpectedClose, s.StageId) { Cost = s.Cost };

    public OpportunityOpenedSurrogate ConvertToSurrogate(in OpportunityOpened e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, OwnerRepId = e.OwnerRepId, CustomerId = e.CustomerId,
        Amount = e.Amount, ProductLine = e.ProductLine, Channel = e.Channel, ExpectedClose = e.ExpectedClose, StageId = e.StageId, Cost = e.Cost,
    };

    public OpportunityStageChanged ConvertFromSurrogate(in OpportunityStageChangedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.OpportunityId, s.StageId, s.ExpectedClose);

    public OpportunityStageChangedSurrogate ConvertToSurrogate(in OpportunityStageChanged e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, StageId = e.StageId, ExpectedClose = e.ExpectedClose,
    };

    public OpportunityAmountChanged ConvertFromSurrogate(in OpportunityAmountChangedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.OpportunityId, s.Amount) { Cost = s.Cost };

    public OpportunityAmountChangedSurrogate ConvertToSurrogate(in OpportunityAmountChanged e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, Amount = e.Amount, Cost = e.Cost,
    };

    public OpportunityReassigned ConvertFromSurrogate(in OpportunityReassignedSurrogate s) => new(s.EventId, s.OccurredAt, s.OpportunityId, s.NewOwnerRepId);

    public OpportunityReassignedSurrogate ConvertToSurrogate(in OpportunityReassigned e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, NewOwnerRepId = e.NewOwnerRepId,
    };

    public OpportunityWon ConvertFromSurrogate(in OpportunityWonSurrogate s) => new(s.EventId, s.OccurredAt, s.OpportunityId, s.Amount) { Cost = s.Cost };

    public OpportunityWonSurrogate ConvertToSurrogate(in OpportunityWon e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, Amount = e.Amount, Cost = e.Cost,
    };

    public OpportunityLost ConvertFromSurrogate(in OpportunityLostSurrogate s) => new(s.EventId, s.OccurredAt, s.OpportunityId, s.Reason);

    public OpportunityLostSurrogate ConvertToSurrogate(in OpportunityLost e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, OpportunityId = e.OpportunityId, Reason = e.Reason,
    };

    public ActivityLogged ConvertFromSurrogate(in ActivityLoggedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.RepId, s.CustomerId, s.Type, s.DurationMinutes, s.TimeCategory) { OpportunityId = s.OpportunityId ?? "" };

    public ActivityLoggedSurrogate ConvertToSurrogate(in ActivityLogged e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RepId = e.RepId, CustomerId = e.CustomerId, Type = e.Type,
        DurationMinutes = e.DurationMinutes, TimeCategory = e.TimeCategory, OpportunityId = e.OpportunityId,
    };

    public PaymentReceived ConvertFromSurrogate(in PaymentReceivedSurrogate s) => new(s.EventId, s.OccurredAt, s.RepId, s.CustomerId, s.Amount);

    public PaymentReceivedSurrogate ConvertToSurrogate(in PaymentReceived e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, RepId = e.RepId, CustomerId = e.CustomerId, Amount = e.Amount,
    };

    public TargetSet ConvertFromSurrogate(in TargetSetSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.Scope, s.ScopeId, new Period(s.Period), s.Metric, s.MustAchieve, s.Stretch)
        {
            Dimension = TargetDimension.Of(s.DimensionKind, s.DimensionValue),
        };

    public TargetSetSurrogate ConvertToSurrogate(in TargetSet e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, Scope = e.Scope, ScopeId = e.ScopeId, Period = e.Period.Code, Metric = e.Metric,
        MustAchieve = e.MustAchieve, Stretch = e.Stretch, DimensionKind = e.Dimension.Kind, DimensionValue = e.Dimension.IsNone ? null : e.Dimension.Value,
    };

    public ForecastSubmitted ConvertFromSurrogate(in ForecastSubmittedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.Scope, s.ScopeId, new Period(s.Period), s.Commit, s.BestCase, s.SubmittedBy ?? "", s.Note ?? "");

    public ForecastSubmittedSurrogate ConvertToSurrogate(in ForecastSubmitted e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, Scope = e.Scope, ScopeId = e.ScopeId, Period = e.Period.Code, Commit = e.Commit,
        BestCase = e.BestCase, SubmittedBy = e.SubmittedBy, Note = e.Note,
    };

    public PlanningInputsRecorded ConvertFromSurrogate(in PlanningInputsRecordedSurrogate s) =>
        new(s.EventId, s.OccurredAt, s.Scope, s.ScopeId, new Period(s.Year), s.Metric, s.LastYearActual, s.LongTermPlan, s.IndustryGrowthBasisPoints, s.NewGrowthPoints);

    public PlanningInputsRecordedSurrogate ConvertToSurrogate(in PlanningInputsRecorded e) => new()
    {
        EventId = e.EventId, OccurredAt = e.OccurredAt, Scope = e.Scope, ScopeId = e.ScopeId, Year = e.Year.Code, Metric = e.Metric,
        LastYearActual = e.LastYearActual, LongTermPlan = e.LongTermPlan, IndustryGrowthBasisPoints = e.IndustryGrowthBasisPoints,
        NewGrowthPoints = e.NewGrowthPoints,
    };
}

/// <summary>
/// Events are immutable records, so a call within a silo passes them on as they are instead of converting each to its
/// surrogate and back (what Orleans does for a surrogated type it must copy). Registered for the base type (arrays of
/// events, and any event type not listed) and for every event type a grain method takes as such.
/// </summary>
[RegisterCopier]
public sealed class EventCopier :
    IDeepCopier<SalesEvent>, IDerivedTypeCopier, IOptionalDeepCopier,
    IDeepCopier<RegionDefined>,
    IDeepCopier<CustomerRegistered>,
    IDeepCopier<CustomerKeyAccountChanged>,
    IDeepCopier<TargetSet>,
    IDeepCopier<ForecastSubmitted>,
    IDeepCopier<PlanningInputsRecorded>
{
    public bool IsShallowCopyable() => true;

    [return: NotNullIfNotNull(nameof(input))]
    public SalesEvent? DeepCopy(SalesEvent? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public RegionDefined? DeepCopy(RegionDefined? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public CustomerRegistered? DeepCopy(CustomerRegistered? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public CustomerKeyAccountChanged? DeepCopy(CustomerKeyAccountChanged? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public TargetSet? DeepCopy(TargetSet? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public ForecastSubmitted? DeepCopy(ForecastSubmitted? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    public PlanningInputsRecorded? DeepCopy(PlanningInputsRecorded? input, CopyContext context) => input;

    [return: NotNullIfNotNull(nameof(input))]
    object? IDeepCopier.DeepCopy(object? input, CopyContext context) => input;
}
