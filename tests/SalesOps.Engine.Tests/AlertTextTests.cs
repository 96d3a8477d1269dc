using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Server.Api;

namespace SalesOps.Engine.Tests;

public sealed class AlertTextTests
{
    [Theory]
    [InlineData(125_000_000L, "USD", "1,250,000.00 USD")]
    [InlineData(125_000_000L, "JPY", "125,000,000 JPY")]
    [InlineData(1_234_567L, "KWD", "1,234.567 KWD")]
    [InlineData(-5L, "EUR", "-0.05 EUR")]
    [InlineData(1_000_000_000_000_000L, "USD", "10,000,000,000,000.00 USD")]
    public void Money_MinorUnitsWithTheCurrencysDecimals(long minorUnits, string currency, string expected) =>
        Assert.Equal(expected, AlertText.Money(minorUnits, currency));

    [Fact]
    public void BehindPaceOnNewCustomers_CountsCustomersInWordsNotMoney()
    {
        var alert = new AlertRecord(1, (byte)AlertKind.BehindPace, "ann", "east", "", Period.OfMonth(2026, 3).Code, nameof(TargetMetric.NewCustomers), 1, 3, "", DateTimeOffset.UnixEpoch, Guid.Empty);

        Assert.Equal(
            "Ann is behind must-achieve pace on new customers for 2026-03: 1 of 3 expected by now",
            AlertText.Of(alert, new AlertNames("East", "Ann", ""), "USD"));
    }
}
