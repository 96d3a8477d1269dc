namespace SalesOps.Grains.Durability;

/// <summary>Names shared by the grains and the storage wiring.</summary>
public static class StorageNames
{
    /// <summary>The Orleans grain-storage provider that holds grain snapshots (ADO.NET on PostgreSQL in durable mode).</summary>
    public const string Snapshots = "snapshots";

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
}
