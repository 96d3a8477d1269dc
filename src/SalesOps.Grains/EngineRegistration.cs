using Orleans.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>Registers what the grains need; used by the server host and by test silos alike.</summary>
public static class EngineRegistration
{
    /// <summary>
    /// Engine options (section <c>Engine</c> when a configuration is given), the derived <see cref="EngineSettings"/>,
    /// the engine clock (system time unless one is registered already), and the event ingestor.
    /// </summary>
    public static IServiceCollection AddSalesOpsEngine(this IServiceCollection services, IConfiguration? configuration = null, Action<EngineOptions>? configure = null)
    {
        var options = services.AddOptions<EngineOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(EngineOptions.Section));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<EngineOptions>>().Value.ToSettings());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new EngineClock(TimeProvider.System));
        services.TryAddSingleton<GrainRefs>();
        services.TryAddSingleton<RollupCarrier>();
        services.TryAddSingleton<CreditCarrier>();
        services.TryAddSingleton<KnownEntities>();
        services.TryAddSingleton(sp => new BookCalls(sp.GetRequiredService<GrainRefs>(), sp.GetRequiredService<IEventJournal>().IsDurable));
        services.TryAddSingleton<EventIngestor>();
        services.TryAddSingleton<OrphanedDeals>();
        services.TryAddSingleton<AtRiskDeals>();
        services.AddDurableRuntime<JournalEntry, JournalFormat>([.. StreamKinds.All]);
        services.AddOptions<RuntimeOptions>().Configure<IOptions<EngineOptions>>((runtime, engine) =>
        {
            runtime.SnapshotEvery = engine.Value.SnapshotEvery;
            runtime.MaxUndelivered = engine.Value.MaxUndeliveredMessages;
        });
        return services;
    }

    /// <summary>
    /// In-memory mode keeps grain state only in activations, so activations must not be collected when idle.
    /// </summary>
    /// <remarks>The snapshot storage the grains declare is registered as memory storage and never written.</remarks>
    public static ISiloBuilder KeepStateInMemory(this ISiloBuilder silo) =>
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromDays(3650))
            .AddMemoryGrainStorage(StorageNames.Snapshots);
}
