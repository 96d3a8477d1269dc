using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains.Durability;

/// <summary>Names shared by the grains and the storage wiring.</summary>
public static class StorageNames
{
    /// <summary>The Orleans grain-storage provider that holds grain snapshots (<see cref="SnapshotStorage.Name"/>).</summary>
    public const string Snapshots = SnapshotStorage.Name;

    // Each grain type's snapshot has a state name of its own. The ADO.NET storage keys a row by the grain's key and
    // the state name, not by the grain type, so two types sharing a name share rows between equal keys: region
    // "acme" and customer "acme", rep book 17 and opportunity book 17.

    /// <summary>The state name of a region's snapshot.</summary>
    public const string RegionState = "region";

    /// <summary>The state name of a customer's snapshot.</summary>
    public const string CustomerState = "customer";

    /// <summary>The state name of a rep book's snapshot.</summary>
    public const string RepBookState = "repbook";

    /// <summary>The state name of an opportunity book's snapshot.</summary>
    public const string OpportunityBookState = "oppbook";

    /// <summary>The state name of the office screens' channels.</summary>
    public const string ScreenChannelsState = "screens";
}

/// <summary>
/// The journal stream kind of each durable grain type: the first part of its streams' stored names, and how the
/// recovery sweep wakes one. The names are part of the stored layout and never change.
/// </summary>
public static class StreamKinds
{
    public static readonly JournalStreamKind Region = JournalStreamKind.Keyed<IRegionGrain>("region", g => g.RecoverAsync());

    public static readonly JournalStreamKind Customer = JournalStreamKind.Keyed<ICustomerGrain>("customer", g => g.RecoverAsync());

    public static readonly JournalStreamKind RepBook = JournalStreamKind.Numbered<IRepBookGrain>("repbook", g => g.RecoverAsync());

    public static readonly JournalStreamKind OpportunityBook = JournalStreamKind.Numbered<IOpportunityBookGrain>("oppbook", g => g.RecoverAsync());

    public static readonly IReadOnlyList<JournalStreamKind> All = [Region, Customer, RepBook, OpportunityBook];
}
