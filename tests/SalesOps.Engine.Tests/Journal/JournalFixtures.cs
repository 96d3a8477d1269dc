using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Engine.Tests.Journal;

/// <summary>
/// The journal entries stored in <c>TestData/journal</c>: <c>legacy/</c> was written by the build before ADR 0011
/// (ids without prefix), <c>v1/</c> by the current format (ids prefixed <c>fx-</c>, so a durable test can replay them
/// into grains of their own). File names are <c>NN-Name.bin</c> in this order: the events the legacy format knew,
/// the other entries, then the events added since (<see cref="Added"/>, in <c>v1/</c> only), so a new event's fixture
/// takes the next number and no existing file is renamed.
/// </summary>
internal static class JournalFixtures
{
    public static readonly DateTimeOffset At = new(2026, 11, 3, 9, 30, 0, TimeSpan.FromHours(8));

    public static string Folder(string format) => Path.Combine(AppContext.BaseDirectory, "TestData", "journal", format);

    public static SalesEvent[] Events(string p) =>
    [
        new RegionDefined(p + "e-region", At, p + "east", "East", "company"),
        new RepJoined(p + "e-join", At, p + "ann", "Ann Lee", p + "east", RepRole.Channel, RepStyle.Farmer),
        new RepMoved(p + "e-move", At, p + "ann", p + "west"),
        new CustomerRegistered(p + "e-cust", At, p + "acme", "Acme Ltd"),
        new OpportunityOpened(p + "e-open", At, p + "o1", p + "ann", p + "acme", 250_000, "widgets", "direct", new DateOnly(2026, 12, 15), "qualify"),
        new OpportunityStageChanged(p + "e-stage", At, p + "o1", "propose", new DateOnly(2027, 1, 20)),
        new OpportunityStageChanged(p + "e-stage2", At, p + "o1", "negotiate", null),
        new OpportunityAmountChanged(p + "e-amount", At, p + "o1", 300_000),
        new OpportunityReassigned(p + "e-reassign", At, p + "o1", p + "bob"),
        new OpportunityWon(p + "e-won", At, p + "o1", 310_000),
        new OpportunityLost(p + "e-lost", At, p + "o2", "price"),
        new ActivityLogged(p + "e-act", At, p + "ann", p + "acme", ActivityType.Demo, 45, TimeCategory.T2),
        new PaymentReceived(p + "e-pay", At, p + "ann", p + "acme", 120_000),
        new TargetSet(p + "e-target", At, TargetScope.Region, p + "east", new Period(202611), TargetMetric.Collections, 1_000_000, 1_500_000),
        .. Added(p),
        .. Version2(p),
        .. AddedLater(p),
        .. AddedAfterKeyAccounts(p),
    ];

    /// <summary>Events added after the legacy format: they have current-format fixtures only.</summary>
    public static SalesEvent[] Added(string p) =>
    [
        new RepLeft(p + "e-left", At.AddDays(30), p + "ann", "moved abroad"),
        new ForecastSubmitted(p + "e-forecast", At, TargetScope.Rep, p + "ann", Period.OfMonth(2026, 11), 400_000, 650_000, "ann", "two deals in legal"),
    ];

    /// <summary>Version 2 of four events (the fields it added set: a cost, a dimension), after <see cref="AddedOthers"/> in file order.</summary>
    public static SalesEvent[] Version2(string p) =>
    [
        new OpportunityOpened(p + "e-open2", At, p + "o3", p + "ann", p + "acme", 250_000, "widgets", "direct", new DateOnly(2026, 12, 15), "qualify") { Cost = 140_000 },
        new OpportunityAmountChanged(p + "e-amount2", At, p + "o3", 300_000) { Cost = 160_000 },
        new OpportunityWon(p + "e-won2", At, p + "o3", 0) { Cost = 170_000 },
        new TargetSet(p + "e-target2", At, TargetScope.Rep, p + "ann", Period.OfWeek(2026, 45), TargetMetric.Activities, 20, 25)
        {
            Dimension = TargetDimension.Of(ActivityType.Visit),
        },
    ];

    /// <summary>Entries of a version 2 added after <see cref="AddedLater"/> in file order: a dimension credit and counter.</summary>
    public static JournalEntry[] Version2Others(string p) =>
    [
        new RepCreditsReceived("oppbook/3", 8, [new RepCredits(p + "ann", [new Credit(4, 0, 0, 310_000, At, null, (byte)DimensionKind.ProductLine, "widgets")])]),
        new RollupReceived("repbook/5", 10, new Rollup([new Counter(14, 202611, 0, 0, 140_000, (byte)DimensionKind.Customer, p + "acme")], [])),
    ];

    /// <summary>
    /// An entry this build writes in a later version than its fixture's: the fixture stays, to prove that version still
    /// reads, and the later version has a fixture of its own.
    /// </summary>
    public static bool IsSuperseded(JournalEntry entry) => entry is RepCreditsReceived or RollupReceived && VersionOf(entry) == 1;

    /// <summary>The schema version an entry's fixture is written in: 2 when it uses a field version 2 added.</summary>
    public static int VersionOf(JournalEntry entry) => entry switch
    {
        RepCreditsReceived r => r.Credits.Any(c => c.Credits.Any(i => i.DimensionKind != 0)) ? 2 : 1,
        RollupReceived r => r.Rollup.Counters.Any(c => c.IsDimension) ? 2 : 1,
        EventAccepted { Event: OpportunityOpened { Cost: not null } or OpportunityAmountChanged { Cost: not null } or OpportunityWon { Cost: not null } } => 2,
        EventAccepted { Event: TargetSet { Dimension.IsNone: false } } => 2,
        EventAccepted { Event: CustomerRegistered { KeyAccount: true } } => 2,
        EventAccepted { Event: ActivityLogged { OpportunityId.Length: > 0 } } => 2,
        EventAccepted { Event: RepJoined { PhotoUrl.Length: > 0 } } => 2,
        _ => 1,
    };

    /// <summary>Version 2 of <see cref="CustomerRegistered"/> (a key account, ADR 0020), after <see cref="Version2Others"/> in file order.</summary>
    public static SalesEvent[] KeyAccounts(string p) =>
    [
        new CustomerRegistered(p + "e-cust2", At, p + "globex", "Globex", KeyAccount: true),
    ];

    /// <summary>Events added after the key-account registration (ADR 0022), after <see cref="KeyAccounts"/> in file order.</summary>
    public static SalesEvent[] AddedAfterKeyAccounts(string p) =>
    [
        new CustomerKeyAccountChanged(p + "e-key", At.AddDays(1), p + "acme", KeyAccount: true),
    ];

    /// <summary>
    /// An activity logged against a deal (version 2 of <see cref="ActivityLogged"/>) and the deal book's entry for it
    /// (ADR 0023), after <see cref="AddedAfterKeyAccounts"/> in file order.
    /// </summary>
    public static JournalEntry[] DealJoin(string p) =>
    [
        new EventAccepted(new ActivityLogged(p + "e-act2", At, p + "ann", p + "acme", ActivityType.Visit, 60, TimeCategory.T1) { OpportunityId = p + "o1" }),
        new DealTouchesReceived("repbook/5", 3, [new DealTouch(p + "o1", p + "ann", At, 60)]),
    ];

    /// <summary>Events added after the version 2 fixtures, after <see cref="Version2"/> in file order.</summary>
    public static SalesEvent[] AddedLater(string p) =>
    [
        new PlanningInputsRecorded(p + "e-inputs", At, TargetScope.Region, p + "east", Period.OfYear(2027), TargetMetric.Bookings, 9_000_000, 10_000_000, 650, 400_000),
    ];

    /// <summary>Entries other than events added after the legacy format, after <see cref="Added"/> in file order.</summary>
    public static JournalEntry[] AddedOthers(string p) =>
    [
        new ForecastPeriodsClosed(At.AddDays(40)),
        new OwnedOrderReceived(p + "o3", "oppbook/3", 6, new OrderRow(90_000, At.AddDays(-2)), p + "bob"),
    ];

    public static JournalEntry[] Others(string p)
    {
        var credits = new[] { new Credit(1, 2, 3, 400, At, null), new Credit(4, 0, 1, -50, null, 739000) };
        return
        [
            new RepCreditsReceived("oppbook/3", 7, [new RepCredits(p + "ann", credits)]),
            new RollupReceived("repbook/5", 9, new Rollup([new Counter(1, 202611, 2, 3, 500)], [new BoardChange(p + "ann", 7, true, false, [new Score(202611, 0, 500)])])),
            new RollupQueued(),
            new OrderReceived(p + "o1", "oppbook/3", 4, new OrderRow(310_000, At)),
            new OrderReceived(p + "o2", "oppbook/3", 5, null),
            new PaymentCounted(p + "ann", p + "e-pay", 120_000),
            new ContactReceived(At),
        ];
    }

    /// <summary>Every entry in file order with its file name.</summary>
    /// <param name="legacy">Only the entries the legacy format had (no <see cref="Added"/> events).</param>
    public static IEnumerable<(string File, JournalEntry Entry)> All(string p, bool legacy = false)
    {
        var n = 0;
        var added = Added(p).Length + Version2(p).Length + AddedLater(p).Length + AddedAfterKeyAccounts(p).Length;
        var events = Events(p);
        foreach (var e in events[..^added])
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in Others(p))
        {
            yield return ($"{++n:00}-{e.GetType().Name}.bin", e);
        }

        if (legacy)
        {
            yield break;
        }

        foreach (var e in Added(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in AddedOthers(p))
        {
            yield return ($"{++n:00}-{e.GetType().Name}.bin", e);
        }

        foreach (var e in Version2(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in AddedLater(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in Version2Others(p))
        {
            yield return ($"{++n:00}-{e.GetType().Name}.bin", e);
        }

        foreach (var e in KeyAccounts(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in AddedAfterKeyAccounts(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }

        foreach (var e in DealJoin(p))
        {
            yield return (e is EventAccepted a ? $"{++n:00}-event-{a.Event.GetType().Name}.bin" : $"{++n:00}-{e.GetType().Name}.bin", e);
        }

        foreach (var e in Photos(p))
        {
            yield return ($"{++n:00}-event-{e.GetType().Name}.bin", new EventAccepted(e));
        }
    }

    /// <summary>A rep who joined with a photo (version 2 of <see cref="RepJoined"/>, issue 15), after <see cref="DealJoin"/> in file order.</summary>
    public static SalesEvent[] Photos(string p) =>
    [
        new RepJoined(p + "e-join2", At, p + "mei", "王美", p + "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "https://photos.example.com/mei.jpg" },
    ];
}
