namespace SalesOps.Persistence.Tests;

/// <summary>Upper bounds for every await in these tests, so a hang fails fast with a clear message.</summary>
internal static class Limits
{
    /// <summary>Starting a throwaway PostgreSQL (initdb + start).</summary>
    public static readonly TimeSpan ServerStart = TimeSpan.FromSeconds(60);

    /// <summary>A schema migration of a fresh database.</summary>
    public static readonly TimeSpan Migration = TimeSpan.FromSeconds(30);

    /// <summary>One SQL statement or one grain call.</summary>
    public static readonly TimeSpan Call = TimeSpan.FromSeconds(15);

    /// <summary>Deploying or changing the two-silo cluster.</summary>
    public static readonly TimeSpan Cluster = TimeSpan.FromSeconds(60);

    /// <summary>Waiting for the cluster to notice a killed silo and reactivate a grain elsewhere.</summary>
    public static readonly TimeSpan Failover = TimeSpan.FromSeconds(45);
}
