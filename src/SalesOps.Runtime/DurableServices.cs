namespace SalesOps.Runtime;

/// <summary>What every durable grain is given: the journal factory and the runtime's options.</summary>
public sealed class DurableServices<TEntry>(JournalFactory<TEntry> journals, Microsoft.Extensions.Options.IOptions<RuntimeOptions> options)
{
    public JournalFactory<TEntry> Journals { get; } = journals;

    public RuntimeOptions Options { get; } = options.Value;
}
