using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using SalesOps.Runtime;

namespace SalesOps.Persistence;

/// <summary>Wires the embedded store: one server, its state in a SQLite file under a data folder.</summary>
public static class SqliteStorage
{
    /// <summary>
    /// The <see cref="SnapshotStorage.Name"/> grain storage in the store, and reminders in memory: a single server
    /// re-arms them when it starts (its recovery sweep runs at start-up), so they need no table.
    /// </summary>
    public static ISiloBuilder UseSqliteStorage(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.TryAddSingleton<SnapshotFormat>();
        silo.Services.AddGrainStorage(SnapshotStorage.Name, static (sp, _) =>
            new SqliteSnapshots(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<SnapshotFormat>()));
        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>
    /// The store in <paramref name="folder"/> (opened and locked when first needed; resolve <see cref="SqliteDatabase"/>
    /// at start-up to fail early), the grains' journal in it and the recovery sweeps.
    /// </summary>
    public static IServiceCollection AddSqliteJournal(this IServiceCollection services, string folder)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        services.AddSingleton(sp => SqliteDatabase.Open(folder, sp.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteDatabase>()));
        services.AddSingleton<IEventJournal, SqliteJournal>();
        services.AddSingleton<SqliteAccess>();
        services.AddHostedService<RecoveryTrigger>();
        return services;
    }
}
