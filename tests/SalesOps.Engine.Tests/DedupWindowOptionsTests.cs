using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Hosting;

namespace SalesOps.Engine.Tests;

/// <summary>The de-dup window settings: bound from configuration, defaults as documented, refused at start when out of range.</summary>
public sealed class DedupWindowOptionsTests
{
    [Fact]
    public void DefaultOptions_GiveTheDocumentedWindow()
    {
        Assert.Equal(DedupWindow.Default, new EngineOptions().ToSettings().Dedup);
        Assert.Equal(new DedupWindow(TimeSpan.FromDays(62), 4_096), DedupWindow.Default);
    }

    [Theory]
    [InlineData("0", "4096", "Engine:DedupWindowDays")]
    [InlineData("36501", "4096", "Engine:DedupWindowDays")]
    [InlineData("62", "0", "Engine:DedupWindowCount")]
    [InlineData("62", "1000001", "Engine:DedupWindowCount")]
    public void WindowOutOfRange_ServerRefusesToStartNamingTheSetting(string days, string count, string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(
            ["--Engine:DedupWindowDays", days, "--Engine:DedupWindowCount", count, "--storage", "memory", "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0"],
            _ => { }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfiguredWindow_ReachesTheEngineSettings()
    {
        var options = new EngineOptions { DedupWindowDays = 3, DedupWindowCount = 9 };

        Assert.Equal(new DedupWindow(TimeSpan.FromDays(3), 9), options.ToSettings().Dedup);
    }
}
