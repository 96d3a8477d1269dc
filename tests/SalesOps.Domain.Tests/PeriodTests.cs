namespace SalesOps.Domain.Tests;

public sealed class PeriodTests
{
    [Theory]
    [InlineData("2026", PeriodKind.Year, 2026, 0)]
    [InlineData("2026-Q4", PeriodKind.Quarter, 2026, 4)]
    [InlineData("2026-11", PeriodKind.Month, 2026, 11)]
    [InlineData("2026-01", PeriodKind.Month, 2026, 1)]
    public void ValidText_ParsesAndFormatsBack(string text, PeriodKind kind, int year, int number)
    {
        Assert.True(Period.TryParse(text, out var period));

        Assert.Equal(kind, period.Kind);
        Assert.Equal(year, period.Year);
        Assert.Equal(number, period.Number);
        Assert.Equal(text, period.ToString());
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("2026-Q5")]
    [InlineData("2026-Q0")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("26")]
    [InlineData("2026/11")]
    public void InvalidText_IsRejected(string? text)
    {
        Assert.False(Period.TryParse(text, out var period));
        Assert.True(period.IsNone);
    }

    [Fact]
    public void Date_FallsInItsMonthQuarterAndYear()
    {
        var (month, quarter, year) = Period.Containing(new DateOnly(2026, 10, 1));

        Assert.Equal("2026-10", month.ToString());
        Assert.Equal("2026-Q4", quarter.ToString());
        Assert.Equal("2026", year.ToString());
    }

    [Fact]
    public void Quarter_SpansThreeMonths()
    {
        var q2 = Period.OfQuarter(2026, 2);

        Assert.Equal(new DateOnly(2026, 4, 1), q2.FirstDay);
        Assert.Equal(new DateOnly(2026, 7, 1), q2.EndDay);
    }
}
