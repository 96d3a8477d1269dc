using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SalesOps.Domain;

/// <summary>What every top-level memento starts with.</summary>
internal interface IMemento
{
    int FormatVersion { get; }
    string Kind { get; }
}

/// <summary>A last-writer-wins register. <see cref="EventId"/> is null in a register that never took a value.</summary>
internal sealed record LwwMemento<T>(T Value, DateTimeOffset At, string? EventId, bool HasValue)
{
    public static LwwMemento<T> Of(Lww<T> register) =>
        new(register.Value, register.Stamp.At, register.Stamp.EventId, register.HasValue);

    public Lww<T> ToRegister() => Snapshots.Register(Value, At, EventId, HasValue);
}

/// <summary>
/// One counter of a <see cref="FigureSet"/>: figure, period code, dimensions, value; for a dimension counter also the
/// dimension kind and value (left out of every other counter, and of snapshots written before they existed).
/// </summary>
internal sealed record FigureEntry(
    Figure F,
    int P,
    short A,
    short B,
    long V,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DimensionKind K = DimensionKind.None,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? S = null);

/// <summary>
/// One target of a <see cref="TargetBook"/> with its register stamp; the dimension is left out for a target of the whole
/// metric (and absent from snapshots written before targets had dimensions).
/// </summary>
internal sealed record TargetEntry(
    int Period,
    TargetMetric Metric,
    long MustAchieve,
    long Stretch,
    DateTimeOffset At,
    string? EventId,
    bool HasValue,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DimensionKind DimensionKind = DimensionKind.None,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DimensionValue = null);

/// <summary>The reference variables of one year and metric (<see cref="PlanningInputsBook"/>) with their register's stamp.</summary>
internal sealed record PlanningInputsEntry(
    int Year,
    TargetMetric Metric,
    long? LastYearActual,
    long LongTermPlan,
    int GrowthBasisPoints,
    long NewGrowthPoints,
    DateTimeOffset At,
    string? EventId,
    bool HasValue);

/// <summary>One forecast submission of a <see cref="ForecastBook"/>, in the book's order.</summary>
internal sealed record ForecastEntry(int Period, DateTimeOffset At, string EventId, long Commit, long BestCase, string SubmittedBy, string Note);

/// <summary>A period whose end a rep has been told of, with the cut-off its accuracy is scored at.</summary>
internal sealed record ForecastClosedEntry(int Period, DateTimeOffset Cutoff);

/// <summary>A (period, metric, dimension) target a <see cref="PaceTracker"/> holds as behind pace.</summary>
internal sealed record PaceEntry(
    int Period,
    TargetMetric Metric,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DimensionKind DimensionKind = DimensionKind.None,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DimensionValue = null);

/// <summary>A (period, figure) a <see cref="LastYearTracker"/> holds as behind the same period last year.</summary>
internal sealed record LastYearEntry(int Period, ComparedFigure Figure);

/// <summary>One region membership of a rep, in the order the rep holds them (by stamp).</summary>
internal sealed record MembershipEntry(DateTimeOffset At, string? EventId, string RegionId);

/// <summary>A rep's score on one board.</summary>
internal sealed record ScoreEntry(int Period, LeaderboardMetric Metric, double Score);

/// <summary>
/// One leaderboard of a region: its key, its version and its rows in rank order as three columns: reps (indexes into
/// the region's <see cref="RegionMemento.BoardReps"/>), scores, and movement (0 for none). Columns of plain numbers
/// keep a region of ten thousand reps on twenty boards cheap to write and read.
/// </summary>
internal sealed record BoardMemento(
    int Period,
    LeaderboardMetric Metric,
    long Version,
    int[] Reps,
    [property: JsonConverter(typeof(ExactDoublesConverter))] double[] Scores,
    int[] Movement);

/// <summary>
/// Scores exactly and fast: a whole number of magnitude below 2^53 (bookings, collections, activity counts) is written
/// as a JSON integer, which is several times cheaper to write and parse than a double; any other value as the shortest
/// round-trip double, or as a string when not finite. Negative zero is written as a double to keep its sign.
/// </summary>
internal sealed class ExactDoublesConverter : JsonConverter<double[]>
{
    private const double Exact = 9_007_199_254_740_992d; // 2^53

    public override double[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Expected an array of scores.");
        }

        var values = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            values.Add(reader.TokenType switch
            {
                JsonTokenType.Number when reader.TryGetInt64(out var whole) && (whole != 0 || !IsNegative(ref reader)) => whole,
                JsonTokenType.Number => reader.GetDouble(),
                JsonTokenType.String => double.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new JsonException($"Expected a score, found {reader.TokenType}."),
            });
        }

        return values.ToArray();
    }

    /// <summary>Whether the number token is written with a minus sign ("-0" is negative zero, not the integer 0).</summary>
    private static bool IsNegative(ref Utf8JsonReader reader) =>
        (reader.HasValueSequence ? reader.ValueSequence.FirstSpan[0] : reader.ValueSpan[0]) == (byte)'-';

    public override void Write(Utf8JsonWriter writer, double[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var d in value)
        {
            if (d == Math.Floor(d) && Math.Abs(d) < Exact && !(d == 0 && double.IsNegative(d)))
            {
                writer.WriteNumberValue((long)d);
            }
            else if (double.IsFinite(d))
            {
                writer.WriteNumberValue(d);
            }
            else
            {
                writer.WriteStringValue(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        writer.WriteEndArray();
    }
}

/// <summary>
/// An entity's de-dup window: the ids it remembers and their <c>occurred_at</c> (UTC ticks) in two columns, ordered by
/// date then id, and its horizon (null while nothing was forgotten).
/// </summary>
internal sealed record DedupMemento(long? Horizon, string[] Ids, long[] At);

/// <summary>
/// A customer's order from one opportunity, with the rep credited for it; snapshots written before new customers
/// existed have no <c>owner</c> (read as "": an order nobody is credited with as a new customer).
/// </summary>
internal sealed record OrderEntry(
    long Amount,
    DateTimeOffset WonAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Owner = null);

internal sealed record OpportunityMemento(
    int FormatVersion,
    string Kind,
    string Id,
    bool IsOpened,
    string OpenEventId,
    DateTimeOffset OpenedAt,
    string CustomerId,
    string ProductLine,
    string Channel,
    int ReachedLevel,
    LwwMemento<string?> Owner,
    LwwMemento<long> Amount,
    LwwMemento<DateOnly> ExpectedClose,
    LwwMemento<int> Stage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Seen = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DedupMemento? Dedup = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CloseHistoryMemento? Closes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RiskAlertMemento? RiskAlerts = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LwwMemento<long>? Cost = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PipelineHistoryMemento? History = null) : IMemento;

/// <summary>
/// A deal's push count and the expected-close settings it keeps (<see cref="CloseHistory"/>), in stamp order, as
/// columns; absent in snapshots written before pushes were counted.
/// </summary>
internal sealed record CloseHistoryMemento(int Pushes, DateTimeOffset[] At, string[] EventIds, int[] Months);

/// <summary>The at-risk alerts a deal has raised (absent when none, and in snapshots written before they existed).</summary>
internal sealed record RiskAlertMemento(DateTimeOffset? StalledAt, string? StalledEventId, DateOnly? OverdueFor, bool Slipping);

internal sealed record RepMemento(
    int FormatVersion,
    string Kind,
    string Id,
    string Name,
    RepRole Role,
    RepStyle Style,
    List<MembershipEntry> Memberships,
    DateTimeOffset MaxCreditedAt,
    long BoardSeq,
    List<ScoreEntry> Scores,
    List<FigureEntry> Current,
    List<FigureEntry> Historical,
    List<TargetEntry> Targets,
    List<PaceEntry> Behind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Seen = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DedupMemento? Dedup = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DepartureEntry? Left = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<LastYearEntry>? BehindLastYear = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<ForecastEntry>? Forecasts = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<ForecastClosedEntry>? ForecastsClosed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<int>? BehindPlan = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<CoverageEntry>? Uncovered = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<PlanningInputsEntry>? Inputs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhotoUrl = null) : IMemento;

/// <summary>A target whose bottom-up split is uncovered (the plan-uncovered alert's latch); absent when none and in earlier snapshots.</summary>
internal sealed record CoverageEntry(
    int Period,
    TargetMetric Metric,
    CoverageBasis Basis,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DimensionKind DimensionKind = DimensionKind.None,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DimensionValue = null);

/// <summary>A rep's departure; absent (null) in snapshots of reps with the company and in those written before RepLeft existed.</summary>
internal sealed record DepartureEntry(DateTimeOffset At, DateOnly On, string EventId);

internal sealed record RegionMemento(
    int FormatVersion,
    string Kind,
    string Id,
    bool IsDefined,
    string DefineEventId,
    string Name,
    string ParentId,
    List<FigureEntry> Figures,
    List<TargetEntry> Targets,
    List<PaceEntry> Behind,
    Dictionary<string, long> RepSeq,
    string[] BoardReps,
    List<BoardMemento> Boards,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? SeenTargets = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DedupMemento? TargetDedup = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<LastYearEntry>? BehindLastYear = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<ForecastEntry>? Forecasts = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<int>? BehindPlan = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<CoverageEntry>? Uncovered = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<PlanningInputsEntry>? Inputs = null) : IMemento;

internal sealed record CustomerMemento(
    int FormatVersion,
    string Kind,
    string Id,
    bool IsRegistered,
    string RegisterEventId,
    string Name,
    DateTimeOffset RegisteredAt,
    long LifetimeValue,
    long Collections,
    DateTimeOffset? LastContact,
    Dictionary<string, OrderEntry> Orders,
    string[] Payments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? KeyAccount = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<CustomerActivityEntry>? Activities = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] KeyAccountMemento? KeyAccountChanges = null) : IMemento;
