using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using SalesOps.Runtime;

namespace SalesOps.Persistence;

/// <summary>Wires the Orleans ADO.NET providers to PostgreSQL (schema from <see cref="SchemaMigrator"/>).</summary>
public static class PostgresStorage
{
    /// <summary>The ADO.NET invariant of Npgsql. Orleans defaults to SQL Server, so it is always set explicitly.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Uses PostgreSQL for cluster membership, for the <see cref="SnapshotStorage.Name"/> grain storage and for
    /// reminders. The schema must be in place (<see cref="SchemaMigrator.MigrateAsync"/>) before the silo starts:
    /// each provider reads its queries from <c>OrleansQuery</c> at start-up.
    /// </summary>
    /// <remarks>
    /// Snapshots are stored with Orleans' own binary serializer behind a header naming the snapshot type and its
    /// schema version (<see cref="SnapshotFormat"/>, ADR 0011) instead of the provider's default Newtonsoft.Json with
    /// type names: the snapshot types are <c>[GenerateSerializer]</c> classes whose field ids are the stored format
    /// (version tolerant, compact, and independent of type and assembly names, which the JSON default embeds).
    /// </remarks>
    public static ISiloBuilder UsePostgresStorage(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var storage = WithPoolCap(connectionString, StoragePool);
        var small = WithPoolCap(connectionString, MembershipPool);

        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = small;
        });
        silo.Services.TryAddSingleton<SnapshotFormat>();
        silo.AddAdoNetGrainStorage(SnapshotStorage.Name, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
            options.Configure<SnapshotFormat>((o, format) =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = storage;
                o.GrainStorageSerializer = format;
            }));
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = small;
        });
        return silo;
    }

    /// <summary>
    /// The grains' journal on PostgreSQL (group commit, capped pool) and the recovery sweeps that finish work a lost
    /// silo left behind. Register it before <c>AddSalesOpsEngine</c>, which otherwise falls back to memory mode.
    /// </summary>
    public static IServiceCollection AddPostgresJournal(this IServiceCollection services, string connectionString, JournalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton(_ => NpgsqlDataSource.Create(WithPoolCap(connectionString, JournalPool)));
        services.AddSingleton(options ?? new JournalOptions());
        services.AddSingleton<IEventJournal, PostgresJournal>();
        services.AddHostedService<RecoveryTrigger>();
        return services;
    }

    /// <summary>Connections the snapshot storage may hold: every activation reads its snapshot.</summary>
    public const int StoragePool = 20;

    /// <summary>Connections membership and reminders may each hold.</summary>
    public const int MembershipPool = 4;

    /// <summary>Connections the journal may hold (its writers and readers, truncation, the recovery sweep).</summary>
    public const int JournalPool = 10;

    /// <summary>
    /// Caps a connection string's pool. Thousands of grains activating at once (a restart, a burst of new deals)
    /// must queue for a connection, not exceed the server's <c>max_connections</c> (100 by default, shared by every
    /// silo): with these caps a silo holds at most 38.
    /// </summary>
    public static string WithPoolCap(string connectionString, int cap)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.MaxPoolSize = Math.Min(builder.MaxPoolSize, cap);
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        return builder.ConnectionString;
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
