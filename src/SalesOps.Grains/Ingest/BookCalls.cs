using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Ingest's calls to the deal and rep books. In durable mode concurrent ingest calls' events for one book are merged
/// into one grain call (<see cref="CallMerger{TKey, TItem, TResult}"/>), so the book commits them in one journal write
/// instead of one per ingest call; each ingest call is still answered only once its events are committed. Memory mode
/// calls the book directly: there a call costs no commit.
/// </summary>
public sealed class BookCalls
{
    private readonly GrainRefs _grains;
    private readonly CallMerger<(EntityKind Kind, long Book), SalesEvent, EventOutcome>? _merger;

    /// <param name="grains">Where the books are.</param>
    /// <param name="merge">Merge concurrent calls to one book: durable mode.</param>
    public BookCalls(GrainRefs grains, bool merge)
    {
        _grains = grains;
        if (merge)
        {
            _merger = new((book, events) => Call(grains, book.Kind, book.Book, events), e => EventRouting.Target(e).Id);
        }
    }

    /// <summary>Applies events of distinct entities of one book; one outcome each, in order.</summary>
    public Task<EventOutcome[]> ApplyAsync(EntityKind kind, long book, SalesEvent[] events) =>
        _merger is null ? Call(_grains, kind, book, events) : _merger.CallAsync((kind, book), events);

    /// <summary>How many ingest calls wait for the book behind the call in flight (durable mode; 0 in memory mode).</summary>
    public int Queued(EntityKind kind, long book) => _merger?.Queued((kind, book)) ?? 0;

    private static Task<EventOutcome[]> Call(GrainRefs grains, EntityKind kind, long book, SalesEvent[] events) =>
        kind == EntityKind.Opportunity ? grains.Book(book).ApplyAsync(events) : grains.RepBook(book).ApplyAsync(events);
}
