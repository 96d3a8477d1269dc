using System.Globalization;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Credits for reps travel in one lane per rep book (ADR 0009), from deal books (their deals' contributions) and from
/// customers (their first order as a new customer, ADR 0018): the lane names and how they are delivered.
/// </summary>
internal static class RepCreditLanes
{
    /// <summary>Each rep book's number as text once, not per credit.</summary>
    private static readonly string[] Lanes =
        Enumerable.Range(0, RepBooks.Count).Select(b => b.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The lane of the book that holds <paramref name="repId"/>.</summary>
    public static string Of(string repId) => Lanes[RepBooks.Of(repId)];

    /// <summary>Queues credits, each to the lane of its rep's book (one message per rep, in order).</summary>
    public static void Enqueue(Outbox<RepCredits[]> outbox, IEnumerable<(string RepId, CreditItem[] Items)> credits)
    {
        foreach (var (repId, items) in credits)
        {
            outbox.Enqueue(Of(repId), [new RepCredits(repId, Array.ConvertAll(items, Credit.From))]);
        }
    }

    /// <summary>
    /// Delivers one lane's message (or merged messages) to its rep book in a call of its own (memory mode), with the
    /// acceptance stamp <paramref name="stampFor"/> gives for the lane (0: none, and the rep book stamps the credit's arrival).
    /// </summary>
    public static DirectSend<RepCredits[]> Direct(GrainRefs refs, Func<string, long> stampFor) =>
        async (book, sender, first, last, credits) =>
        {
            var refused = await refs.RepBook(long.Parse(book, CultureInfo.InvariantCulture))
                .CreditAsync([new CreditsItem(sender, first, last, credits, stampFor(book))]);
            if (refused.Length > 0)
            {
                throw BackPressureException.MessageRefused($"rep book {book}");
            }
        };
}
