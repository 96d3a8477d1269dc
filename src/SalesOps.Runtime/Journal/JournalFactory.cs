namespace SalesOps.Runtime;

/// <summary>Hands each grain its <see cref="GrainJournal{TEntry}"/> on the silo's journal store.</summary>
public sealed class JournalFactory<TEntry>(IEventJournal store, IJournalCodec<TEntry> codec)
{
    /// <summary>False in memory mode: nothing is journaled or replayed.</summary>
    public bool IsDurable => store.IsDurable;

    public GrainJournal<TEntry> For(IGrainBase grain, JournalStream stream) => new(grain, store, codec, stream);
}
