namespace SalesOps.Domain.Tests;

public sealed class CustomerTests
{
    [Fact]
    public void WonDealsPaymentsAndActivities_MakeOrdersLifetimeValueAndLastDates()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Customer("other");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 10_000);
        company.Open("o2", "ann", 20_000);
        company.Open("o3", "ann", 40_000);
        company.Open("o4", "ann", 80_000, customer: "other");
        company.Win("o1", TestCompany.Day(10));
        company.Win("o2", TestCompany.Day(15), amount: 25_000);
        company.Win("o4", TestCompany.Day(20));
        company.Lose("o3", TestCompany.Day(22));
        company.Payment("ann", "acme", 3_000, TestCompany.Day(11));
        company.Payment("ann", "acme", 4_000, TestCompany.Day(12));
        company.Activity("ann", TestCompany.Day(18), customer: "acme");
        company.Activity("ann", TestCompany.Day(16), customer: "acme");
        company.Activity("ann", TestCompany.Day(25));

        var acme = company.Engine.Customers["acme"];

        Assert.Equal(2, acme.OrderCount);
        Assert.Equal(35_000, acme.LifetimeValue);
        Assert.Equal(TestCompany.Day(15), acme.LastOrder);
        Assert.Equal(7_000, acme.Collections);
        Assert.Equal(TestCompany.Day(18), acme.LastContact);
    }

    [Fact]
    public void ReopenedDeal_LeavesCustomerOrders()
    {
        var company = new TestCompany();
        company.Region("east");
        company.Customer("acme");
        company.Rep("ann", "east");
        company.Open("o1", "ann", 10_000);
        company.Win("o1", TestCompany.Day(10));

        company.Stage("o1", "quote_sent", TestCompany.Day(11));

        var acme = company.Engine.Customers["acme"];
        Assert.Equal(0, acme.OrderCount);
        Assert.Equal(0, acme.LifetimeValue);
        Assert.Null(acme.LastOrder);
    }

    [Fact]
    public void SecondRegistrationWithAnotherId_IsFailedPrecondition()
    {
        var company = new TestCompany();
        var first = company.Customer("acme");

        var again = company.Send(first);
        var other = company.Send(first with { EventId = company.NextId() });

        Assert.Equal(OutcomeCode.Duplicate, again.Code);
        Assert.Equal(OutcomeCode.FailedPrecondition, other.Code);
    }

    [Fact]
    public void SameEventIdFromTwoReps_CountsForEach_AndARepeatCountsOnce()
    {
        var customer = new CustomerState("acme");

        Assert.True(customer.AddPayment("ann", "crm-1", 100));
        Assert.True(customer.AddPayment("bob", "crm-1", 200));
        Assert.False(customer.AddPayment("ann", "crm-1", 100));

        Assert.Equal(300, customer.Collections);
    }
}
