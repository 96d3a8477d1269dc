using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SalesOps.Runtime;

/// <summary>Registers the runtime's services; a durable store registered before it (<see cref="IEventJournal"/>) wins.</summary>
public static class RuntimeRegistration
{
    /// <summary>
    /// The journal store (memory mode unless one is registered already), the registry of stream kinds the recovery
    /// sweep wakes, and each grain's journal factory for entries of <typeparamref name="TEntry"/> stored by
    /// <typeparamref name="TCodec"/>.
    /// </summary>
    public static IServiceCollection AddDurableRuntime<TEntry, TCodec>(this IServiceCollection services, params JournalStreamKind[] kinds)
        where TCodec : class, IJournalCodec<TEntry>
    {
        services.TryAddSingleton<IEventJournal, NoJournal>();
        services.TryAddSingleton<TCodec>();
        services.TryAddSingleton<IJournalCodec<TEntry>>(sp => sp.GetRequiredService<TCodec>());
        services.TryAddSingleton<JournalFactory<TEntry>>();
        services.TryAddSingleton<JournalStreamKinds>();
        foreach (var kind in kinds)
        {
            services.AddSingleton(kind);
        }

        return services;
    }
}
