using System.Diagnostics;

namespace SalesOps.LoadTests;

/// <summary>
/// The figures the server must report, counted on the client from acknowledged events only (ACCEPTED results),
/// per rep for the run's month. A rep belongs to exactly one stream, and only that stream's ack reader writes its
/// slot, so no locks are needed while the load runs; reads happen after it. New customers are the exception: customers
/// are shared by every stream, so each customer's first win (the earliest <c>occurred_at</c>: no deal is reopened here,
/// and stream clocks never collide) is kept under a lock, and credited to its rep when read.
/// </summary>
public sealed class Expected(int reps, int customers)
{
    private readonly (long WonAt, int Rep, long Amount)?[] _firstWins = new (long, int, long)?[customers];

    public long[] Activities { get; } = new long[reps];

    /// <summary>Activities (count, minutes) naming a key-account customer, and naming another customer.</summary>
    public (long Count, long Minutes)[] KeyAccountActivities { get; } = new (long, long)[reps];
    public (long Count, long Minutes)[] OtherAccountActivities { get; } = new (long, long)[reps];

    /// <summary>Activities logged against deals, per rep and the deal's product line (count, minutes).</summary>
    public Dictionary<string, (long Count, long Minutes)>[] ProductLineActivities { get; } =
        Enumerable.Range(0, reps).Select(_ => new Dictionary<string, (long, long)>(StringComparer.Ordinal)).ToArray();

    /// <summary>Deals the rep won and lost, per activity-load bucket (0, 1-2, 3-5, 6-10, 11+; docs/semantics.md).</summary>
    public long[][] WonByLoad { get; } = Enumerable.Range(0, reps).Select(_ => new long[5]).ToArray();
    public long[][] LostByLoad { get; } = Enumerable.Range(0, reps).Select(_ => new long[5]).ToArray();

    /// <summary>The documented bucket of a deal closed with this many activities logged against it.</summary>
    public static int LoadBucket(int activities) => activities switch { 0 => 0, <= 2 => 1, <= 5 => 2, <= 10 => 3, _ => 4 };
    public long[] Bookings { get; } = new long[reps];
    public long[] Won { get; } = new long[reps];
    public long[] Lost { get; } = new long[reps];
    public long[] LostAmount { get; } = new long[reps];
    public long[] Collections { get; } = new long[reps];
    public long[] OpenCount { get; } = new long[reps];
    public long[] OpenAmount { get; } = new long[reps];

    /// <summary>Gross margin of the rep's wins (of deals with a cost), and bookings of "software" deals.</summary>
    public long[] GrossMargin { get; } = new long[reps];
    public long[] SoftwareBookings { get; } = new long[reps];

    /// <summary>Whether the rep's "software" bookings target was acknowledged (its actual is then checked).</summary>
    public bool[] SoftwareTarget { get; } = new bool[reps];

    /// <summary>Forecast submissions acknowledged per rep, and the commit of the last one.</summary>
    public long[] Forecasts { get; } = new long[reps];
    public long[] LastCommit { get; } = new long[reps];

    /// <summary>
    /// Per rep, the pipeline of the run's month (open deals expected to close in it) as the acknowledged events leave
    /// it, and the deals opened into it: the run's company is new, so its month's waterfall starts at zero.
    /// </summary>
    public (long Amount, long Count, long Created)[] MonthPipeline { get; } = new (long, long, long)[reps];

    /// <summary>Each rep's bookings target for the month (the last acknowledged), 0 without one.</summary>
    public long[] TargetMust { get; } = new long[reps];

    /// <summary>Each rep's planning inputs for next year (the last acknowledged), null without any.</summary>
    public RecordedInputs?[] Inputs { get; } = new RecordedInputs?[reps];

    public void Apply(in Effect e)
    {
        var r = e.Rep;
        if (e.InMonth)
        {
            ref var month = ref MonthPipeline[r];
            month = e.Kind switch
            {
                EffectKind.Opened => (month.Amount + e.OpenAmountDelta, month.Count + 1, month.Created + 1),
                EffectKind.AmountChanged => (month.Amount + e.OpenAmountDelta, month.Count, month.Created),
                EffectKind.Won or EffectKind.Lost => (month.Amount + e.OpenAmountDelta, month.Count - 1, month.Created),
                _ => month,
            };
        }

        switch (e.Kind)
        {
            case EffectKind.Activity:
                Activities[r]++;
                if (e.Customer >= 0)
                {
                    ref var group = ref (Company.IsKeyAccount(e.Customer) ? ref KeyAccountActivities[r] : ref OtherAccountActivities[r]);
                    group = (group.Count + 1, group.Minutes + e.Amount);
                }

                if (e.ProductLine is { } line)
                {
                    var (count, minutes) = ProductLineActivities[r].GetValueOrDefault(line);
                    ProductLineActivities[r][line] = (count + 1, minutes + e.Amount);
                }

                break;
            case EffectKind.Opened:
                OpenCount[r]++;
                OpenAmount[r] += e.OpenAmountDelta;
                break;
            case EffectKind.AmountChanged:
                OpenAmount[r] += e.OpenAmountDelta;
                break;
            case EffectKind.Won:
                lock (_firstWins)
                {
                    if (_firstWins[e.Customer] is not { } first || e.WonAt < first.WonAt)
                    {
                        _firstWins[e.Customer] = (e.WonAt, r, e.Amount);
                    }
                }

                Bookings[r] += e.Amount;
                WonByLoad[r][LoadBucket(e.Load)]++;
                GrossMargin[r] += e.Margin ?? 0;
                SoftwareBookings[r] += e.Software ? e.Amount : 0;
                Won[r]++;
                OpenCount[r]--;
                OpenAmount[r] += e.OpenAmountDelta;
                break;
            case EffectKind.Lost:
                Lost[r]++;
                LostByLoad[r][LoadBucket(e.Load)]++;
                LostAmount[r] += e.Amount;
                OpenCount[r]--;
                OpenAmount[r] += e.OpenAmountDelta;
                break;
            case EffectKind.Payment:
                Collections[r] += e.Amount;
                break;
            case EffectKind.SoftwareTarget:
                SoftwareTarget[r] = true;
                break;
            case EffectKind.Forecast:
                Forecasts[r]++;
                LastCommit[r] = e.Amount;
                break;
            case EffectKind.Target:
                TargetMust[r] = e.Amount;
                break;
            case EffectKind.Inputs:
                Inputs[r] = e.Inputs;
                break;
        }
    }

    /// <summary>Per rep: the customers whose first win is theirs, and those wins' amounts (read after the load).</summary>
    public (long[] Count, long[] Amount) NewCustomers()
    {
        var count = new long[Bookings.Length];
        var amount = new long[Bookings.Length];
        lock (_firstWins)
        {
            foreach (var first in _firstWins)
            {
                if (first is { } f)
                {
                    count[f.Rep]++;
                    amount[f.Rep] += f.Amount;
                }
            }
        }

        return (count, amount);
    }

    /// <summary>A leaderboard's expected top rows: non-zero scores, descending, ties by rep id (ordinal).</summary>
    public IReadOnlyList<(string RepId, long Score)> Top(Company company, string region, bool activities, int top) =>
        Enumerable.Range(0, company.RepIds.Length)
            .Where(r => company.InScope(region, r))
            .Select(r => (RepId: company.RepIds[r], Score: activities ? Activities[r] : Bookings[r]))
            .Where(x => x.Score != 0)
            .OrderByDescending(x => x.Score).ThenBy(x => x.RepId, StringComparer.Ordinal)
            .Take(top)
            .ToList();
}

/// <summary>
/// When each rep's n-th activity was sent (the intended send time in open loop, so a backed-up generator does not
/// hide latency): an ACTIVITIES board showing score n for the rep reflects at least that event.
/// </summary>
public sealed class ActivityClock(int reps)
{
    private readonly List<long>[] _sent = Enumerable.Range(0, reps).Select(_ => new List<long>()).ToArray();

    public void Sent(int rep, long timestamp)
    {
        var list = _sent[rep];
        lock (list)
        {
            list.Add(timestamp);
        }
    }

    /// <summary>The send time of the rep's n-th activity (1-based), or null when fewer were sent.</summary>
    public long? SentAt(int rep, long n)
    {
        var list = _sent[rep];
        lock (list)
        {
            return n >= 1 && n <= list.Count ? list[(int)(n - 1)] : null;
        }
    }

    public static double MillisecondsSince(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;
}
