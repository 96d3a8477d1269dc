using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Hosting;

namespace SalesOps.Engine.Tests;

/// <summary>The at-risk settings: defaults as documented, bound per stage from configuration, refused at start when wrong.</summary>
public sealed class AtRiskOptionsTests
{
    [Fact]
    public void DefaultOptions_Give30StallDaysAndAPushLimitOf2()
    {
        var rules = new EngineOptions().ToSettings().AtRisk;

        Assert.Equal((30, 2, 30), (rules.DefaultStallDays, rules.PushLimit, rules.StallDaysFor("quote_sent")));
    }

    [Theory]
    [InlineData("--Engine:StallDays", "0", "Engine:StallDays")]
    [InlineData("--Engine:StallDays", "3651", "Engine:StallDays")]
    [InlineData("--Engine:PushLimit", "-1", "Engine:PushLimit")]
    [InlineData("--Engine:StallDaysByStage:won", "5", "Engine:StallDaysByStage")]
    [InlineData("--Engine:StallDaysByStage:no_such_stage", "5", "Engine:StallDaysByStage")]
    [InlineData("--Engine:StallDaysByStage:lead", "0", "Engine:StallDaysByStage:lead")]
    public void BadSetting_ServerRefusesToStartNamingIt(string key, string value, string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(
            [key, value, "--storage", "memory", "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0"],
            _ => { }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StageOverride_FromConfiguration_ReachesTheRules()
    {
        await using var app = SalesOpsHost.Build(
            ["--Engine:StallDaysByStage:quote_sent", "14", "--Engine:PushLimit", "0", "--storage", "memory", "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0"],
            _ => { });
        var rules = app.Services.GetService(typeof(EngineSettings)) is EngineSettings s ? s.AtRisk : throw new InvalidOperationException("no settings");

        Assert.Equal((14, 30, 0), (rules.StallDaysFor("quote_sent"), rules.StallDaysFor("lead"), rules.PushLimit));
    }
}
