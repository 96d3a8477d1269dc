using System.Buffers;
using Orleans.Serialization;

namespace SalesOps.Runtime;

/// <summary>
/// Reads an older stored version of one kind of journal entry and returns it in today's shape. Registered in the
/// service container (every one is added to the silo's codec); the payload is what follows the header.
/// </summary>
public sealed record JournalUpcaster<TEntry>(string Name, int Version, Func<Serializer, ReadOnlyMemory<byte>, TEntry> Read);

/// <summary>
/// The stored format of journal entries (ADR 0011), without knowing what they are: each entry is a
/// <see cref="StoredHeader"/> naming its type and schema version, then its payload in Orleans binary. A stored entry is
/// read by the reader registered for its (name, version) — the current version's codec, or a
/// <see cref="JournalUpcaster{TEntry}"/> for an older one — and an entry without a header by
/// <see cref="ReadHeaderless"/>. A name or version nobody reads fails the replay loudly, never silently.
/// </summary>
public abstract class JournalCodec<TEntry> : IJournalCodec<TEntry>
{
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly Dictionary<(string Name, int Version), Func<ReadOnlyMemory<byte>, TEntry>> _readers = new();

    protected JournalCodec(Serializer serializer) => Serializer = serializer;

    protected Serializer Serializer { get; }

    /// <summary>The (name, version) pairs this build reads, current and upcast.</summary>
    public IEnumerable<(string Name, int Version)> Readable => _readers.Keys;

    /// <summary>Encodes an entry with its header (<see cref="Write{T}"/>).</summary>
    public abstract byte[] Write(TEntry entry);

    /// <summary>Decodes a stored entry of any version this build reads.</summary>
    public TEntry Read(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!StoredHeader.IsPresent(stored))
        {
            return ReadHeaderless(stored);
        }

        var (name, version, payloadStart) = StoredHeader.Read(stored);
        if (!_readers.TryGetValue((name, version), out var read))
        {
            throw new InvalidDataException($"Journal entry {name} version {version} is not readable by this build (no codec or upcaster for it).");
        }

        return read(stored.AsMemory(payloadStart));
    }

    /// <summary>
    /// Header, then the Orleans binary form of <paramref name="payload"/> (a sealed type: no type name is written).
    /// Public so that a test can store an older version the way a previous build did.
    /// </summary>
    public byte[] Write<T>(string name, int version, T payload)
    {
        // One buffer per thread, reused: an entry is written within a grain's turn, without awaiting in between.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        StoredHeader.Write(buffer, name, version);
        Serializer.Serialize(payload, buffer);
        var stored = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null; // a rare large entry (a big roll-up) does not pin its buffer to the thread
        }

        return stored;
    }

    /// <summary>Reads an entry written before entries had a header; throws if the format never had such entries.</summary>
    protected abstract TEntry ReadHeaderless(byte[] stored);

    /// <summary>Registers the reader of one (name, version).</summary>
    protected void AddReader(string name, int version, Func<ReadOnlyMemory<byte>, TEntry> read)
    {
        if (!_readers.TryAdd((name, version), read))
        {
            throw new InvalidOperationException($"Journal entry {name} version {version} already has a reader.");
        }
    }

    /// <summary>Registers an entry type stored as itself (its Orleans binary form) under <paramref name="name"/>.</summary>
    protected void AddEntry<T>(string name, int version)
        where T : TEntry =>
        AddReader(name, version, payload => Serializer.Deserialize<T>(payload)
            ?? throw new InvalidDataException($"Journal entry {name} version {version} is empty."));

    /// <summary>Registers the upcasters of older versions.</summary>
    protected void AddUpcasters(IEnumerable<JournalUpcaster<TEntry>> upcasters)
    {
        ArgumentNullException.ThrowIfNull(upcasters);
        foreach (var u in upcasters)
        {
            AddReader(u.Name, u.Version, payload => u.Read(Serializer, payload));
        }
    }
}
