using SalesOps.Domain;

namespace SalesOps.Abstractions;

/// <summary>What became of one event (a domain <see cref="Outcome"/> on the wire).</summary>
[GenerateSerializer, Immutable, Alias("salesops.EventOutcome")]
public sealed record EventOutcome([property: Id(0)] byte Code, [property: Id(1)] string Field, [property: Id(2)] string Message)
{
    public static readonly EventOutcome Accepted = From(Outcome.Accepted);

    public OutcomeCode OutcomeCode => (OutcomeCode)Code;
    public bool IsAccepted => OutcomeCode == OutcomeCode.Accepted;

    public static EventOutcome From(Outcome o) => new((byte)o.Code, o.Field, o.Message);

    public Outcome ToOutcome() => new(OutcomeCode, Field, Message);
}

[GenerateSerializer, Immutable, Alias("salesops.Target")]
public readonly record struct TargetRow(
    [property: Id(0)] int Period,
    [property: Id(1)] byte Metric,
    [property: Id(2)] long MustAchieve,
    [property: Id(3)] long Stretch,
    [property: Id(4)] byte DimensionKind = 0,
    [property: Id(5)] string? DimensionValue = null)
{
    public TargetKey Key => new(new Period(Period), (TargetMetric)Metric, TargetDimension.Of((DimensionKind)DimensionKind, DimensionValue));

    public static TargetRow[] From(TargetBook book) =>
        book.All.Select(t => new TargetRow(
            t.Key.Period.Code, (byte)t.Key.Metric, t.Levels.MustAchieve, t.Levels.Stretch, (byte)t.Key.Dimension.Kind,
            t.Key.Dimension.IsNone ? null : t.Key.Dimension.Value)).ToArray();

    public static TargetBook ToBook(IEnumerable<TargetRow> rows)
    {
        var book = new TargetBook();
        foreach (var r in rows)
        {
            book.Put(r.Key, new TargetLevels(r.MustAchieve, r.Stretch), default);
        }

        return book;
    }
}

/// <summary>One forecast submission of a rep or region, as a grain answers it.</summary>
[GenerateSerializer, Immutable, Alias("salesops.ForecastRow")]
public sealed record ForecastRow(
    [property: Id(0)] int Period,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string EventId,
    [property: Id(3)] long Commit,
    [property: Id(4)] long BestCase,
    [property: Id(5)] string SubmittedBy,
    [property: Id(6)] string Note)
{
    public static ForecastRow[] From(ForecastBook book) =>
        book.Periods.SelectMany(p => book.Of(p).Select(s => new ForecastRow(p.Code, s.At, s.EventId, s.Commit, s.BestCase, s.SubmittedBy, s.Note))).ToArray();

    public static ForecastBook ToBook(ForecastRow[] rows)
    {
        var book = new ForecastBook();
        foreach (var r in rows)
        {
            book.Put(new Period(r.Period), new ForecastSubmission(r.At, r.EventId, r.Commit, r.BestCase, r.SubmittedBy, r.Note));
        }

        return book;
    }
}

/// <summary>The reference variables of one year and metric, as a grain answers them.</summary>
[GenerateSerializer, Immutable, Alias("salesops.PlanningInputsRow")]
public readonly record struct PlanningInputsRow(
    [property: Id(0)] int Year,
    [property: Id(1)] byte Metric,
    [property: Id(2)] long? LastYearActual,
    [property: Id(3)] long LongTermPlan,
    [property: Id(4)] int IndustryGrowthBasisPoints,
    [property: Id(5)] long NewGrowthPoints)
{
    public static PlanningInputsRow[] From(PlanningInputsBook book) =>
        book.All.Select(i => new PlanningInputsRow(i.Year.Code, (byte)i.Metric, i.Inputs.LastYearActual, i.Inputs.LongTermPlan, i.Inputs.IndustryGrowthBasisPoints, i.Inputs.NewGrowthPoints)).ToArray();

    public static PlanningInputsBook ToBook(IEnumerable<PlanningInputsRow> rows)
    {
        var book = new PlanningInputsBook();
        foreach (var r in rows)
        {
            book.Put(new Period(r.Year), (TargetMetric)r.Metric, new PlanningInputs(r.LastYearActual, r.LongTermPlan, r.IndustryGrowthBasisPoints, r.NewGrowthPoints));
        }

        return book;
    }
}

[GenerateSerializer, Immutable, Alias("salesops.RepSnapshot")]
public sealed record RepSnapshot(
    [property: Id(0)] string RepId,
    [property: Id(1)] bool Joined,
    [property: Id(2)] string Name,
    [property: Id(3)] string RegionId,
    [property: Id(4)] byte Role,
    [property: Id(5)] byte Style,
    [property: Id(6)] Counter[] Counters,
    [property: Id(7)] TargetRow[] Targets,
    [property: Id(8)] ForecastRow[] Forecasts)
{
    /// <summary>The reference variables the rep's year targets were recorded with.</summary>
    [Id(9)]
    public PlanningInputsRow[] Inputs { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("salesops.RegionSnapshot")]
public sealed record RegionSnapshot(
    [property: Id(0)] string RegionId,
    [property: Id(1)] bool Defined,
    [property: Id(2)] string Name,
    [property: Id(3)] string ParentId,
    [property: Id(4)] Counter[] Counters,
    [property: Id(5)] TargetRow[] Targets,
    [property: Id(6)] ForecastRow[] Forecasts)
{
    /// <summary>The reference variables the region's year targets were recorded with.</summary>
    [Id(7)]
    public PlanningInputsRow[] Inputs { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("salesops.CustomerSnapshot")]
public sealed record CustomerSnapshot(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] bool Registered,
    [property: Id(2)] string Name,
    [property: Id(3)] int Orders,
    [property: Id(4)] long LifetimeValue,
    [property: Id(5)] long Collections,
    [property: Id(6)] DateTimeOffset? LastOrder,
    [property: Id(7)] DateTimeOffset? LastContact);

[GenerateSerializer, Immutable, Alias("salesops.OpportunitySnapshot")]
public sealed record OpportunitySnapshot(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] bool Opened,
    [property: Id(2)] string OwnerRepId,
    [property: Id(3)] string CustomerId,
    [property: Id(4)] long Amount,
    [property: Id(5)] string ProductLine,
    [property: Id(6)] string Channel,
    [property: Id(7)] int ExpectedCloseDay,
    [property: Id(8)] int StageIndex,
    [property: Id(9)] DateTimeOffset OpenedAt,
    [property: Id(10)] DateTimeOffset StageChangedAt);

[GenerateSerializer, Immutable, Alias("salesops.Order")]
public readonly record struct OrderRow([property: Id(0)] long Amount, [property: Id(1)] DateTimeOffset WonAt)
{
    public static OrderRow From(CustomerOrder o) => new(o.Amount, o.WonAt);

    /// <summary>The order as the customer keeps it, credited to <paramref name="ownerRepId"/> ("" for nobody).</summary>
    public CustomerOrder ToDomain(string ownerRepId) => new(Amount, WonAt, ownerRepId);
}

[GenerateSerializer, Immutable, Alias("salesops.BoardRow")]
public readonly record struct BoardRow([property: Id(0)] int Rank, [property: Id(1)] string RepId, [property: Id(2)] double Score, [property: Id(3)] int Movement)
{
    public static BoardRow From(RankedEntry e) => new(e.Rank, e.RepId, e.Score, e.Movement);
}

/// <summary>What a screen shows for a rep: the display name and current region (empty for a rep not joined).</summary>
[GenerateSerializer, Immutable, Alias("salesops.RepProfile")]
public readonly record struct RepProfile([property: Id(0)] string RepId, [property: Id(1)] string Name, [property: Id(2)] string RegionId)
{
    /// <summary>The rep's photo URL; null or empty for none.</summary>
    [Id(3)]
    public string? PhotoUrl { get; init; }
}

/// <summary>A rep who left the company: who, the region they were in, and the accepted <c>RepLeft</c>.</summary>
/// <param name="LeftOnDay">The leave's local date in the company calendar, as <see cref="DateOnly.DayNumber"/>.</param>
[GenerateSerializer, Immutable, Alias("salesops.RepDeparture")]
public sealed record RepDeparture(
    [property: Id(0)] string RepId,
    [property: Id(1)] string Name,
    [property: Id(2)] string RegionId,
    [property: Id(3)] DateTimeOffset LeftAt,
    [property: Id(4)] int LeftOnDay,
    [property: Id(5)] string EventId)
{
    public static RepDeparture Of(RepState rep, Departure left) =>
        new(rep.Id, rep.Name, rep.RegionId, left.At, left.On.DayNumber, left.EventId);

    public Departure ToDomain() => new(LeftAt, DateOnly.FromDayNumber(LeftOnDay), EventId);
}

/// <summary>An open deal as the orphaned-deals list shows it (its owner has left the company).</summary>
[GenerateSerializer, Immutable, Alias("salesops.OpenDeal")]
public sealed record OpenDeal(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] long Amount,
    [property: Id(3)] int StageIndex,
    [property: Id(4)] string OwnerRepId);

/// <summary>An open deal at risk at one instant, with its figures (<see cref="Domain.DealRisk"/>).</summary>
[GenerateSerializer, Immutable, Alias("salesops.AtRiskDeal")]
public sealed record AtRiskDeal(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] long Amount,
    [property: Id(3)] int StageIndex,
    [property: Id(4)] string OwnerRepId,
    [property: Id(5)] DateTimeOffset StageChangedAt,
    [property: Id(6)] int DaysInStage,
    [property: Id(7)] int StallDays,
    [property: Id(8)] int ExpectedCloseDay,
    [property: Id(9)] int DaysOverdue,
    [property: Id(10)] int Pushes,
    [property: Id(11)] byte Conditions);

/// <summary>A leaderboard's top rows (and optionally the rows around one rep) at a version.</summary>
[GenerateSerializer, Immutable, Alias("salesops.BoardSnapshot")]
public sealed record BoardSnapshot(
    [property: Id(0)] string RegionId,
    [property: Id(1)] int Period,
    [property: Id(2)] byte Metric,
    [property: Id(3)] long Version,
    [property: Id(4)] int Total,
    [property: Id(5)] BoardRow[] Top,
    [property: Id(6)] BoardRow[] Around)
{
    public BoardKey Key => new(new Period(Period), (LeaderboardMetric)Metric);

    /// <summary>
    /// When the earliest event behind this push's changes was accepted (wall-clock UTC ticks), for the push-latency
    /// metric; 0 for a push that carries no new change (a lease renewal's re-push, a read).
    /// </summary>
    [Id(7)]
    public long AcceptedAt { get; init; }
}
