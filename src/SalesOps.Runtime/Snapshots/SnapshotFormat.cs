using System.Buffers;
using Orleans.Serialization;
using Orleans.Storage;

namespace SalesOps.Runtime;

/// <summary>Reads an older stored version of one kind of snapshot and returns it in today's shape.</summary>
public sealed record SnapshotUpcaster(string Name, int Version, Func<Serializer, ReadOnlyMemory<byte>, object> Read);

/// <summary>
/// The stored format of the grains' snapshots (ADR 0011): the <see cref="StoredHeader"/> naming the snapshot type
/// and its schema version (<see cref="StoredSnapshotAttribute"/>), then the Orleans binary form of the snapshot. A
/// snapshot without the header was written before it existed and is read as version 1 (the shape it had then); an
/// older version by its registered <see cref="SnapshotUpcaster"/>.
/// </summary>
public sealed class SnapshotFormat : IGrainStorageSerializer
{
    private readonly Serializer _serializer;
    private readonly Dictionary<(string Name, int Version), Func<ReadOnlyMemory<byte>, object>> _upcasters = new();

    public SnapshotFormat(Serializer serializer, IEnumerable<SnapshotUpcaster> upcasters)
    {
        _serializer = serializer;
        foreach (var u in upcasters)
        {
            if (!_upcasters.TryAdd((u.Name, u.Version), payload => u.Read(serializer, payload)))
            {
                throw new InvalidOperationException($"Snapshot {u.Name} version {u.Version} already has an upcaster.");
            }
        }
    }

    public BinaryData Serialize<T>(T? input)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        StoredHeader.Write(buffer, Stored<T>.Name, Stored<T>.Version);
        _serializer.Serialize(input, buffer);
        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>Writes <paramref name="payload"/> under any name and version: for tests that store an older shape.</summary>
    public byte[] Write<TPayload>(string name, int version, TPayload payload)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        StoredHeader.Write(buffer, name, version);
        _serializer.Serialize(payload, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var stored = input.ToMemory();
        if (!StoredHeader.IsPresent(stored.Span))
        {
            return _serializer.Deserialize<T>(stored); // written before the header: version 1
        }

        var (name, version, start) = StoredHeader.Read(stored.Span);
        if (name != Stored<T>.Name)
        {
            throw new InvalidDataException($"Stored snapshot is a {name}, not a {Stored<T>.Name}.");
        }

        if (version == Stored<T>.Version)
        {
            return _serializer.Deserialize<T>(stored[start..]);
        }

        return _upcasters.TryGetValue((name, version), out var upcast)
            ? (T)upcast(stored[start..])
            : throw new InvalidDataException($"Snapshot {name} version {version} is not readable by this build (no upcaster for it).");
    }

    /// <summary>The name and schema version a stored snapshot declares (version 1 for one written before the header).</summary>
    public static (string Name, int Version) Describe(ReadOnlySpan<byte> stored)
    {
        if (!StoredHeader.IsPresent(stored))
        {
            return ("", 1);
        }

        var (name, version, _) = StoredHeader.Read(stored);
        return (name, version);
    }

    /// <summary>The stored name and version of <typeparamref name="T"/>, looked up once per type.</summary>
    private static class Stored<T>
    {
        private static readonly StoredSnapshotAttribute? Declared =
            (StoredSnapshotAttribute?)Attribute.GetCustomAttribute(typeof(T), typeof(StoredSnapshotAttribute));

        public static readonly string Name = Declared?.Name ?? typeof(T).Name;

        public static readonly int Version = Declared?.Version ?? 1;
    }

    /// <summary>The name and schema version <typeparamref name="T"/> is written under.</summary>
    public static (string Name, int Version) StoredAs<T>() => (Stored<T>.Name, Stored<T>.Version);
}
