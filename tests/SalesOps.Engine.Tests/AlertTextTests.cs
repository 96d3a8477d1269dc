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
}
