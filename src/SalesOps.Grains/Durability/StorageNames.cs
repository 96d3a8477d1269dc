namespace SalesOps.Grains.Durability;

/// <summary>Names shared by the grains and the storage wiring.</summary>
public static class StorageNames
{
    /// <summary>The Orleans grain-storage provider that holds grain snapshots (ADO.NET on PostgreSQL in durable mode).</summary>
    public const string Snapshots = "snapshots";
}
