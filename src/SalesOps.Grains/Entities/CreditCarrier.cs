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
        book => $"rep book {book}")
{
    /// <summary>
    /// This carrier as a lane's carrier, each credit stamped with the acceptance <paramref name="stampFor"/> gives for
    /// its rep book (0: none, and the rep book stamps the credit's arrival), as <see cref="RollupCarrier"/> stamps roll-ups.
    /// </summary>
    internal ICarrier<RepCredits[]> Stamped(Func<string, long> stampFor) =>
        For<RepCredits[]>((book, sender, first, last, credits) => new CreditsItem(sender, first, last, credits, stampFor(book)));
}
