using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SalesOps.Domain;

/// <summary>
/// The snapshot format of the aggregates (<see cref="OpportunityState"/>, <see cref="RepState"/>,
/// <see cref="RegionState"/>, <see cref="CustomerState"/>): one UTF-8 JSON object per aggregate whose first property
/// is <c>formatVersion</c> and second <c>kind</c>, then every private field as an explicit memento record below.
/// A snapshot is exact: an aggregate restored from it answers every query and reacts to every further event exactly as
/// the original does, down to the enumeration order of its maps.
/// </summary>
/// <remarks>
/// Enumeration order: a hash map that has had removals reuses the freed slots for its next insertions, so two maps
/// with the same content but different histories can enumerate differently later. Where that order is visible (figure
/// sets, a rep's scores, a customer's orders, the pace tracker's behind set), taking a snapshot compacts the original
/// map (clear and re-insert in the same order; no reallocation) so that the original and every copy restored from the
/// snapshot share one layout and stay in step. Maps without removals keep insertion order and need nothing.
/// Changing a memento: bump <see cref="FormatVersion"/> (and keep reading the old version if persisted snapshots
/// must stay loadable; otherwise they are rejected and the grain has to replay its whole journal). See docs/adr/0006.
/// Version 2 replaced the unbounded sets of seen event ids (<c>seen</c>, <c>seenTargets</c>) with a de-dup window
/// (<see cref="DedupMemento"/>); version 1 is still read, its id set put into a window (<see cref="RestoreWindow"/>).
/// </remarks>
internal static class Snapshots
{
    /// <summary>The snapshot format this build writes.</summary>
    public const int FormatVersion = 2;

    /// <summary>The format before de-dup windows: every accepted id, without dates. Still read.</summary>
    public const int SeenSetFormatVersion = 1;

    public const string OpportunityKind = "opportunity";
    public const string RepKind = "rep";
    public const string RegionKind = "region";
    public const string CustomerKind = "customer";

    public static byte[] Write<T>(T memento, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(memento, type);

    /// <summary>Reads a snapshot of <paramref name="kind"/>, checking the leading format version before anything else.</summary>
    public static T Read<T>(byte[] snapshot, string kind, JsonTypeInfo<T> type)
        where T : class, IMemento
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var (version, actualKind) = ReadHeader(snapshot, kind);
        if (version is not (FormatVersion or SeenSetFormatVersion))
        {
            throw new InvalidDataException(
                $"Unsupported {kind} snapshot format version {version}: this build reads versions {SeenSetFormatVersion} "
                + $"and {FormatVersion} only. Rebuild the state from the journal instead.");
        }

        if (actualKind != kind)
        {
            throw new InvalidDataException(actualKind is null
                ? $"Not a {kind} snapshot: \"kind\" must follow the format version."
                : $"This is a snapshot of a {actualKind}, not of a {kind}.");
        }

        T? memento;
        try
        {
            memento = JsonSerializer.Deserialize(snapshot, type);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Corrupt {kind} snapshot (format version {version}): {ex.Message}", ex);
        }

        if (memento is null)
        {
            throw new InvalidDataException($"Corrupt {kind} snapshot (format version {version}): the document is null.");
        }

        return memento;
    }

    /// <summary>The leading <c>formatVersion</c> and, when present right after it, the <c>kind</c>.</summary>
    private static (int Version, string? Kind) ReadHeader(byte[] snapshot, string kind)
    {
        var reader = new Utf8JsonReader(snapshot);
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("formatVersion"u8)
                && reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var version))
            {
                var actualKind = reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("kind"u8)
                    && reader.Read() && reader.TokenType == JsonTokenType.String
                        ? reader.GetString()
                        : null;
                return (version, actualKind);
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Not a {kind} snapshot: it is not JSON ({ex.Message}).", ex);
        }

        throw new InvalidDataException(
            $"Not a {kind} snapshot: it must start with its format version, {{\"formatVersion\":{FormatVersion},\"kind\":\"{kind}\",…}}.");
    }

    /// <summary>
    /// Returns the entries of <paramref name="map"/> in enumeration order and re-inserts them in that order into the
    /// cleared map, leaving the layout a map restored from those entries has (see the remarks on <see cref="Snapshots"/>).
    /// </summary>
    public static KeyValuePair<TKey, TValue>[] Compact<TKey, TValue>(Dictionary<TKey, TValue> map)
        where TKey : notnull
    {
        var entries = map.ToArray();
        map.Clear();
        foreach (var (k, v) in entries)
        {
            map.Add(k, v);
        }

        return entries;
    }

    /// <summary>
    /// A list, or null when it is empty (a field omitted from the snapshot). Trackers compact their sets in
    /// <c>ToMemento</c> even when empty: a set emptied by removals keeps its free slots, which would order later additions
    /// differently from the fresh set a restore starts with (found by the snapshot round-trip test).
    /// </summary>
    public static List<T>? NullIfEmpty<T>(List<T> list) => list.Count == 0 ? null : list;

    /// <inheritdoc cref="Compact{TKey, TValue}(Dictionary{TKey, TValue})"/>
    public static T[] Compact<T>(HashSet<T> set)
    {
        var items = set.ToArray();
        set.Clear();
        foreach (var item in items)
        {
            set.Add(item);
        }

        return items;
    }

    /// <summary>A window as a memento: ids and dates in two columns, ordered (see <see cref="EventIdWindow.Export"/>).</summary>
    public static DedupMemento ToMemento(EventIdWindow window)
    {
        var (ids, horizon) = window.Export();
        return new DedupMemento(
            horizon == long.MinValue ? null : horizon,
            Array.ConvertAll(ids, static p => p.Key),
            Array.ConvertAll(ids, static p => p.Value));
    }

    /// <summary>
    /// The de-dup window of an entity restored from a snapshot of either version. Version 2 carries the window. Version 1
    /// carries every id the entity accepted but not their dates, so each is dated at <paramref name="newestAccepted"/>
    /// (the latest date any event of the entity can have, read from its other fields) and the window is applied: no id
    /// is forgotten before its true date would have been, and when they go, they go together and every event dated at or
    /// before that date is refused. Never counted twice; at worst an early refusal, once, after an upgrade.
    /// </summary>
    public static EventIdWindow RestoreWindow(
        DedupWindow settings, IMemento m, DedupMemento? window, string[]? seen, DateTimeOffset newestAccepted)
    {
        var restored = new EventIdWindow(settings);
        if (m.FormatVersion == SeenSetFormatVersion)
        {
            if (seen is null)
            {
                throw new InvalidDataException($"Corrupt {m.Kind} snapshot (format version {SeenSetFormatVersion}): its seen event ids are missing.");
            }

            foreach (var id in seen)
            {
                restored.Add(id, newestAccepted);
            }

            return restored;
        }

        if (window is null || window.Ids.Length != window.At.Length)
        {
            throw new InvalidDataException($"Corrupt {m.Kind} snapshot (format version {m.FormatVersion}): its de-dup window is missing or its columns differ in length.");
        }

        restored.Import(window.Ids.Zip(window.At, KeyValuePair.Create), window.Horizon ?? long.MinValue);
        return restored;
    }

    /// <summary>Restores a register as it was, stamp and <see cref="Lww{T}.HasValue"/> included.</summary>
    public static Lww<T> Register<T>(T value, DateTimeOffset at, string? eventId, bool hasValue) =>
        new() { Value = value, Stamp = new EventStamp(at, eventId!), HasValue = hasValue };
}

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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<PlanningInputsEntry>? Inputs = null) : IMemento;

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

/// <summary>Source-generated (reflection-free) JSON metadata for the mementos.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(OpportunityMemento))]
[JsonSerializable(typeof(RepMemento))]
[JsonSerializable(typeof(RegionMemento))]
[JsonSerializable(typeof(CustomerMemento))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
