using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Hosting;

namespace SalesOps.Engine.Tests;

/// <summary>The planning funnel's and last year's settings: bound from configuration, refused at start when out of range.</summary>
public sealed class PlanningOptionsTests
{
    [Theory]
    [InlineData("Engine:Planning:AverageOrder", "0")]
    [InlineData("Engine:Planning:CallsPerVisit", "0")]
    [InlineData("Engine:Planning:ProposalsPerOrder", "1001")]
    [InlineData("Engine:Planning:MinHistory", "0")]
    [InlineData("Engine:Planning:MinutesPerDay", "2000")]
    [InlineData("Engine:Planning:MaxLoad", "1.5")]
    [InlineData("Engine:BehindLastYearShare", "-0.1")]
    public void SettingOutOfRange_ServerRefusesToStartNamingIt(string setting, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(
            ["--" + setting, value, "--storage", "memory", "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0"],
            _ => { }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfiguredCalendarAndRatios_ReachTheEngineSettings()
    {
        var options = new EngineOptions
        {
            Planning = new PlanningOptions
            {
                WorkingDays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday],
                Holidays = [new DateOnly(2026, 10, 1)],
                ProposalsPerOrder = 2.5m,
            },
        };

        var planning = options.ToSettings().Planning;

        Assert.Equal((6, false, true), (planning.Calendar.DaysPerWeek, planning.Calendar.IsWorkingDay(new DateOnly(2026, 10, 1)), planning.Calendar.IsWorkingDay(new DateOnly(2026, 10, 3))));
        Assert.Equal((2.5m, 4m, 5m, 200_000L), (planning.ProposalsPerOrder, planning.VisitsPerProposal, planning.CallsPerVisit, planning.AverageOrder));
        Assert.Same(WorkingCalendar.MondayToFriday, new EngineOptions().ToSettings().Planning.Calendar);
    }
}
