namespace SalesOps.Domain.Tests;

public sealed class EventValidatorTests
{
    private static readonly DateTimeOffset At = TestCompany.T0;
    private static readonly Period March = TestCompany.March;

    private static readonly Dictionary<string, SalesEvent> Cases = new(StringComparer.Ordinal)
    {
        ["empty event id"] = new OpportunityLost("", At, "o1", "price"),
        ["event id of 129 characters"] = new OpportunityLost(new string('x', 129), At, "o1", "price"),
        ["no occurred_at"] = new OpportunityLost("e1", default, "o1", "price"),
        ["empty region id"] = new RegionDefined("e1", At, "", "East", ""),
        ["region its own parent"] = new RegionDefined("e1", At, "east", "East", "east"),
        ["unknown rep role"] = new RepJoined("e1", At, "ann", "Ann", "east", (RepRole)9, RepStyle.Hunter),
        ["photo over plain http"] = new RepJoined("e1", At, "ann", "Ann", "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "http://photos.example.com/ann.jpg" },
        ["photo that is no URL"] = new RepJoined("e1", At, "ann", "Ann", "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "ann.jpg" },
        ["photo URL of 4097 characters"] = new RepJoined("e1", At, "ann", "Ann", "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "https://p.example.com/" + new string('a', 4075) },
        ["opened with zero amount"] = new OpportunityOpened("e1", At, "o1", "ann", "acme", 0, "p", "c", new DateOnly(2026, 4, 1), "lead"),
        ["opened at won stage"] = new OpportunityOpened("e1", At, "o1", "ann", "acme", 10, "p", "c", new DateOnly(2026, 4, 1), "won"),
        ["opened without owner"] = new OpportunityOpened("e1", At, "o1", "", "acme", 10, "p", "c", new DateOnly(2026, 4, 1), "lead"),
        ["stage changed to lost"] = new OpportunityStageChanged("e1", At, "o1", "lost", null),
        ["stage changed to unknown stage"] = new OpportunityStageChanged("e1", At, "o1", "maybe", null),
        ["negative amount change"] = new OpportunityAmountChanged("e1", At, "o1", -5),
        ["negative won amount"] = new OpportunityWon("e1", At, "o1", -1),
        ["reassigned to nobody"] = new OpportunityReassigned("e1", At, "o1", ""),
        ["activity of 1441 minutes"] = new ActivityLogged("e1", At, "ann", "", ActivityType.Call, 1441, TimeCategory.T1),
        ["activity of negative minutes"] = new ActivityLogged("e1", At, "ann", "", ActivityType.Call, -1, TimeCategory.T1),
        ["unknown activity type"] = new ActivityLogged("e1", At, "ann", "", (ActivityType)7, 10, TimeCategory.T1),
        ["unknown time category"] = new ActivityLogged("e1", At, "ann", "", ActivityType.Call, 10, (TimeCategory)7),
        ["zero payment"] = new PaymentReceived("e1", At, "ann", "acme", 0),
        ["target without period"] = new TargetSet("e1", At, TargetScope.Rep, "ann", Period.None, TargetMetric.Bookings, 10, 20),
        ["target with zero must-achieve"] = new TargetSet("e1", At, TargetScope.Rep, "ann", March, TargetMetric.Bookings, 0, 20),
        ["target stretch below must-achieve"] = new TargetSet("e1", At, TargetScope.Rep, "ann", March, TargetMetric.Bookings, 20, 19),
        ["target without scope id"] = new TargetSet("e1", At, TargetScope.Region, "", March, TargetMetric.Bookings, 20, 30),
    };

    [Theory]
    [InlineData("empty event id", "event_id")]
    [InlineData("event id of 129 characters", "event_id")]
    [InlineData("no occurred_at", "occurred_at")]
    [InlineData("empty region id", "region_id")]
    [InlineData("region its own parent", "parent_region_id")]
    [InlineData("photo over plain http", "photo_url")]
    [InlineData("photo that is no URL", "photo_url")]
    [InlineData("photo URL of 4097 characters", "photo_url")]
    [InlineData("unknown rep role", "role")]
    [InlineData("opened with zero amount", "amount")]
    [InlineData("opened at won stage", "stage_id")]
    [InlineData("opened without owner", "owner_rep_id")]
    [InlineData("stage changed to lost", "stage_id")]
    [InlineData("stage changed to unknown stage", "stage_id")]
    [InlineData("negative amount change", "amount")]
    [InlineData("negative won amount", "amount")]
    [InlineData("reassigned to nobody", "new_owner_rep_id")]
    [InlineData("activity of 1441 minutes", "duration_minutes")]
    [InlineData("activity of negative minutes", "duration_minutes")]
    [InlineData("unknown activity type", "type")]
    [InlineData("unknown time category", "time_category")]
    [InlineData("zero payment", "amount")]
    [InlineData("target without period", "period")]
    [InlineData("target with zero must-achieve", "must_achieve")]
    [InlineData("target stretch below must-achieve", "stretch")]
    [InlineData("target without scope id", "scope_id")]
    public void MalformedEvent_IsInvalidArgumentNamingTheField(string scenario, string field)
    {
        var outcome = EventValidator.Validate(Cases[scenario], StageTable.Default);

        Assert.NotNull(outcome);
        Assert.Equal(OutcomeCode.InvalidArgument, outcome.Code);
        Assert.Equal(field, outcome.Field);
    }

    [Fact]
    public void BoundaryValues_AreValid()
    {
        SalesEvent[] valid =
        [
            new OpportunityWon("e1", At, "o1", 0),
            new ActivityLogged("e1", At, "ann", "", ActivityType.Demo, 0, TimeCategory.T5),
            new ActivityLogged("e1", At, "ann", "", ActivityType.Demo, 1440, TimeCategory.T5),
            new TargetSet("e1", At, TargetScope.Region, "east", March, TargetMetric.Activities, 5, 5),
            new OpportunityLost(new string('x', 128), At, "o1", ""),
            new RepJoined("e1", At, "ann", "Ann", "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "https://p.example.com/" + new string('a', 4074) },
            new RepJoined("e1", At, "ann", "Ann", "east", RepRole.Direct, RepStyle.Hunter) { PhotoUrl = "data:image/png;base64,iVBORw0KGgo=" },
        ];

        Assert.All(valid, e => Assert.Null(EventValidator.Validate(e, StageTable.Default)));
    }

    [Fact]
    public void InvalidEvent_ChangesNothingInTheEngine()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");

        var before = company.Engine.Reps["ann"].Figures();

        var outcome = company.Send(new PaymentReceived("bad", At, "ann", "acme", -100));

        Assert.Equal(OutcomeCode.InvalidArgument, outcome.Code);
        Assert.True(before.ContentEquals(company.Engine.Reps["ann"].Figures()));
        Assert.Equal(0, company.Engine.Customers["acme"].Collections);
    }
}
