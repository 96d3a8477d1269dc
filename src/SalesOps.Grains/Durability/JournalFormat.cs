using System.Buffers;
using Orleans.Serialization;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains.Durability;

/// <summary>
/// Reads an older stored version of one kind of journal entry and returns it in today's shape. Registered in the
/// service container (every one is added to <see cref="JournalFormat"/>); the payload is what follows the header.
/// </summary>
public sealed record JournalUpcaster(string Name, int Version, Func<Serializer, ReadOnlyMemory<byte>, JournalEntry> Read);

/// <summary>
/// The stored format of journal entries (ADR 0011). Each entry is a <see cref="StoredHeader"/> naming its type and
/// schema version, then the payload: the Orleans binary form of the event's surrogate (<see cref="EventConverter"/>)
/// or of the entry record. An entry of the current version is read by its codec; an older version by the <see cref="JournalUpcaster"/>
/// registered for it; an entry written before headers existed (first byte 0x30, the Orleans field header of the old
/// envelope format) by <see cref="LegacyJournal"/>. A name or version nobody reads fails the replay loudly, never
/// silently.
/// </summary>
public sealed class JournalFormat
{
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly Serializer _serializer;
    private readonly Dictionary<(string Name, int Version), Func<ReadOnlyMemory<byte>, JournalEntry>> _readers = new();
    private readonly EventWriter _events;

    public JournalFormat(Serializer serializer, IEnumerable<JournalUpcaster> upcasters)
    {
        _serializer = serializer;
        _events = new EventWriter(this);
        var c = new EventConverter();
        Event<RegionDefinedSurrogate>(RegionDefinedSurrogate.Name, RegionDefinedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepJoinedSurrogate>(RepJoinedSurrogate.Name, RepJoinedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepMovedSurrogate>(RepMovedSurrogate.Name, RepMovedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepLeftSurrogate>(RepLeftSurrogate.Name, RepLeftSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<CustomerRegisteredSurrogate>(CustomerRegisteredSurrogate.Name, CustomerRegisteredSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityOpenedSurrogate>(OpportunityOpenedSurrogate.Name, OpportunityOpenedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityStageChangedSurrogate>(OpportunityStageChangedSurrogate.Name, OpportunityStageChangedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityAmountChangedSurrogate>(OpportunityAmountChangedSurrogate.Name, OpportunityAmountChangedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityReassignedSurrogate>(OpportunityReassignedSurrogate.Name, OpportunityReassignedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityWonSurrogate>(OpportunityWonSurrogate.Name, OpportunityWonSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityLostSurrogate>(OpportunityLostSurrogate.Name, OpportunityLostSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<ActivityLoggedSurrogate>(ActivityLoggedSurrogate.Name, ActivityLoggedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<PaymentReceivedSurrogate>(PaymentReceivedSurrogate.Name, PaymentReceivedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<TargetSetSurrogate>(TargetSetSurrogate.Name, TargetSetSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Entry<RepCreditsReceived>(RepCreditsReceived.Name, 1);
        Entry<RollupReceived>(RollupReceived.Name, 1);
        Entry<RollupQueued>(RollupQueued.Name, 1);
        Entry<OrderReceived>(OrderReceived.Name, 1);
        Entry<PaymentCounted>(PaymentCounted.Name, 1);
        Entry<ContactReceived>(ContactReceived.Name, 1);
        foreach (var u in upcasters)
        {
            if (!_readers.TryAdd((u.Name, u.Version), payload => u.Read(_serializer, payload)))
            {
                throw new InvalidOperationException($"Journal entry {u.Name} version {u.Version} already has a reader.");
            }
        }
    }

    /// <summary>The (name, version) pairs this build reads, current and upcast.</summary>
    public IEnumerable<(string Name, int Version)> Readable => _readers.Keys;

    /// <summary>Encodes an entry with its header.</summary>
    public byte[] Write(JournalEntry entry) => entry.Write(this);

    /// <summary>Decodes a stored entry of any version this build reads.</summary>
    public JournalEntry Read(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!StoredHeader.IsPresent(stored))
        {
            return LegacyJournal.Read(_serializer, stored);
        }

        var (name, version, payloadStart) = StoredHeader.Read(stored);
        if (!_readers.TryGetValue((name, version), out var read))
        {
            throw new InvalidDataException($"Journal entry {name} version {version} is not readable by this build (no codec or upcaster for it).");
        }

        return read(stored.AsMemory(payloadStart));
    }

    /// <summary>The name and schema version a stored entry declares.</summary>
    public static (string Name, int Version) Describe(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!StoredHeader.IsPresent(stored))
        {
            return ("legacy", 0);
        }

        var (name, version, _) = StoredHeader.Read(stored);
        return (name, version);
    }

    internal byte[] WriteEvent(SalesEvent e) => e.Accept(_events);

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
        _serializer.Serialize(payload, buffer);
        var stored = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null; // a rare large entry (a big roll-up) does not pin its buffer to the thread
        }

        return stored;
    }

    private void Event<TSurrogate>(string name, int version, Func<TSurrogate, SalesEvent> convert)
        where TSurrogate : struct =>
        _readers.Add((name, version), payload => new EventAccepted(convert(_serializer.Deserialize<TSurrogate>(payload))));

    private void Entry<TEntry>(string name, int version)
        where TEntry : JournalEntry =>
        _readers.Add((name, version), payload => _serializer.Deserialize<TEntry>(payload)
            ?? throw new InvalidDataException($"Journal entry {name} version {version} is empty."));

    /// <summary>Every event under its surrogate's name and version: a new event type does not compile until it is here.</summary>
    private sealed class EventWriter(JournalFormat format) : ISalesEventVisitor<byte[]>
    {
        private static readonly EventConverter C = new();

        public byte[] Visit(RegionDefined e) => format.Write(RegionDefinedSurrogate.Name, RegionDefinedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepJoined e) => format.Write(RepJoinedSurrogate.Name, RepJoinedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepMoved e) => format.Write(RepMovedSurrogate.Name, RepMovedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepLeft e) => format.Write(RepLeftSurrogate.Name, RepLeftSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(CustomerRegistered e) => format.Write(CustomerRegisteredSurrogate.Name, CustomerRegisteredSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityOpened e) => format.Write(OpportunityOpenedSurrogate.Name, OpportunityOpenedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityStageChanged e) =>
            format.Write(OpportunityStageChangedSurrogate.Name, OpportunityStageChangedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityAmountChanged e) =>
            format.Write(OpportunityAmountChangedSurrogate.Name, OpportunityAmountChangedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityReassigned e) =>
            format.Write(OpportunityReassignedSurrogate.Name, OpportunityReassignedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityWon e) => format.Write(OpportunityWonSurrogate.Name, OpportunityWonSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityLost e) => format.Write(OpportunityLostSurrogate.Name, OpportunityLostSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(ActivityLogged e) => format.Write(ActivityLoggedSurrogate.Name, ActivityLoggedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(PaymentReceived e) => format.Write(PaymentReceivedSurrogate.Name, PaymentReceivedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(TargetSet e) => format.Write(TargetSetSurrogate.Name, TargetSetSurrogate.Version, C.ConvertToSurrogate(e));
    }
}
