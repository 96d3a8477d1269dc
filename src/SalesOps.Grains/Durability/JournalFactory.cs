using Orleans.Serialization;

namespace SalesOps.Grains.Durability;

/// <summary>Hands each grain its <see cref="GrainJournal"/>; streams are named <c>kind/key</c>.</summary>
public sealed class JournalFactory(IEventJournal store, Serializer<JournalEntry> serializer)
{
    public GrainJournal For(IGrainBase grain, string kind, string key) => new(grain, store, serializer, kind + "/" + key);
}
