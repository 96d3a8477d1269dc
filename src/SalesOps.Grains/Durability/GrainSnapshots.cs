using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains.Durability;

[GenerateSerializer, Alias("salesops.cp.OpportunityBook")]
[StoredSnapshot("OpportunityBookCheckpoint", 1)]
public sealed class OpportunityBookGrainSnapshot : IGrainSnapshot
{
    [Id(0)] public long Sequence { get; set; }

    /// <summary>Each deal's domain snapshot (ADR 0006).</summary>
    [Id(1)] public List<byte[]> Deals { get; set; } = new();
    /// <summary>Credits for the reps, one lane per rep book (keyed by its number).</summary>
    [Id(2)] public List<OutboxLane<RepCredits[]>> Credits { get; set; } = new();
    [Id(3)] public List<OutboxLane<DealOrder>> Orders { get; set; } = new();

    /// <summary>The last activity message applied per rep book (absent from earlier builds' snapshots: none).</summary>
    [Id(4)] public Dictionary<string, long> Inbox { get; set; } = new();

    /// <summary>The activities logged against the book's deals (ADR 0023; absent from earlier builds' snapshots: none).</summary>
    [Id(5)] public List<DealActivityRow> Activities { get; set; } = new();

    public bool HasPendingOutput => Credits.Any(l => l.Pending.Count > 0) || Orders.Any(l => l.Pending.Count > 0);
}

[GenerateSerializer, Alias("salesops.cp.RepBook")]
[StoredSnapshot("RepBookCheckpoint", 1)]
public sealed class RepBookGrainSnapshot : IGrainSnapshot
{
    [Id(0)] public long Sequence { get; set; }

    /// <summary>Each joined rep's domain snapshot (ADR 0006).</summary>
    [Id(1)] public List<byte[]> Reps { get; set; } = new();

    /// <summary>The last credit message applied per opportunity book.</summary>
    [Id(2)] public Dictionary<string, long> Credits { get; set; } = new();

    /// <summary>Roll-ups for the regions, one lane per region for the whole book.</summary>
    [Id(3)] public List<OutboxLane<Rollup>> Rollups { get; set; } = new();
    /// <summary>Touches not yet known to be delivered, as an earlier build kept them (read only: new snapshots use <see cref="Touches"/>).</summary>
    [Id(4)] public List<(string Customer, CustomerTouch Touch)> Customers { get; set; } = new();

    /// <summary>Contacts and payments for customers, one lane per customer.</summary>
    [Id(5)] public List<OutboxLane<CustomerTouch[]>> Touches { get; set; } = new();

    /// <summary>Activities logged against deals, for their deal books, one lane per book (ADR 0023).</summary>
    [Id(6)] public List<OutboxLane<DealTouch[]>> DealTouches { get; set; } = new();

    public bool HasPendingOutput =>
        Rollups.Any(l => l.Pending.Count > 0) || Customers.Count > 0 || Touches.Any(l => l.Pending.Count > 0) || DealTouches.Any(l => l.Pending.Count > 0);
}

[GenerateSerializer, Alias("salesops.cp.Region")]
[StoredSnapshot("RegionCheckpoint", 1)]
public sealed class RegionGrainSnapshot : IGrainSnapshot
{
    [Id(0)] public long Sequence { get; set; }
    [Id(1)] public byte[] Domain { get; set; } = [];
    [Id(2)] public Dictionary<string, long> Inbox { get; set; } = new();
    [Id(3)] public List<OutboxLane<Rollup>> ToParent { get; set; } = new();
    [Id(4)] public Counter[] PendingCounters { get; set; } = [];
    [Id(5)] public List<BoardChange[]> PendingBoards { get; set; } = new();

    public bool HasPendingOutput => ToParent.Any(l => l.Pending.Count > 0) || PendingCounters.Length > 0 || PendingBoards.Count > 0;
}

[GenerateSerializer, Alias("salesops.cp.Customer")]
[StoredSnapshot("CustomerCheckpoint", 1)]
public sealed class CustomerGrainSnapshot : IGrainSnapshot
{
    [Id(0)] public long Sequence { get; set; }
    [Id(1)] public byte[] Domain { get; set; } = [];
    /// <summary>The last message applied per sender: orders from deal books, touches from rep books.</summary>
    [Id(2)] public Dictionary<string, long> Orders { get; set; } = new();

    /// <summary>New-customer credits for the reps, one lane per rep book (absent from checkpoints of earlier builds).</summary>
    [Id(3)] public List<OutboxLane<RepCredits[]>> Credits { get; set; } = new();

    public bool HasPendingOutput => Credits.Any(l => l.Pending.Count > 0);
}
