using System.Globalization;
using SalesOps.Abstractions;
using SalesOps.Runtime;

namespace SalesOps.Grains;

/// <summary>
/// Activities logged against deals travel from rep books to deal books in one lane per deal book (ADR 0023): the lane
/// names and the call that delivers them.
/// </summary>
internal static class DealTouchLanes
{
    /// <summary>Each deal book's number as text once, not per activity.</summary>
    private static readonly string[] Lanes =
        Enumerable.Range(0, OpportunityBooks.Count).Select(b => b.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The lane of the book that holds <paramref name="opportunityId"/>.</summary>
    public static string Of(string opportunityId) => Lanes[OpportunityBooks.Of(opportunityId)];

    /// <summary>Delivers one lane's message (or merged messages) to its deal book.</summary>
    public static DirectSend<DealTouch[]> Send(GrainRefs refs) =>
        (book, sender, first, last, touches) => refs.Book(long.Parse(book, CultureInfo.InvariantCulture)).TouchAsync(sender, first, last, touches);
}
