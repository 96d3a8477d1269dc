using System.Globalization;
using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Carries credits to the rep books, per silo, in durable mode (<see cref="BatchCarrier{TItem}"/>, ADR 0039): what
/// reaches it while a rep book's call is in flight, from any deal book or customer of the silo, goes in the next call
/// (<see cref="IRepBookGrain.CreditAsync"/>), and the rep book commits it in one write. A lane's destination is the rep
/// book's number (<see cref="RepCreditLanes"/>).
/// </summary>
public sealed class CreditCarrier(GrainRefs grains)
    : BatchCarrier<CreditsItem>(
        (book, items) => grains.RepBook(long.Parse(book, CultureInfo.InvariantCulture)).CreditAsync(items),
        book => $"rep book {book}");
