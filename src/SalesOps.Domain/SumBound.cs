namespace SalesOps.Domain;

/// <summary>
/// The bound that keeps every figure inside 64 bits (ADR 0012): what the engine refuses so that no sum can wrap.
/// </summary>
/// <remarks>
/// Every money figure of every rep, region, the company and every customer is a sum of the current amounts of some
/// deals, or of their margins (amount − cost, each at most amount + cost in size), or of some payments; every one of
/// them is at most the sum of amount + cost over all deals, or the sum over all payments. So the
/// engine bounds those two totals, where an event is accepted: each deal book (1/<see cref="DealBooks"/> of the deals,
/// by id) holds at most <see cref="BookAmounts"/> of deal amounts and costs and <see cref="DealsPerBook"/> deals, and each rep
/// book (1/<see cref="RepBooks"/> of the reps) takes at most <see cref="BookPayments"/> of payments over its life.
/// Then no money figure exceeds <see cref="Total"/> = 2^61, a quarter of the 64-bit range: the rest is headroom for
/// roll-ups in flight, which can count a reassigned deal under its old and its new owner for a moment. Cycle seconds
/// (at most 7,101 years per won deal) are bounded by the deal count: 16.7 million deals × 2.24·10^11 s ≈ 3.8·10^18.
/// Counts and activity minutes grow by at most 1 and 1,440 per accepted event, so they cannot wrap before 6·10^15
/// events: two centuries at a million events a second.
/// </remarks>
public static class SumBound
{
    /// <summary>The most any money figure can reach.</summary>
    public const long Total = 1L << 61;

    /// <summary>Deal books (must equal the grains' count; a test checks it).</summary>
    public const int DealBooks = 1024;

    /// <summary>Rep books (must equal the grains' count; a test checks it).</summary>
    public const int RepBooks = 64;

    /// <summary>The most the deals of one deal book may amount to together (2^51 ≈ 2.25·10^15).</summary>
    public const long BookAmounts = Total / DealBooks;

    /// <summary>The most one rep book's reps may be paid over the book's life (2^55 ≈ 3.6·10^16).</summary>
    public const long BookPayments = Total / RepBooks;

    /// <summary>The most deals one deal book holds (16.7 million deals in all).</summary>
    public const int DealsPerBook = 16_384;

    /// <summary>
    /// Refuses a deal event that would take its book past a bound: a new deal when the book is full, or an amount
    /// that would raise the book's total past <see cref="BookAmounts"/> (even an older update that last-writer-wins
    /// would ignore). Null when it is within the bound.
    /// </summary>
    /// <param name="bookAmounts">The current amounts of the book's deals, summed.</param>
    /// <param name="deals">The book's deals.</param>
    public static Outcome? CheckDeal(SalesEvent e, OpportunityState deal, long bookAmounts, int deals)
    {
        if (!deal.IsOpened && e is not OpportunityOpened)
        {
            return null; // refused as not opened
        }

        if (!deal.IsOpened && deals >= DealsPerBook)
        {
            return Outcome.Conflict(
                "opportunity_id",
                $"the book this deal falls in (one of {DealBooks}, by id) already holds {DealsPerBook} deals, the engine's bound (docs/semantics.md, Limits)");
        }

        var (amount, cost) = e.Accept(Proposed.Instance);
        var current = deal.IsOpened ? Bounded(deal) : 0;

        // What the deal would count for if the event's amount and cost were taken (an older one included).
        var proposed = Math.Max(amount, deal.IsOpened ? deal.Amount : 0) + Math.Max(cost ?? 0, deal.Cost ?? 0);
        var field = cost > (deal.Cost ?? 0) ? "cost" : "amount";
        return proposed > current && bookAmounts - current + proposed > BookAmounts
            ? Outcome.Conflict(
                field,
                $"{field} {(field == "cost" ? cost : amount)} would take the amounts and costs of this deal's book (one of {DealBooks}, by id) past {BookAmounts} together, the bound that keeps every figure within 64 bits (docs/semantics.md, Limits)")
            : null;
    }

    /// <summary>What a deal counts for against its book's bound: its amount plus its cost.</summary>
    public static long Bounded(OpportunityState deal) => deal.Amount + (deal.Cost ?? 0);

    /// <summary>Refuses a payment that would take its rep book's payments past <see cref="BookPayments"/>.</summary>
    /// <param name="bookPayments">All payments the book's reps have received.</param>
    public static Outcome? CheckPayment(PaymentReceived e, long bookPayments) =>
        bookPayments + e.Amount > BookPayments
            ? Outcome.Conflict(
                "amount",
                $"amount {e.Amount} would take the payments of this rep's book (one of {RepBooks}, by id) past {BookPayments}, the bound that keeps every figure within 64 bits (docs/semantics.md, Limits)")
            : null;

    /// <summary>All payments a rep has received: its collections, summed over years.</summary>
    public static long PaymentsOf(RepState rep)
    {
        long total = 0;
        foreach (var (key, value) in rep.Historical)
        {
            if (key.Figure == Figure.Collections && key.Period.Kind == PeriodKind.Year)
            {
                total += value;
            }
        }

        return total;
    }

    /// <summary>The deal amount (0: none) and cost (null: none) an event proposes.</summary>
    private sealed class Proposed : ISalesEventVisitor<(long Amount, long? Cost)>
    {
        public static readonly Proposed Instance = new();

        public (long Amount, long? Cost) Visit(OpportunityOpened e) => (e.Amount, e.Cost);

        public (long Amount, long? Cost) Visit(OpportunityAmountChanged e) => (e.Amount, e.Cost);

        public (long Amount, long? Cost) Visit(OpportunityWon e) => (e.Amount, e.Cost);

        public (long Amount, long? Cost) Visit(OpportunityStageChanged e) => (0, null);

        public (long Amount, long? Cost) Visit(OpportunityReassigned e) => (0, null);

        public (long Amount, long? Cost) Visit(OpportunityLost e) => (0, null);

        public (long Amount, long? Cost) Visit(RegionDefined e) => (0, null);

        public (long Amount, long? Cost) Visit(RepJoined e) => (0, null);

        public (long Amount, long? Cost) Visit(RepMoved e) => (0, null);

        public (long Amount, long? Cost) Visit(RepLeft e) => (0, null);

        public (long Amount, long? Cost) Visit(CustomerRegistered e) => (0, null);

        public (long Amount, long? Cost) Visit(CustomerKeyAccountChanged e) => (0, null);

        public (long Amount, long? Cost) Visit(ActivityLogged e) => (0, null);

        public (long Amount, long? Cost) Visit(PaymentReceived e) => (0, null);

        public (long Amount, long? Cost) Visit(TargetSet e) => (0, null);

        public (long Amount, long? Cost) Visit(ForecastSubmitted e) => (0, null);

        public (long Amount, long? Cost) Visit(PlanningInputsRecorded e) => (0, null);
    }
}
