using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SalesOps.TestSupport;
using SalesOps.TestSupport.Browser;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SalesOps.Engine.Tests.Browser;

/// <summary>One headless Chromium for the collection, and a tiny loopback web server for it to load.</summary>
public sealed class BrowserSmokeFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    /// <summary>A board as an office screen shows it: a Chinese name and a Latin one, in the page's default sans-serif.</summary>
    public const string BoardHtml = """
        <!doctype html>
        <html lang="zh-CN">
        <head><meta charset="utf-8"><title>Bookings</title>
        <style>body { margin: 48px; font: 48px sans-serif; } li { padding: 8px 0; }</style></head>
        <body>
          <h1>本季度签约排行</h1>
          <ol id="board">
            <li id="chinese"><span class="name">王芳</span> — ¥1,250,000</li>
            <li id="latin"><span class="name">Emily Carter</span> — ¥980,000</li>
          </ol>
        </body>
        </html>
        """;

    private WebApplication _web = null!;

    public BrowserSession Browser { get; private set; } = null!;

    /// <summary>The loopback server's base address, ending in <c>/</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _web = builder.Build();
        _web.MapGet("/", () => Results.Text(BoardHtml, "text/html", Encoding.UTF8));
        _web.MapGet("/ping", () => Results.Text("pong"));
        await _web.StartAsync().Within(TimeSpan.FromSeconds(30));
        BaseUrl = _web.Urls.Single().TrimEnd('/') + "/";

        Browser = await BrowserSession.StartAsync(line => diagnostics.OnMessage(new DiagnosticMessage($"browser: {line}")));
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        await _web.StopAsync().Within(TimeSpan.FromSeconds(30));
        await _web.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserSmokeCollection : ICollectionFixture<BrowserSmokeFixture>
{
    public const string Name = "browser smoke";
}

/// <summary>
/// The browser test infrastructure itself (tests/browser, <see cref="BrowserSession"/>): the machine's Chromium loads a
/// page, renders Chinese names with a real CJK font, takes screenshots, and can be cut off the network.
/// </summary>
[Collection(BrowserSmokeCollection.Name)]
public sealed class BrowserSmokeTests(BrowserSmokeFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task BoardWithChineseAndLatinNames_ShowsBothAndDrawsTheChineseWithANotoCjkFont()
    {
        await using var page = await fixture.Browser.OpenPageAsync(1280, 720);
        var navigation = await page.GotoAsync(fixture.BaseUrl);
        Assert.Equal(200, navigation.Status);

        Assert.Equal("王芳 — ¥1,250,000", await page.EvalAsync<string>("document.getElementById('chinese').textContent"));
        Assert.Equal("Emily Carter — ¥980,000", await page.EvalAsync<string>("document.getElementById('latin').textContent"));

        // The fonts Chromium actually drew the name with: the page asks only for sans-serif, so its two glyphs come
        // from fontconfig's choice for zh-CN, which must be a CJK font (fonts-noto-cjk), not a box for a missing glyph.
        var fonts = await page.FontsAsync("#chinese .name");
        var described = string.Join(", ", fonts.Select(f => $"{f.FamilyName} ×{f.GlyphCount}"));
        Assert.True(fonts.Count > 0 && fonts.All(f => f.FamilyName.StartsWith("Noto Sans CJK", StringComparison.Ordinal)), $"王芳 drawn with {described}");
        Assert.Equal(2, fonts.Sum(f => f.GlyphCount));

        // And laid out as full-width ideographs: two of them are two ems wide (a missing-glyph box is narrower).
        var width = await page.EvalAsync<double>("""
            (() => { const c = document.createElement('canvas').getContext('2d'); c.font = '48px sans-serif';
                     return c.measureText('王芳').width; })()
            """);
        Assert.InRange(width, 95, 97);
        Assert.Empty(await page.ConsoleAsync());
    }

    [Fact]
    public async Task FullHdScreenshot_IsWrittenToTheArtifactsFolder()
    {
        await using var page = await fixture.Browser.OpenPageAsync(1920, 1080);
        await page.GotoAsync(fixture.BaseUrl);
        await page.WaitForAsync<bool>("document.fonts.status === 'loaded'", Timeout);

        var path = Path.Combine(ArtifactPaths.Screenshots, "browser-smoke-board-1920x1080.png");
        File.Delete(path);
        await page.ScreenshotAsync(path);

        var png = await File.ReadAllBytesAsync(path);
        Assert.True(png.Length > 10_000, $"{path} is only {png.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // The IHDR chunk's width and height, big-endian, at bytes 16..23.
        Assert.Equal(1920, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(1080, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public async Task PageTakenOffline_FailsToFetch_AndFetchesAgainOnceOnline_WhileAnotherPageStaysOnline()
    {
        const string Fetch = "fetch('/ping', { cache: 'no-store' }).then(r => r.text(), e => 'failed: ' + e.message)";
        await using var page = await fixture.Browser.OpenPageAsync(800, 600);
        await using var other = await fixture.Browser.OpenPageAsync(800, 600);
        await page.GotoAsync(fixture.BaseUrl);
        await other.GotoAsync(fixture.BaseUrl);
        Assert.Equal("pong", await page.EvalAsync<string>(Fetch));

        await page.SetOfflineAsync(true);
        Assert.True(await page.WaitForAsync<bool>("!navigator.onLine", Timeout));
        Assert.StartsWith("failed: ", await page.EvalAsync<string>(Fetch), StringComparison.Ordinal);
        Assert.Equal("pong", await other.EvalAsync<string>(Fetch));
        Assert.Contains(await page.ConsoleAsync(), m => m.Type == "requestfailed" && m.Text.Contains("ERR_INTERNET_DISCONNECTED", StringComparison.Ordinal));

        await page.SetOfflineAsync(false);
        Assert.True(await page.WaitForAsync<bool>("navigator.onLine", Timeout));
        Assert.Equal("pong", await page.EvalAsync<string>(Fetch));
    }

    [Fact]
    public async Task WaitForAnExpressionThatNeverHolds_ThrowsTimeoutWithTheLastValueAndWhatThePageLogged()
    {
        await using var page = await fixture.Browser.OpenPageAsync(800, 600);
        await page.GotoAsync(fixture.BaseUrl);
        await page.EvalAsync<object>("window.rows = 0; console.error('board stream closed'); setTimeout(() => { window.thrown = true; throw new Error('render failed'); })");
        await page.WaitForAsync<bool>("window.thrown === true", TimeSpan.FromSeconds(10));

        // Long enough for the page's error to reach the bridge on a busy machine (it comes as an event of its own).
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => page.WaitForAsync<bool>("window.rows", TimeSpan.FromSeconds(3)));

        Assert.Contains("last value 0", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("[error] board stream closed", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("render failed", timeout.Message, StringComparison.Ordinal);
    }
}
