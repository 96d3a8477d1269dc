using System.Text;
using Microsoft.Extensions.Logging;
using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>One received value of the journal probe, as it is journaled.</summary>
public sealed record ProbeEntry(string Sender, long Sequence, string Value);

/// <summary>Stores a probe entry as three lines.</summary>
public sealed class ProbeEntryCodec : IJournalCodec<ProbeEntry>
{
    public byte[] Write(ProbeEntry entry) => Encoding.UTF8.GetBytes($"{entry.Sender}\n{entry.Sequence}\n{entry.Value}");

    public ProbeEntry Read(byte[] stored)
    {
        var parts = Encoding.UTF8.GetString(stored).Split('\n', 3);
        return new ProbeEntry(parts[0], long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]);
    }
}

/// <summary>The probe's snapshot: every entry it applied.</summary>
[GenerateSerializer]
public sealed class JournalProbeSnapshot : IGrainSnapshot
{
    [Id(0)]
    public long Sequence { get; set; }

    [Id(1)]
    public List<string> Entries { get; set; } = [];

    public bool HasPendingOutput => false;
}

/// <summary>What the probe holds in memory, and which activation holds it.</summary>
[GenerateSerializer]
public sealed record JournalProbeView([property: Id(0)] string[] Values, [property: Id(1)] string[] Queued, [property: Id(2)] Guid Activation);

/// <summary>A message of a lane the probe receives: its sender, its number and its value.</summary>
[GenerateSerializer]
public sealed record ProbeMessage([property: Id(0)] string Sender, [property: Id(1)] long Sequence, [property: Id(2)] string Value);

/// <summary>
/// A durable grain on the runtime's own base (<see cref="DurableGrain{TEntry,TSnapshot}"/>) whose apply can be made to
/// throw part-way through a call: a value <c>poison</c> throws when applied, and <c>poison-queue</c> is applied and
/// committed but throws when its effect is queued, the first time only.
/// </summary>
public interface IJournalProbeGrain : IGrainWithStringKey
{
    Task ReceiveAsync(ProbeMessage message);

    Task<int[]> ReceiveAllAsync(ProbeMessage[] messages);

    Task<JournalProbeView> GetAsync();
}

public sealed class JournalProbeGrain(
    DurableServices<ProbeEntry> services,
    [PersistentState("journal-probe", SnapshotStorage.Name)] IPersistentState<JournalProbeSnapshot> storage,
    ILogger<JournalProbeGrain> logger) : DurableGrain<ProbeEntry, JournalProbeSnapshot>(services, storage, logger), IJournalProbeGrain
{
    public static readonly JournalStreamKind Kind = JournalStreamKind.Keyed<IJournalProbeGrain>("journalprobe", g => g.GetAsync());

    /// <summary>Keys whose <c>poison-queue</c> has thrown once already.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> QueueThrew = new();

    private readonly Guid _activation = Guid.NewGuid();
    private readonly List<ProbeEntry> _entries = [];
    private readonly List<string> _queued = [];

    protected override JournalStream Stream => Kind.Of(this.GetPrimaryKeyString());

    public Task ReceiveAsync(ProbeMessage message) =>
        ReceiveAsync(message.Sender, message.Sequence, () => Apply(message));

    public Task<int[]> ReceiveAllAsync(ProbeMessage[] messages) =>
        ReceiveAllAsync(messages, m => (m.Sender, m.Sequence), Apply);

    public Task<JournalProbeView> GetAsync()
    {
        Journal.EnsureUsable();
        return Task.FromResult(new JournalProbeView([.. _entries.Select(e => e.Value)], [.. _queued], _activation));
    }

    private (ProbeEntry Entry, Action Queue) Apply(ProbeMessage message)
    {
        var entry = new ProbeEntry(message.Sender, message.Sequence, message.Value);
        Add(entry);
        if (message.Value == "poison")
        {
            throw new InvalidOperationException("the probe's poison value, applied part-way through a call");
        }

        return (entry, () => Queue(entry));
    }

    private void Add(ProbeEntry entry)
    {
        _entries.Add(entry);
        Inbox.Applied(entry.Sender, entry.Sequence);
    }

    private void Queue(ProbeEntry entry)
    {
        if (entry.Value == "poison-queue" && QueueThrew.TryAdd(this.GetPrimaryKeyString(), true))
        {
            throw new InvalidOperationException("the probe's poison value, thrown while its effect is queued");
        }

        _queued.Add(entry.Value);
    }

    protected override void Restore(JournalProbeSnapshot snapshot)
    {
        foreach (var stored in snapshot.Entries)
        {
            Add(new ProbeEntryCodec().Read(Encoding.UTF8.GetBytes(stored)));
        }
    }

    protected override void Replay(ProbeEntry entry)
    {
        Add(entry);
        Queue(entry);
    }

    protected override JournalProbeSnapshot Capture() => new()
    {
        Sequence = Journal.Sequence,
        Entries = [.. _entries.Select(e => Encoding.UTF8.GetString(new ProbeEntryCodec().Write(e)))],
    };
}
