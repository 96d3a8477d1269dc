namespace SalesOps.Runtime;

/// <summary>Where durable grains keep their snapshots.</summary>
public static class SnapshotStorage
{
    /// <summary>The Orleans grain-storage provider that holds grain snapshots (ADO.NET on PostgreSQL in durable mode).</summary>
    public const string Name = "snapshots";
}
