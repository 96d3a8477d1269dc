using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SalesOps.Domain;

/// <summary>
/// The snapshot format of the aggregates (<see cref="OpportunityState"/>, <see cref="RepState"/>,
/// <see cref="RegionState"/>, <see cref="CustomerState"/>): one UTF-8 JSON object per aggregate whose first property
/// is <c>formatVersion</c> and second <c>kind</c>, then every private field as an explicit memento record (Mementos.cs).
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
