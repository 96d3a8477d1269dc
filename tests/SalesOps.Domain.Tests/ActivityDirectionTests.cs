namespace SalesOps.Domain.Tests;

/// <summary>Activity direction by customer group and activity quality (docs/semantics.md, "Activity direction and quality").</summary>
public sealed class ActivityDirectionTests
{
    private static long Count(FigureSet f, CustomerGroup g) => f.Get(Figure.CustomerActivityCount, TestCompany.March, (short)g);

    private static long Minutes(FigureSet f, CustomerGroup g) => f.Get(Figure.CustomerActivityMinutes, TestCompany.March, (short)g);

    [Fact]
    public void WinDatedBeforeAnActivity_ArrivingAfterIt_TurnsTheActivityFromNewToExisting()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Accept(new CustomerRegistered(company.NextId(), TestCompany.T0.AddDays(-60), "acme", "Acme", KeyAccount: true));
        company.Customer("beta");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 5_000, at: TestCompany.T0.AddDays(-20));
        company.Activity("ann", TestCompany.Day(10), "acme", ActivityType.Visit, minutes: 90);
        company.Activity("ann", TestCompany.Day(3), "acme", ActivityType.Call, minutes: 15);
        company.Activity("ann", TestCompany.Day(11), "beta", ActivityType.Proposal, minutes: 120);
        company.Activity("ann", TestCompany.Day(12), minutes: 30);

        var ann = company.RepState("ann").Figures();
        Assert.Equal((2L, 105L), (Count(ann, CustomerGroup.KeyAccount), Minutes(ann, CustomerGroup.KeyAccount)));
        Assert.Equal((1L, 120L), (Count(ann, CustomerGroup.OtherAccount), Minutes(ann, CustomerGroup.OtherAccount)));
        Assert.Equal((3L, 225L), (Count(ann, CustomerGroup.NewCustomer), Minutes(ann, CustomerGroup.NewCustomer)));

        // The win is dated 5 March, after the call and before the visit: the visit was to an existing customer.
        company.Win("o1", TestCompany.Day(5));
        ann = company.RepState("ann").Figures();
        Assert.Equal((2L, 135L), (Count(ann, CustomerGroup.NewCustomer), Minutes(ann, CustomerGroup.NewCustomer)));
        Assert.Equal((1L, 90L), (Count(ann, CustomerGroup.ExistingCustomer), Minutes(ann, CustomerGroup.ExistingCustomer)));
        Assert.Equal(1L, Count(company.Company.Figures, CustomerGroup.ExistingCustomer));

        // Reopened: no standing win, so every activity is to a new customer again.
        company.Stage("o1", "contract_negotiation", TestCompany.Day(13));
        ann = company.RepState("ann").Figures();
        Assert.Equal((3L, 0L), (Count(ann, CustomerGroup.NewCustomer), Count(ann, CustomerGroup.ExistingCustomer)));

        var report = ActivityReport.Build(ann, TestCompany.March);
        Assert.Equal((4L, 255L, 1L, 30L), (report.Count, report.Minutes, report.WithoutCustomerCount, report.WithoutCustomerMinutes));
        Assert.Equal((2L, 1L, 1L, 2.0, 1.0, 0.0), (report.Quality.Calls, report.Quality.Visits, report.Quality.Proposals, report.Quality.CallsPerVisit, report.Quality.VisitsPerProposal, report.Quality.ProposalsPerOrder));
    }

    [Fact]
    public void KeyAccountChange_MovesEveryActivityOfTheCustomer_AndOnlyTheLatestChangeCounts()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Rep("bob", "east");
        company.Activity("ann", TestCompany.Day(2), "acme", ActivityType.Visit, minutes: 60);
        company.Activity("bob", TestCompany.Day(4), "acme", ActivityType.Call, minutes: 10);

        // Dated after both activities, yet it moves them too: the flag in force classifies every activity.
        var outcome = company.Engine.Apply(new CustomerKeyAccountChanged("k1", TestCompany.Day(6), "acme", KeyAccount: true));
        Assert.Equal(OutcomeCode.Accepted, outcome.Code);
        Assert.Equal((1L, 60L, 0L), (Count(company.RepState("ann").Figures(), CustomerGroup.KeyAccount), Minutes(company.RepState("ann").Figures(), CustomerGroup.KeyAccount), Count(company.RepState("ann").Figures(), CustomerGroup.OtherAccount)));
        Assert.Equal((2L, 0L), (Count(company.Company.Figures, CustomerGroup.KeyAccount), Count(company.Company.Figures, CustomerGroup.OtherAccount)));

        // An activity after the change counts as a key account's at once.
        company.Activity("ann", TestCompany.Day(8), "acme", ActivityType.Proposal, minutes: 30);
        Assert.Equal(3L, Count(company.Company.Figures, CustomerGroup.KeyAccount));

        // An earlier-dated change arriving late loses to the later one; a re-send is a duplicate; both change nothing.
        Assert.Equal(OutcomeCode.Accepted, company.Engine.Apply(new CustomerKeyAccountChanged("k0", TestCompany.Day(5), "acme", KeyAccount: false)).Code);
        Assert.Equal(OutcomeCode.Duplicate, company.Engine.Apply(new CustomerKeyAccountChanged("k1", TestCompany.Day(6), "acme", KeyAccount: true)).Code);
        Assert.Equal((3L, 0L), (Count(company.Company.Figures, CustomerGroup.KeyAccount), Count(company.Company.Figures, CustomerGroup.OtherAccount)));

        // A later change back moves all three to the other accounts; the age groups are untouched.
        company.Engine.Apply(new CustomerKeyAccountChanged("k2", TestCompany.Day(9), "acme", KeyAccount: false));
        Assert.Equal((0L, 3L, 3L), (Count(company.Company.Figures, CustomerGroup.KeyAccount), Count(company.Company.Figures, CustomerGroup.OtherAccount), Count(company.Company.Figures, CustomerGroup.NewCustomer)));
        Assert.Equal(100L, Minutes(company.Company.Figures, CustomerGroup.OtherAccount));

        // The restored customer holds the flag, its stamp and the window of changes.
        var copy = CustomerState.FromSnapshot(company.Engine.Customers["acme"].ToSnapshot());
        Assert.False(copy.KeyAccount);
        Assert.Equal(3, copy.KeyAccountChangesRemembered);
        Assert.Equal(company.Engine.Customers["acme"].ToSnapshot(), copy.ToSnapshot());
    }

    [Fact]
    public void KeyAccountChange_OfAnUnknownCustomerOrWithoutOne_IsRefusedNamingTheField()
    {
        var company = new TestCompany();
        var missing = company.Engine.Apply(new CustomerKeyAccountChanged("k1", TestCompany.Day(6), "nobody", KeyAccount: true));
        var empty = company.Engine.Apply(new CustomerKeyAccountChanged("k2", TestCompany.Day(6), "", KeyAccount: true));
        Assert.Equal((OutcomeCode.NotFound, "customer_id"), (missing.Code, missing.Field));
        Assert.Equal((OutcomeCode.InvalidArgument, "customer_id"), (empty.Code, empty.Field));
    }
}
