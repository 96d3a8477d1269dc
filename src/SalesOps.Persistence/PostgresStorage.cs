using Orleans.Hosting;
using SalesOps.Grains.Durability;

namespace SalesOps.Persistence;

/// <summary>Wires the Orleans ADO.NET providers to PostgreSQL (schema from <see cref="SchemaMigrator"/>).</summary>
public static class PostgresStorage
{
    /// <summary>The ADO.NET invariant of Npgsql. Orleans defaults to SQL Server, so it is always set explicitly.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Uses PostgreSQL for cluster membership, for the <see cref="StorageNames.Snapshots"/> grain storage and for
    /// reminders. The schema must be in place (<see cref="SchemaMigrator.MigrateAsync"/>) before the silo starts:
    /// each provider reads its queries from <c>OrleansQuery</c> at start-up.
    /// </summary>
    /// <remarks>
    /// The grain storage keeps Orleans' default <c>IGrainStorageSerializer</c>, <c>JsonGrainStorageSerializer</c>
    /// (Newtonsoft.Json with type names): a row holds UTF-8 JSON such as
    /// <c>{"$id":"1","$type":"Namespace.FooState, Assembly","Value":...}</c>. Renaming or moving a state type, or
    /// its assembly, therefore makes existing snapshots unreadable; properties may be added or removed.
    /// </remarks>
    public static ISiloBuilder UsePostgresStorage(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(StorageNames.Snapshots, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        return silo;
    }

    /// <summary>Lets an external Orleans client find the gateways in the PostgreSQL membership table.</summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder client, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        client.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        return client;
    }
}
