using System.Reflection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace SalesOps.TestSupport;

/// <summary>Helpers for in-process Orleans test clusters that use the real (PostgreSQL) membership.</summary>
public static class InProcessClusters
{
    /// <summary>
    /// Turns off the in-memory membership table, gateway list and grain directory that the in-process test cluster
    /// installs by default (after our silo configuration, so they would win), leaving membership to the ADO.NET
    /// provider and the directory to Orleans' own. In 10.4.2 the switch is internal, hence reflection.
    /// </summary>
    public static void UseRealMembership(InProcessTestClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Switch = "UseTestClusterMembership";
        var property = typeof(InProcessTestClusterOptions).GetProperty(Switch, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException(
                $"{nameof(InProcessTestClusterOptions)}.{Switch} no longer exists in this Orleans.TestingHost; find the new way to disable the test membership table.");
        property.SetValue(options, false);
    }

    /// <summary>Notices a killed silo within seconds, and heartbeats often enough to see it in the membership table.</summary>
    public static ISiloBuilder DetectFailuresFast(this ISiloBuilder silo) =>
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        });
}
