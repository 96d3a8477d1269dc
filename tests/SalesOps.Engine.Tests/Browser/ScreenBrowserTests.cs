using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using SalesOps.Domain;
using SalesOps.TestSupport;
using SalesOps.TestSupport.Browser;
using Xunit.Abstractions;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Browser;

/// <summary>
/// The office screen in a real headless Chromium against the real server: what it shows, how soon, celebrations,
/// access, and recovery. The page's test hooks (<c>window.salesopsScreen</c>, <c>.board-row</c>, <c>#celebration</c>,
/// <c>#status</c>, <c>#ticker</c>) are described in Screens/Page/screen.js. Screenshots go to artifacts/screenshots.
/// </summary>
[Collection(ScreenCollection.Name)]
public sealed class ScreenBrowserTests(ScreenFixture server, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>The names of the visible board's rows, in rank order.</summary>
    private const string RowNames = """
        (() => {
          const rows = [...document.querySelectorAll('.board-row')]
            .map(r => ({ rank: parseInt(r.querySelector('.rank').textContent, 10), name: r.querySelector('.name').textContent.trim() }))
            .sort((a, b) => a.rank - b.rank);
          return rows.length > 0 ? rows.map(r => r.name) : null;
        })()
        """;

    [Fact]
    public async Task TheBoard_ShowsTheExpectedNamesInTheExpectedOrder_ReadablyAtFullHdAnd4K()
    {
        await server.PutChannelAsync(Channel("east-office", "East office", Board(server.S.Id("east"), V1.LeaderboardMetric.Bookings)));
        await using var page = await server.Browser.OpenPageAsync(1920, 1080);
        await page.GotoAsync(server.ScreenUrl("east-office", server.ScreenEastKey, "rotate=0"));

        var names = await page.WaitForAsync<string[]>($"(() => {{ const n = {RowNames}; return n && n.length >= {ScreenFixture.East.Length} ? n : null; }})()", Patience);
        Assert.Equal(ScreenFixture.East.Select(r => r.Name), names);
        Assert.Equal("live", await page.EvalAsync<string>("window.salesopsScreen.state"));

        // The region under each name, the key gone from the address bar, and the Chinese name drawn with a CJK font.
        Assert.Equal("Region east", await page.EvalAsync<string>($"document.querySelector('.board-row[data-rep-id=\"{server.S.Id("wang")}\"] .region').textContent.trim()"));
        Assert.Equal("", await page.EvalAsync<string>("location.hash"));
        var fonts = await page.FontsAsync($".board-row[data-rep-id=\"{server.S.Id("wang")}\"] .name");
        Assert.Contains(fonts, f => f.FamilyName.Contains("CJK", StringComparison.OrdinalIgnoreCase) && f.GlyphCount >= 2);

        // Emily's photo as her avatar, initials for the others; Wang's bar at 75 % of her must-achieve.
        Assert.True(await page.WaitForAsync<bool>($"(() => {{ const img = document.querySelector('.board-row[data-rep-id=\"{server.S.Id("emily")}\"] .avatar img'); return !!img && img.complete && img.naturalWidth > 0; }})()", Patience));
        Assert.Equal("王芳", await page.EvalAsync<string>($"document.querySelector('.board-row[data-rep-id=\"{server.S.Id("wang")}\"] .avatar .initials').textContent.trim()"));
        Assert.Equal("75%", await page.WaitForAsync<string>($"document.querySelector('.board-row[data-rep-id=\"{server.S.Id("wang")}\"] .target-label')?.textContent.trim()", Patience));
        Assert.True(await page.EvalAsync<bool>($"!document.querySelector('.board-row[data-rep-id=\"{server.S.Id("wang")}\"] .target-pace').classList.contains('hidden')"));

        // Readable from across the room: a name is at least 4% of the screen's height at 1080p and at 4K alike.
        foreach (var (width, height, label) in new[] { (1920, 1080, "1080p"), (3840, 2160, "4k") })
        {
            await page.SetViewportAsync(width, height);
            var share = await page.WaitForAsync<double>(
                $"(() => {{ const h = parseFloat(getComputedStyle(document.querySelector('.board-row .name')).fontSize) / innerHeight; return innerWidth === {width} && h > 0 ? h : 0; }})()", Patience);
            output.WriteLine($"{label}: a name's font is {share:P1} of the screen's height");
            Assert.True(share >= 0.04, $"{label}: names are {share:P1} of the screen's height");
            var file = Path.Combine(ArtifactPaths.Screenshots, $"screen-east-{label}.png");
            await page.ScreenshotAsync(file);
            Assert.True(new FileInfo(file).Length > 20_000, $"{file} is too small to be the board");
        }
    }

    [Fact]
    public async Task AWin_MovesItsRepUpTheBoard_OnTheScreenWithinASecond()
    {
        var s = new Scenario("scr-win");
        await server.IngestAsync(
        [
            s.Region("north"), s.Customer("acme"), s.Rep("ann", "north"), s.Rep("bo", "north"), s.Rep("cy", "north"),
            s.Open("a", "ann", "acme", 300_000), s.Won("a", 2), s.Open("b", "bo", "acme", 200_000), s.Won("b", 2),
            s.Open("c", "cy", "acme", 100_000), s.Won("c", 2), s.Open("big", "cy", "acme", 450_000, h: 3),
        ]);
        await server.PutChannelAsync(Channel("north-office", "", Board(s.Id("north"), V1.LeaderboardMetric.Bookings)));
        await using var page = await server.Browser.OpenPageAsync(1920, 1080);
        await page.GotoAsync(server.ScreenUrl("north-office", Access.AccessFixture.AdminKey, "rotate=0"));
        Assert.Equal(["Rep ann", "Rep bo", "Rep cy"], await page.WaitForAsync<string[]>($"(() => {{ const n = {RowNames}; return n && n.length === 3 ? n : null; }})()", Patience));

        var clock = Stopwatch.StartNew();
        await server.IngestAsync([s.Won("big", 4)]);
        var acked = clock.Elapsed;
        await page.WaitForAsync<bool>($"document.querySelector('.board-row[data-rep-id=\"{s.Id("cy")}\"] .rank')?.textContent.trim() === '1'", Patience);
        var shown = clock.Elapsed - acked;
        output.WriteLine($"acknowledged in {acked.TotalMilliseconds:F0} ms; on the screen {shown.TotalMilliseconds:F0} ms after the acknowledgement");
        Assert.True(shown <= TimeSpan.FromSeconds(1), $"the win showed {shown.TotalMilliseconds:F0} ms after it was acknowledged");
        Assert.Equal(["Rep cy", "Rep ann", "Rep bo"], await page.WaitForAsync<string[]>($"(() => {{ const n = {RowNames}; return n && n[0] === 'Rep cy' ? n : null; }})()", Patience));
    }

    [Fact]
    public async Task BigDeals_InterruptTheRotationWithCelebrations_InTurn_ThenTheRotationResumes()
    {
        var s = new Scenario("scr-cel");
        await server.IngestAsync(
        [
            s.Region("south"), new CustomerRegistered(s.NextEventId(), s.At(0), s.Id("globex"), "Globex 环球"),
            new RepJoined(s.NextEventId(), s.At(0), s.Id("zhao"), "赵磊", s.Id("south"), RepRole.Direct, RepStyle.Hunter),
            s.Rep("ana", "south"),
            s.Open("d1", "zhao", "globex", 2_000_000, h: 1), s.Open("d2", "ana", "globex", 700_000, h: 1), s.Open("d3", "zhao", "globex", 900_000, h: 1),
        ]);
        await server.PutChannelAsync(Channel(
            "south-office", "South", Board(s.Id("south"), V1.LeaderboardMetric.Bookings), Board(s.Id("south"), V1.LeaderboardMetric.Activities)));
        await using var page = await server.Browser.OpenPageAsync(1920, 1080);
        await page.GotoAsync(server.ScreenUrl("south-office", Access.AccessFixture.AdminKey, "celebration=3"));
        await page.WaitForAsync<bool>("window.salesopsScreen?.state === 'live'", Patience);

        await server.IngestAsync([s.Won("d1", 3), s.Won("d2", 3.5), s.Won("d3", 4)]);
        var first = await page.WaitForAsync<Celebration>("window.salesopsScreen.celebrating", Patience);
        Assert.Equal(("赵磊", 2_000_000L, "Globex 环球"), (first.RepName, first.AmountMinor, first.CustomerName));
        Assert.True(await page.EvalAsync<bool>("document.querySelector('#celebration').classList.contains('visible')"));
        Assert.Contains("赵磊", await page.EvalAsync<string>("document.querySelector('#celebration .celebration-name').textContent"));
        Assert.Contains("Globex 环球", await page.EvalAsync<string>("document.querySelector('#celebration .celebration-customer').textContent"));
        await page.ScreenshotAsync(Path.Combine(ArtifactPaths.Screenshots, "screen-celebration-1080p.png"));

        // The others queue up and show one after another, in the order they were won.
        var shownInTurn = await page.WaitForAsync<long[]>("(() => { const c = window.salesopsScreen.celebrated; return c.length >= 3 ? c : null; })()", TimeSpan.FromSeconds(60));
        Assert.Equal(3, shownInTurn.Length);
        Assert.True(shownInTurn[0] < shownInTurn[1] && shownInTurn[1] < shownInTurn[2], string.Join(", ", shownInTurn));

        // Then the rotation resumes: the overlay goes, and the slides move on.
        await page.WaitForAsync<bool>("window.salesopsScreen.celebrating === null && !document.querySelector('#celebration').classList.contains('visible')", TimeSpan.FromSeconds(30));
        var slide = await page.EvalAsync<int>("window.salesopsScreen.slide");
        await page.WaitForAsync<bool>($"window.salesopsScreen.slide !== {slide} && window.salesopsScreen.celebrating === null", TimeSpan.FromSeconds(15));
        var ticker = await page.EvalAsync<string[]>("window.salesopsScreen.tickerMessages");
        Assert.Contains(ticker!, m => m.Contains("赵磊", StringComparison.Ordinal) && m.Contains("Globex 环球", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AScreenKeyOfOneRegion_CannotOpenAnotherRegionsBoard()
    {
        await server.PutChannelAsync(Channel("west-office", "West", Board(server.S.Id("west"), V1.LeaderboardMetric.Bookings)));
        await using var page = await server.Browser.OpenPageAsync(1920, 1080);

        await page.GotoAsync(server.ScreenUrl("west-office", server.ScreenEastKey, "rotate=0"));
        await page.WaitForAsync<bool>("window.salesopsScreen?.state === 'refused'", Patience);
        Assert.Equal(0, await page.EvalAsync<int>("document.querySelectorAll('.board-row').length"));
        Assert.DoesNotContain("West Rep", await page.EvalAsync<string>("document.body.innerText"));

        // West's own screen (another TV) shows it.
        await using var west = await server.Browser.OpenPageAsync(1920, 1080);
        await west.GotoAsync(server.ScreenUrl("west-office", server.ScreenWestKey, "rotate=0"));
        Assert.Equal(["West Rep"], await west.WaitForAsync<string[]>(RowNames, Patience));
    }

    [Fact]
    public async Task AfterTheServerRestarts_TheScreenRecoversByItself_AndMissesNoRetainedAlert()
    {
        // A loopback server without credentials (the development identity): its memory, keys included, starts empty
        // again on restart, as the README's run command does.
        var plain = new ServerFixture();
        await plain.InitializeAsync();
        try
        {
            var s = new Scenario("scr-rst");
            SalesEvent[] office = [s.Region("hq"), s.Customer("acme"), s.Rep("ann", "hq"), s.Rep("bob", "hq")];
            await plain.IngestEachAsync(TimeSpan.FromSeconds(15), office);
            await using var page = await server.Browser.OpenPageAsync(1920, 1080);
            await page.GotoAsync($"{plain.WebAddress}/screen/default?rotate=0");
            // A quiet office: the screen has seen no alert before the server goes away.
            await page.WaitForAsync<bool>("window.salesopsScreen?.state === 'live'", Patience);
            Assert.Empty(await page.EvalAsync<string[]>("window.salesopsScreen.tickerMessages") ?? []);

            await plain.RestartAsync(async () =>
                await page.WaitForAsync<bool>("window.salesopsScreen.state === 'reconnecting' && document.querySelector('#status').classList.contains('visible') && /Reconnecting/.test(document.querySelector('#status').textContent)", Patience));

            // Alerts raised on the new server before and after the screen is back: none may be missed.
            await plain.IngestEachAsync(TimeSpan.FromSeconds(15), [.. office, s.Open("o2", "bob", "acme", 600_000), s.Won("o2", 3), s.Open("o3", "ann", "acme", 700_000), s.Won("o3", 4)]);
            await page.WaitForAsync<bool>("window.salesopsScreen.state === 'live' && !document.querySelector('#status').classList.contains('visible')", TimeSpan.FromSeconds(40));
            await plain.IngestEachAsync(TimeSpan.FromSeconds(15), [s.Open("o4", "bob", "acme", 900_000), s.Won("o4", 5)]);
            var ticker = await page.WaitForAsync<string[]>(
                "(() => { const t = window.salesopsScreen.tickerMessages; return t.filter(m => m.includes('won a')).length >= 3 ? t : null; })()", Patience);
            Assert.Contains(ticker, m => m.Contains("Rep bob won a 6,000.00", StringComparison.Ordinal));
            Assert.Contains(ticker, m => m.Contains("Rep ann won a 7,000.00", StringComparison.Ordinal));
            Assert.Contains(ticker, m => m.Contains("Rep bob won a 9,000.00", StringComparison.Ordinal));
            Assert.True(await page.EvalAsync<int>("window.salesopsScreen.connects") >= 2);
        }
        finally
        {
            await plain.DisposeAsync();
        }
    }

    private static V1.Channel Channel(string name, string title, params V1.BoardSlide[] boards)
    {
        var channel = new V1.Channel { Name = name, Title = title };
        channel.Slides.Add(boards.Select(b => new V1.Slide { Duration = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)), Board = b }));
        return channel;
    }

    private static V1.BoardSlide Board(string region, V1.LeaderboardMetric metric) => new() { ScopeRegionId = region, Metric = metric, Top = 10 };

    private sealed record Celebration(string RepName, long AmountMinor, string CustomerName, long Sequence);
}
