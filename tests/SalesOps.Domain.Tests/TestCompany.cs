namespace SalesOps.Domain.Tests;

/// <summary>
/// A small company in an <see cref="InMemorySalesEngine"/> for scenario tests: helpers send events with fresh ids
/// and assert that the setup events are accepted, so a test only spells out what it is about.
/// </summary>
internal sealed class TestCompany
{
    /// <summary>A Monday in March 2026, 09:00 UTC; most scenarios happen in that month.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public static readonly Period March = Period.OfMonth(2026, 3);
    public static readonly Period Q1 = Period.OfQuarter(2026, 1);
    public static readonly Period Year = Period.OfYear(2026);

    private int _next;

    public TestCompany(EngineSettings? settings = null) => Engine = new InMemorySalesEngine(settings ?? new EngineSettings());

    public InMemorySalesEngine Engine { get; }

    public RegionState Company => Engine.Regions[RegionState.CompanyId];

    public static DateTimeOffset Day(int day, int hour = 9) => new(2026, 3, day, hour, 0, 0, TimeSpan.Zero);

    public string NextId() => $"ev-{++_next:D4}";

    public Outcome Send(SalesEvent e) => Engine.Apply(e);

    public T Accept<T>(T e)
        where T : SalesEvent
    {
        var outcome = Engine.Apply(e);
        Assert.True(outcome.IsAccepted, $"{e} was not accepted: {outcome}");
        return e;
    }

    public RegionDefined Region(string id, string parent = "") => Accept(new RegionDefined(NextId(), T0.AddDays(-60), id, "Region " + id, parent));

    public CustomerRegistered Customer(string id) => Accept(new CustomerRegistered(NextId(), T0.AddDays(-60), id, "Customer " + id));

    public RepJoined Rep(string id, string region, DateTimeOffset? at = null) =>
        Accept(new RepJoined(NextId(), at ?? T0.AddDays(-30), id, "Rep " + id, region, RepRole.Direct, RepStyle.Hunter));

    public OpportunityOpened Open(
        string opportunity,
        string rep,
        long amount,
        string stage = "lead",
        DateOnly? close = null,
        DateTimeOffset? at = null,
        string customer = "acme") =>
        Accept(new OpportunityOpened(NextId(), at ?? T0, opportunity, rep, customer, amount, "widgets", "direct", close ?? new DateOnly(2026, 4, 15), stage));

    public OpportunityWon Win(string opportunity, DateTimeOffset at, long amount = 0) => Accept(new OpportunityWon(NextId(), at, opportunity, amount));

    public OpportunityLost Lose(string opportunity, DateTimeOffset at) => Accept(new OpportunityLost(NextId(), at, opportunity, "price"));

    public OpportunityStageChanged Stage(string opportunity, string stage, DateTimeOffset at, DateOnly? close = null) =>
        Accept(new OpportunityStageChanged(NextId(), at, opportunity, stage, close));

    public ActivityLogged Activity(string rep, DateTimeOffset at, string customer = "", ActivityType type = ActivityType.Call, int minutes = 30, TimeCategory category = TimeCategory.T1) =>
        Accept(new ActivityLogged(NextId(), at, rep, customer, type, minutes, category));

    public PaymentReceived Payment(string rep, string customer, long amount, DateTimeOffset at) => Accept(new PaymentReceived(NextId(), at, rep, customer, amount));

    public TargetSet RepTarget(string rep, Period period, TargetMetric metric, long must, long stretch) =>
        Accept(new TargetSet(NextId(), T0.AddDays(-10), TargetScope.Rep, rep, period, metric, must, stretch));

    public RepState RepState(string id) => Engine.Reps[id];

    public long Bookings(string rep, Period period) => Engine.Reps[rep].Figures().Get(Figure.Bookings, period);
}
