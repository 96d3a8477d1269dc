namespace SalesOps.Grains.Durability;

/// <summary>Hands each grain its <see cref="GrainJournal"/>; streams are named <c>kind/key</c>.</summary>
public sealed class JournalFactory(IEventJournal store, JournalFormat format)
{
    public GrainJournal For(IGrainBase grain, string kind, string key) => new(grain, store, format, kind + "/" + key);
}
