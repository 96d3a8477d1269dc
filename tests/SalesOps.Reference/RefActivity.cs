namespace SalesOps.Reference;

/// <summary>
/// Activity direction and quality of a scope for a period (docs/semantics.md, "Activity direction and quality"): count
/// and minutes per customer group (index 1 key account, 2 other account, 3 new, 4 existing customer; 0 unused), what named
/// no customer, and the conversion ratios; the deals closed by activity-load bucket (index 0: none before the close, 1:
/// 1-2, 2: 3-5, 3: 6-10, 4: 11 or more) and the activities by their deal's product line ("line:count/minutes;…", ordinal).
/// </summary>
public sealed record RefActivity(
    long[] GroupCount,
    long[] GroupMinutes,
    long WithoutCustomerCount,
    long WithoutCustomerMinutes,
    long Calls,
    long Visits,
    long Proposals,
    double CallsPerVisit,
    double VisitsPerProposal,
    double ProposalsPerOrder,
    long[] LoadWon,
    long[] LoadLost,
    string ProductLines)
{
    /// <summary>The documented bucket of a deal closed with <paramref name="activities"/> activities before its close.</summary>
    public static int LoadBucket(long activities) => activities >= 11 ? 4 : activities >= 6 ? 3 : activities >= 3 ? 2 : activities >= 1 ? 1 : 0;

    public override string ToString() =>
        $"groups [{string.Join(",", GroupCount)}] minutes [{string.Join(",", GroupMinutes)}] none {WithoutCustomerCount}/{WithoutCustomerMinutes} calls {Calls} visits {Visits} proposals {Proposals} ratios {CallsPerVisit:R}/{VisitsPerProposal:R}/{ProposalsPerOrder:R} load won [{string.Join(",", LoadWon)}] lost [{string.Join(",", LoadLost)}] product lines {ProductLines}";

    public bool SameAs(RefActivity o) =>
        GroupCount.SequenceEqual(o.GroupCount) && GroupMinutes.SequenceEqual(o.GroupMinutes)
        && (WithoutCustomerCount, WithoutCustomerMinutes, Calls, Visits, Proposals) == (o.WithoutCustomerCount, o.WithoutCustomerMinutes, o.Calls, o.Visits, o.Proposals)
        && Close(CallsPerVisit, o.CallsPerVisit) && Close(VisitsPerProposal, o.VisitsPerProposal) && Close(ProposalsPerOrder, o.ProposalsPerOrder)
        && LoadWon.SequenceEqual(o.LoadWon) && LoadLost.SequenceEqual(o.LoadLost) && ProductLines == o.ProductLines;

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(b));

    /// <summary>Accumulates the activities of a scope and period one by one, then divides.</summary>
    public sealed class Builder
    {
        private readonly long[] _count = new long[5];
        private readonly long[] _minutes = new long[5];
        private readonly long[] _loadWon = new long[5];
        private readonly long[] _loadLost = new long[5];
        private readonly SortedDictionary<string, (long Count, long Minutes)> _lines = new(StringComparer.Ordinal);
        private long _none, _noneMinutes, _calls, _visits, _proposals;

        /// <summary>A deal closed in the scope and period, with its activities dated at or before its close.</summary>
        public void Closed(bool won, long activities) => (won ? _loadWon : _loadLost)[LoadBucket(activities)]++;

        /// <summary>An activity of the scope and period logged against a deal of <paramref name="productLine"/>.</summary>
        public void ForProductLine(string productLine, long minutes)
        {
            var (count, sum) = _lines.GetValueOrDefault(productLine);
            _lines[productLine] = (count + 1, sum + minutes);
        }

        /// <param name="groups">The activity's account and age group; empty when it named no customer.</param>
        public void Add(SalesOps.Domain.ActivityType type, long minutes, int[] groups)
        {
            _calls += type == SalesOps.Domain.ActivityType.Call ? 1 : 0;
            _visits += type == SalesOps.Domain.ActivityType.Visit ? 1 : 0;
            _proposals += type == SalesOps.Domain.ActivityType.Proposal ? 1 : 0;
            if (groups.Length == 0)
            {
                _none++;
                _noneMinutes += minutes;
            }

            foreach (var g in groups)
            {
                _count[g]++;
                _minutes[g] += minutes;
            }
        }

        public RefActivity Build(long won)
        {
            static double Over(long a, long b) => b == 0 ? 0 : a / (double)b;
            return new RefActivity(
                _count, _minutes, _none, _noneMinutes, _calls, _visits, _proposals, Over(_calls, _visits), Over(_visits, _proposals), Over(_proposals, won),
                _loadWon, _loadLost, Lines(_lines.Select(l => (l.Key, l.Value.Count, l.Value.Minutes))));
        }

        /// <summary>Product-line rows in their canonical text form.</summary>
        public static string Lines(IEnumerable<(string Line, long Count, long Minutes)> lines) => string.Join(";", lines.Select(l => $"{l.Line}:{l.Count}/{l.Minutes}"));
    }
}
