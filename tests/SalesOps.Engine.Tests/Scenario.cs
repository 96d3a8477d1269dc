using SalesOps.Domain;

namespace SalesOps.Engine.Tests;

/// <summary>Builds events with ids unique to one test, so tests sharing a cluster never touch each other's entities.</summary>
public sealed class Scenario(string prefix)
{
    private int _events;

    public DateTimeOffset T0 { get; init; } = TestClock.Start.AddDays(-10);

    public string Id(string name) => $"{prefix}-{name}";

    public string NextEventId() => $"{prefix}-e{++_events}";

    public DateTimeOffset At(double hours) => T0.AddHours(hours);

    public RegionDefined Region(string id, string parent = "", double h = 0) =>
        new(NextEventId(), At(h), Id(id), $"Region {id}", parent.Length == 0 ? "" : Id(parent));

    public RepJoined Rep(string id, string region, double h = 0) =>
        new(NextEventId(), At(h), Id(id), $"Rep {id}", Id(region), RepRole.Direct, RepStyle.Hunter);

    public RepMoved Move(string rep, string region, double h) => new(NextEventId(), At(h), Id(rep), Id(region));

    public RepLeft Leave(string rep, double h, string reason = "resigned") => new(NextEventId(), At(h), Id(rep), reason);

    public CustomerRegistered Customer(string id, double h = 0) => new(NextEventId(), At(h), Id(id), $"Customer {id}");

    public OpportunityOpened Open(string id, string rep, string customer, long amount, string stage = "quote_sent", double h = 1, DateOnly? close = null) =>
        new(NextEventId(), At(h), Id(id), Id(rep), Id(customer), amount, "platform", "direct", close ?? new DateOnly(2026, 11, 28), stage);

    public OpportunityStageChanged Stage(string opp, string stage, double h) => new(NextEventId(), At(h), Id(opp), stage, null);

    public OpportunityAmountChanged Amount(string opp, long amount, double h) => new(NextEventId(), At(h), Id(opp), amount);

    public OpportunityReassigned Reassign(string opp, string rep, double h) => new(NextEventId(), At(h), Id(opp), Id(rep));

    public OpportunityWon Won(string opp, double h, long amount = 0) => new(NextEventId(), At(h), Id(opp), amount);

    public OpportunityLost Lost(string opp, double h) => new(NextEventId(), At(h), Id(opp), "price");

    public ActivityLogged Activity(string rep, double h, string customer = "", ActivityType type = ActivityType.Call, int minutes = 30, TimeCategory category = TimeCategory.T1) =>
        new(NextEventId(), At(h), Id(rep), customer.Length == 0 ? "" : Id(customer), type, minutes, category);

    public PaymentReceived Payment(string rep, string customer, long amount, double h) => new(NextEventId(), At(h), Id(rep), Id(customer), amount);

    public TargetSet RepTarget(string rep, string period, long must, long stretch = 0, double h = 0) =>
        new(NextEventId(), At(h), TargetScope.Rep, Id(rep), Parse(period), TargetMetric.Bookings, must, stretch == 0 ? must : stretch);

    public TargetSet RegionTarget(string region, string period, long must, double h = 0) =>
        new(NextEventId(), At(h), TargetScope.Region, region == "company" ? "company" : Id(region), Parse(period), TargetMetric.Bookings, must, must);

    private static Period Parse(string text) => Period.TryParse(text, out var p) ? p : throw new ArgumentException(text);
}
