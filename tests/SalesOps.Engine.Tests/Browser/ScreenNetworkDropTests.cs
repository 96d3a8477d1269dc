using Google.Protobuf.WellKnownTypes;
using SalesOps.Engine.Tests.Access;
using SalesOps.TestSupport.Net;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Browser;

/// <summary>
/// The office's network drops under a screen (in a real headless Chromium, through a relay the test unplugs): the
/// screen says so, keeps retrying while its retries are refused, and once the network is back resumes its stream and
/// shows the alerts raised meanwhile.
/// </summary>
[Collection(ScreenCollection.Name)]
public sealed class ScreenNetworkDropTests(ScreenFixture server)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AfterANetworkDrop_TheScreenSaysSo_RecoversByItself_AndMissesNoAlertRaisedMeanwhile()
    {
        var s = new Scenario("scr-net");
        await server.IngestAsync(
        [
            s.Region("lab"), s.Customer("acme"), s.Rep("ann", "lab"), s.Rep("bob", "lab"),
            s.Open("o1", "ann", "acme", 600_000), s.Open("o2", "bob", "acme", 800_000),
        ]);
        var channel = new V1.Channel { Name = "lab-office", Title = "Lab" };
        channel.Slides.Add(new V1.Slide { Duration = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)), Board = new V1.BoardSlide { ScopeRegionId = s.Id("lab"), Metric = V1.LeaderboardMetric.Bookings } });
        await server.PutChannelAsync(channel);

        await using var cable = LoopbackCable.To(server.WebPort);
        await using var page = await server.Browser.OpenPageAsync(1920, 1080);
        await page.GotoAsync($"http://127.0.0.1:{cable.Port}/screen/lab-office?rotate=0&celebration=1#key={Uri.EscapeDataString(AccessFixture.AdminKey)}");
        // Live, with its channel and board: it knows where its alerts start.
        await page.WaitForAsync<bool>("window.salesopsScreen?.state === 'live' && window.salesopsScreen.lastSequence !== null && window.salesopsScreen.boards[0] !== undefined", Patience);

        cable.Unplug();
        await page.WaitForAsync<bool>(
            "window.salesopsScreen.state === 'reconnecting' && document.querySelector('#status').classList.contains('visible') && /Reconnecting/.test(document.querySelector('#status').textContent)", Patience);

        // Two big deals are won while the office is offline; the screen's retries meanwhile are refused.
        await server.IngestAsync([s.Won("o1", 3), s.Won("o2", 4)]);
        var refusedFrom = cable.Connections;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("reconnecting", await page.EvalAsync<string>("window.salesopsScreen.state"));

        cable.Plug();
        await page.WaitForAsync<bool>("window.salesopsScreen.state === 'live' && !document.querySelector('#status').classList.contains('visible')", TimeSpan.FromSeconds(40));
        Assert.True(cable.Connections > refusedFrom, "the screen came back over a new connection");

        var ticker = await page.WaitForAsync<string[]>(
            "(() => { const t = window.salesopsScreen.tickerMessages; return t.filter(m => m.includes('won a')).length >= 2 ? t : null; })()", Patience);
        Assert.Contains(ticker, m => m.Contains("Rep ann won a 6,000.00", StringComparison.Ordinal));
        Assert.Contains(ticker, m => m.Contains("Rep bob won a 8,000.00", StringComparison.Ordinal));
        Assert.Equal(s.Id("bob"), await page.WaitForAsync<string>(
            $"(() => {{ const r = document.querySelector('.board-row[data-rep-id=\"{s.Id("bob")}\"] .rank'); return r && r.textContent.trim() === '1' ? '{s.Id("bob")}' : null; }})()", Patience));
    }
}
