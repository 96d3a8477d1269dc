using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>The reference's verdict on a delivered event; names match the API's result names.</summary>
public enum Verdict
{
    Accepted,
    Duplicate,
    InvalidArgument,
    NotFound,
    FailedPrecondition,
}

/// <summary>A counter as the contract names it: a figure, a period code ("" for figures of no period) and two small dimensions.</summary>
public readonly record struct CounterKey(string Figure, string Period, int A, int B);

/// <summary>A deal after replaying its accepted events in (occurred_at, event id) order.</summary>
public sealed class RefDeal
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public string ProductLine { get; init; } = "";
    public string Channel { get; init; } = "";
    public string Owner { get; set; } = "";
    public long Amount { get; set; }

    /// <summary>The latest cost given (in stamp order), or null when none was.</summary>
    public long? Cost { get; set; }
    public DateOnly ExpectedClose { get; set; }

    /// <summary>An open stage's id, or "won" / "lost".</summary>
    public string Stage { get; set; } = "";

    /// <summary>When the deal was won or lost (the stage register's stamp).</summary>
    public DateTimeOffset StageAt { get; set; }

    /// <summary>Highest level ever reached (an open stage's position, the open-stage count for won); -1 when none.</summary>
    public int Level { get; set; } = -1;

    /// <summary>Settings of the expected close, in stamp order, that put it in a later month than the one before.</summary>
    public int Pushes { get; set; }

    /// <summary>Whether an event has set the expected close yet (in stamp order).</summary>
    public bool HasClose { get; set; }
}

/// <summary>The at-risk settings, as docs/semantics.md states them ("Deals that stall or slip").</summary>
public sealed record RefRiskRules(int DefaultStallDays, IReadOnlyDictionary<string, int> StallDaysByStage, int PushLimit)
{
    public int StallDays(string stage) => StallDaysByStage.TryGetValue(stage, out var d) ? d : DefaultStallDays;
}

/// <summary>One row of the at-risk list: an open deal for which at least one condition holds.</summary>
public readonly record struct RefAtRisk(string Deal, string Owner, string Stage, int DaysInStage, DateOnly ExpectedClose, int Pushes, bool Stalled, bool Overdue, bool Slipping);

/// <summary>A rep: the join, then the accepted moves in (occurred_at, event id) order.</summary>
public sealed class RefRep
{
    public required string Id { get; init; }
    public required List<(DateTimeOffset At, string Region)> Memberships { get; init; }

    public string CurrentRegion => Memberships[^1].Region;

    /// <summary>The latest membership dated at or before <paramref name="at"/>; the joining region before the join.</summary>
    public string RegionAt(DateTimeOffset at)
    {
        var region = Memberships[0].Region;
        foreach (var (when, where) in Memberships)
        {
            if (when <= at)
            {
                region = where;
            }
        }

        return region;
    }
}

/// <summary>
/// The de-dup window as docs/semantics.md states it (rule 3): how long, in the entity's own event time, and how many
/// event ids an entity remembers.
/// </summary>
public sealed record RefDedup(TimeSpan MaxAge, int MaxCount)
{
    /// <summary>The documented default: 62 days, 4,096 ids.</summary>
    public static readonly RefDedup Documented = new(TimeSpan.FromDays(62), 4_096);
}

/// <summary>What the de-dup window of an event's entity says of it, before the event is decided.</summary>
/// <param name="Windowed">The event's entity de-duplicates it in a window (every event but a region's or customer's definition).</param>
/// <param name="Forgot">The entity has forgotten ids already (it has a horizon).</param>
/// <param name="Remembered">Its id is remembered: a duplicate.</param>
/// <param name="Beyond">Its id is not remembered and it is dated at or before the horizon: refused.</param>
/// <param name="Resent">Its id was accepted by the entity before (remembered or not).</param>
public readonly record struct RefDedupView(bool Windowed, bool Forgot, bool Remembered, bool Beyond, bool Resent)
{
    /// <summary>Counts what the window did with the delivery, for a run's coverage checks.</summary>
    public void CountInto(Dictionary<string, long> stats)
    {
        void Count(string key) => stats[key] = stats.GetValueOrDefault(key) + 1;
        if (Beyond)
        {
            Count("beyond de-dup window");
            if (Resent)
            {
                Count("re-send beyond de-dup window");
            }
        }
        else if (Remembered && Forgot)
        {
            Count("duplicate after ids were forgotten");
        }
    }
}

public sealed record RefCustomer(int Orders, long LifetimeValue, DateTimeOffset? LastOrder, long Collections, DateTimeOffset? LastContact);

/// <summary>One row of a leaderboard.</summary>
public readonly record struct RefRow(int Rank, string RepId, double Score);

/// <summary>A leaderboard: a region (or the company), a period code and a metric name.</summary>
public readonly record struct RefBoard(string Region, string Period, string Metric);

/// <summary>A target's figures in a report (the reference's, or an engine's read into this form).</summary>
public sealed record RefTarget(string Metric, long Actual, long Must, long Stretch, double MustAttainment, double StretchAttainment, double Pace, bool Behind);

/// <summary>The figures of one scope for one period: the reference's, straight from the deals and items, or an engine's.</summary>
public sealed record RefReport(
    long OpenCount,
    long OpenAmount,
    decimal Weighted,
    long[] StageCount,
    long[] StageAmount,
    long[] Reached,
    double[] Conversion,
    long Bookings,
    long Won,
    long Lost,
    long LostAmount,
    long Collections,
    double WinRate,
    double AverageDeal,
    double AverageCycleDays,
    decimal Forecast,
    long Commit,
    long BestCase,
    long Pipeline,
    long ActivityTotal,
    SortedDictionary<(int Type, int Category), long> Activities,
    long[] Minutes,
    List<RefTarget> Targets,
    List<RefYearOnYear> LastYear,
    long NewCustomers,
    long NewCustomerBookings,
    long RepeatBookings,
    RefPlan? Plan,
    long GrossMargin)
{
    /// <summary>Top-down against bottom-up, in metric then basis order.</summary>
    public List<RefCoverage> Coverage { get; init; } = [];

    /// <summary>The targets the recorded reference variables suggest, in metric order.</summary>
    public List<RefSuggestion> Suggestions { get; init; } = [];

    /// <summary>Activity direction and quality (docs/semantics.md, "Activity direction and quality").</summary>
    public RefActivity? Activity { get; init; }
}

/// <summary>A scope's period figures over some local dates, summed from the deals and accepted events.</summary>
public readonly record struct RefSums(long Bookings, long Won, long Collections, long NewCustomers, long NewBookings, long Proposals, long Visits, long Calls);

/// <summary>A period figure beside the same period last year (docs/semantics.md, "Same period last year").</summary>
public sealed record RefYearOnYear(string Figure, long Actual, long LastYear, long LastYearToDate, double Growth, bool Behind);
