using System.Net;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using SalesOps.Server.Screens;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// Office screen channels and the screen stream through the real server: gRPC, its JSON form and gRPC-Web over
/// HTTP/1.1 on the web port, and the <c>channels</c> command.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ScreenApiTests(ServerFixture server)
{
    private static DateTime Due => DateTime.UtcNow.AddSeconds(20);

    private V1.ScreenService.ScreenServiceClient Screens => new(server.Channel);

    [Fact]
    public async Task Channels_AreStored_Listed_Replaced_AndDeleted_AndTheDefaultAlwaysExists()
    {
        var put = await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = Channel("api-lobby", V1.LeaderboardMetric.Bookings) }, deadline: Due);
        Assert.Equal(("api-lobby", 15L, 10), (put.Channel.Name, put.Channel.Slides[0].Duration.Seconds, put.Channel.Slides[0].Board.Top)); // defaults filled in
        Assert.NotNull(put.Channel.UpdatedAt);
        Assert.Equal(put.Channel, (await Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "api-lobby" }, deadline: Due)).Channel);

        var listed = (await Screens.ListChannelsAsync(new V1.ListChannelsRequest(), deadline: Due)).Channels.Select(c => c.Name).ToList();
        Assert.Contains("api-lobby", listed);
        Assert.Contains(ChannelRules.DefaultName, listed);
        Assert.Equal(listed.Order(StringComparer.Ordinal), listed);

        var builtIn = (await Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "default" }, deadline: Due)).Channel;
        Assert.Equal(4, builtIn.Slides.Count);
        Assert.False((await Screens.DeleteChannelAsync(new V1.DeleteChannelRequest { Name = "api-lobby" }, deadline: Due)).DefaultRestored);
        var gone = await Assert.ThrowsAsync<RpcException>(() => Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "api-lobby" }, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "name"), (gone.StatusCode, Field(gone)));
        Assert.True((await Screens.DeleteChannelAsync(new V1.DeleteChannelRequest { Name = "default" }, deadline: Due)).DefaultRestored);
    }

    [Theory]
    [InlineData("Upper", "channel.name")]
    [InlineData("no-slides", "channel.slides")]
    [InlineData("short-slide", "channel.slides[0].duration")]
    [InlineData("no-metric", "channel.slides[0].board.metric")]
    [InlineData("too-many-rows", "channel.slides[0].board.top")]
    [InlineData("bad-period", "channel.slides[0].board.period")]
    [InlineData("no-kind", "channel.slides[0]")]
    [InlineData("one-team", "channel.slides[0].team.region_ids")]
    [InlineData("same-team", "channel.slides[0].team.region_ids[1]")]
    [InlineData("team-no-metric", "channel.slides[0].team.metric")]
    [InlineData("bad-team-id", "channel.slides[0].team.region_ids[0]")]
    [InlineData("progress-twice", "channel.slides[0].target_progress.metrics[1]")]
    [InlineData("progress-bad-metric", "channel.slides[0].target_progress.metrics[0]")]
    [InlineData("progress-period", "channel.slides[0].target_progress.period")]
    public async Task ABadChannel_IsRefusedNamingTheField_AndChangesNothing(string name, string field)
    {
        var channel = Channel(name, V1.LeaderboardMetric.Bookings);
        var board = channel.Slides[0].Board;
        switch (name)
        {
            case "no-slides": channel.Slides.Clear(); break;
            case "short-slide": channel.Slides[0].Duration = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)); break;
            case "no-metric": board.Metric = V1.LeaderboardMetric.Unspecified; break;
            case "too-many-rows": board.Top = 21; break;
            case "bad-period": board.Period = "2026-13"; break;
            case "no-kind": channel.Slides[0].ClearKind(); break;
            case "one-team": channel.Slides[0].Team = new V1.TeamSlide { RegionIds = { "east" }, Metric = V1.TargetMetric.Bookings }; break;
            case "same-team": channel.Slides[0].Team = new V1.TeamSlide { RegionIds = { "east", "east" }, Metric = V1.TargetMetric.Bookings }; break;
            case "team-no-metric": channel.Slides[0].Team = new V1.TeamSlide { RegionIds = { "east", "west" } }; break;
            case "bad-team-id": channel.Slides[0].Team = new V1.TeamSlide { RegionIds = { "", "west" }, Metric = V1.TargetMetric.Bookings }; break;
            case "progress-twice": channel.Slides[0].TargetProgress = new V1.TargetProgressSlide { Metrics = { V1.TargetMetric.Bookings, V1.TargetMetric.Bookings } }; break;
            case "progress-bad-metric": channel.Slides[0].TargetProgress = new V1.TargetProgressSlide { Metrics = { (V1.TargetMetric)99 } }; break;
            case "progress-period": channel.Slides[0].TargetProgress = new V1.TargetProgressSlide { Period = "Q4" }; break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: Due).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, field), (e.StatusCode, Field(e)));
        Assert.DoesNotContain((await Screens.ListChannelsAsync(new V1.ListChannelsRequest(), deadline: Due)).Channels, c => c.Name == name);
    }

    [Fact]
    public async Task TheScreenStream_CarriesTheChannel_EachBoardWithNames_ThenAlerts_AndAChangedChannel()
    {
        var s = new Scenario("api-scr");
        await server.SendBatchAsync("setup", s.Region("r"), s.Customer("acme"), s.Rep("ann", "r"), s.Rep("bob", "r"),
            s.Open("o1", "ann", "acme", 30_000), s.Won("o1", 2), s.Activity("bob", 3), s.Activity("bob", 4));
        await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = Channel("api-r", V1.LeaderboardMetric.Bookings, V1.LeaderboardMetric.Activities, s.Id("r")) }, deadline: Due);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Screens.WatchScreen(new V1.WatchScreenRequest { Name = "api-r" }, cancellationToken: cts.Token);
        var stream = call.ResponseStream;
        Assert.True(await stream.MoveNext(cts.Token));
        var first = stream.Current.Channel;
        Assert.Equal(("Region r", "USD", "2026-11", "Bookings 2026-11"), (first.Channel.Title, first.CurrencyCode, first.Channel.Slides[0].Board.Period, first.Channel.Slides[0].Title));

        var boards = new Dictionary<int, V1.WatchLeaderboardResponse>();
        while (boards.Count < 2)
        {
            Assert.True(await stream.MoveNext(cts.Token));
            if (stream.Current.Board is { Update.Snapshot: true } b)
            {
                boards[b.Slide] = b.Update;
            }
        }

        Assert.Equal(("Rep ann", "Region r", 30_000d), (boards[0].Entries[0].RepName, boards[0].Entries[0].RegionName, boards[0].Entries[0].Score));
        Assert.Equal(("Rep bob", 2d), (boards[1].Entries[0].RepName, boards[1].Entries[0].Score));

        // A big win reaches the screen as an alert, and as a board change.
        await server.SendBatchAsync("win", s.Open("big", "bob", "acme", 900_000, h: 5), s.Won("big", 6));
        V1.WatchAlertsResponse? alert = null;
        while (alert is null)
        {
            Assert.True(await stream.MoveNext(cts.Token));
            alert = stream.Current.Alert is { BigDealWon.OpportunityId: var id } a && id == s.Id("big") ? a : null;
        }

        Assert.Equal(("Rep bob", "Customer acme"), (alert.BigDealWon.OwnerRepName, alert.BigDealWon.CustomerName));

        // An administrator changes the channel: the open screen gets it.
        await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = Channel("api-r", V1.LeaderboardMetric.Collections, null, s.Id("r")) }, deadline: Due);
        V1.ScreenChannel? changed = null;
        while (changed is null)
        {
            Assert.True(await stream.MoveNext(cts.Token));
            changed = stream.Current.Channel;
        }

        Assert.Equal(V1.LeaderboardMetric.Collections, Assert.Single(changed.Channel.Slides).Board.Metric);
    }

    [Fact]
    public async Task TargetProgressAndTeamSlides_ShowTheRegionsOwnFigures_AndFollowAWin()
    {
        var s = new Scenario("api-fig");
        await server.SendBatchAsync("setup", s.Region("t"), s.Region("a", "t"), s.Region("b", "t"), s.Customer("acme"), s.Rep("ann", "a"), s.Rep("bob", "b"),
            s.RegionTarget("a", "2026-11", 100_000), s.RegionTarget("b", "2026-11", 20_000),
            s.Open("o1", "ann", "acme", 60_000), s.Won("o1", 2), s.Open("o2", "bob", "acme", 15_000), s.Won("o2", 2));
        var channel = new V1.Channel
        {
            Name = "api-figures",
            Slides =
            {
                new V1.Slide { TargetProgress = new V1.TargetProgressSlide { ScopeRegionId = s.Id("a"), Metrics = { V1.TargetMetric.Bookings, V1.TargetMetric.Activities } } },
                new V1.Slide { Team = new V1.TeamSlide { RegionIds = { s.Id("b"), s.Id("a") }, Metric = V1.TargetMetric.Bookings } },
                new V1.Slide { Team = new V1.TeamSlide { RegionIds = { s.Id("a"), s.Id("b") }, Metric = V1.TargetMetric.Bookings, RankByAttainment = true } },
                new V1.Slide { TargetProgress = new V1.TargetProgressSlide { ScopeRegionId = s.Id("t") } },
            },
        };
        await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: Due);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = Screens.WatchScreen(new V1.WatchScreenRequest { Name = "api-figures" }, cancellationToken: cts.Token);
        var stream = call.ResponseStream;
        Assert.True(await stream.MoveNext(cts.Token));
        var first = stream.Current.Channel.Channel;
        Assert.Equal(("2026-11", "Targets 2026-11", "Bookings 2026-11: team against team"), (first.Slides[0].TargetProgress.Period, first.Slides[0].Title, first.Slides[1].Title));
        // Its alerts: those of the smallest region holding every region it shows (a, b and t: t).
        Assert.Equal((s.Id("t"), "Region t"), (stream.Current.Channel.RegionId, stream.Current.Channel.RegionName));

        async Task<V1.ScreenFiguresUpdate> NextFiguresAsync(int slide, Func<V1.ScreenFiguresUpdate, bool>? until = null)
        {
            while (true)
            {
                Assert.True(await stream.MoveNext(cts.Token));
                if (stream.Current.Figures is { } f && f.Slide == slide && (until is null || until(f)))
                {
                    return f;
                }
            }
        }

        // The latest figures of each slide, once the wins have reached the regions (an acknowledgement does not wait
        // for the roll-up): sent again as they change.
        var figures = new Dictionary<int, V1.ScreenFiguresUpdate>();
        bool Settled(int slide, long actual) => figures.TryGetValue(slide, out var f) && f.Rows.Count > 0 && f.Rows.Min(r => r.Metric == V1.TargetMetric.Bookings ? r.Actual : long.MaxValue) >= actual;
        while (!(Settled(0, 60_000) && Settled(1, 15_000) && Settled(2, 15_000) && figures.ContainsKey(3)))
        {
            Assert.True(await stream.MoveNext(cts.Token));
            if (stream.Current.Figures is { } f)
            {
                figures[f.Slide] = f;
            }
        }

        // The region's figures as GetRegion gives them: what the slides must show.
        var query = new V1.QueryService.QueryServiceClient(server.Channel);
        async Task<V1.TargetFigure> BookingsOfAsync(string region) =>
            (await query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id(region), Period = "2026-11" }, deadline: Due)).Figures.Targets
            .Single(t => t.Metric == V1.TargetMetric.Bookings && t.Dimension is null);
        var a = await BookingsOfAsync("a");
        var b = await BookingsOfAsync("b");

        var progress = figures[0];
        Assert.Equal(a.ElapsedShare, progress.ElapsedShare, 3);
        Assert.Equal(
            [(V1.TargetMetric.Bookings, a.Actual, a.MustAchieve, a.MustAttainment), (V1.TargetMetric.Activities, 0L, 0L, 0d)],
            progress.Rows.Select(r => (r.Metric, r.Actual, r.MustAchieve, r.MustAttainment)));
        Assert.Equal(("Region a", 60_000L, 0.6), (progress.Rows[0].RegionName, progress.Rows[0].Actual, progress.Rows[0].MustAttainment));
        Assert.Equal(a.Pace, progress.Rows[0].Pace, 3);

        // By the figure: a (60,000) leads b (15,000); by share of their own targets b (75%) leads a (60%).
        Assert.Equal([(s.Id("a"), a.Actual, 1), (s.Id("b"), b.Actual, 2)], figures[1].Rows.Select(r => (r.RegionId, r.Actual, r.Rank)));
        Assert.Equal([(s.Id("b"), 0.75, 1), (s.Id("a"), 0.6, 2)], figures[2].Rows.Select(r => (r.RegionId, r.MustAttainment, r.Rank)));

        // A region without targets, its metrics not named: nothing to show (a screen passes over the slide).
        Assert.Empty(figures[3].Rows);

        // A win overtakes: the team slide follows within the poll, without a new channel.
        await server.SendBatchAsync("overtake", s.Open("o3", "bob", "acme", 50_000, h: 3), s.Won("o3", 4));
        var after = await NextFiguresAsync(1, f => f.Rows[0].RegionId == s.Id("b"));
        Assert.Equal([(s.Id("b"), 65_000L, 1), (s.Id("a"), 60_000L, 2)], after.Rows.Select(r => (r.RegionId, r.Actual, r.Rank)));
        Assert.Equal((await BookingsOfAsync("b")).Actual, after.Rows[0].Actual);
    }

    [Fact]
    public async Task AChannelsAlertRegion_IsTheScreensRegion_AndAnUnknownOneIsNotFound()
    {
        var s = new Scenario("api-alr");
        await server.SendBatchAsync("setup", s.Region("t"), s.Region("a", "t"), s.Region("b", "t"));
        var channel = new V1.Channel
        {
            Name = "api-alerts-of-a",
            AlertRegionId = s.Id("a"),
            Slides = { new V1.Slide { Team = new V1.TeamSlide { RegionIds = { s.Id("a"), s.Id("b") }, Metric = V1.TargetMetric.Activities } } },
        };
        await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: Due);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using (var call = Screens.WatchScreen(new V1.WatchScreenRequest { Name = channel.Name }, cancellationToken: cts.Token))
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            Assert.Equal((s.Id("a"), "Region a"), (call.ResponseStream.Current.Channel.RegionId, call.ResponseStream.Current.Channel.RegionName));
        }

        channel.AlertRegionId = s.Id("nowhere");
        await Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: Due);
        using var unknown = Screens.WatchScreen(new V1.WatchScreenRequest { Name = channel.Name }, cancellationToken: cts.Token);
        var e = await Assert.ThrowsAsync<RpcException>(() => unknown.ResponseStream.MoveNext(cts.Token));
        Assert.Equal((StatusCode.NotFound, "alert_region_id"), (e.StatusCode, Field(e)));
    }

    [Fact]
    public async Task TheWebPort_ServesTheScreenStreamAsJsonLines_AndErrorsAsJson_OverHttp11()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress), DefaultRequestVersion = HttpVersion.Version11 };
        using (var response = await http.GetAsync("/v1/channels/default:watch", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal((HttpStatusCode.OK, new Version(1, 1)), (response.StatusCode, response.Version));
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            using var line = JsonDocument.Parse((await reader.ReadLineAsync())!);
            var channel = line.RootElement.GetProperty("channel");
            Assert.Equal("default", channel.GetProperty("channel").GetProperty("name").GetString());
            Assert.Equal("USD", channel.GetProperty("currencyCode").GetString());
        }

        using var missing = await http.GetAsync("/v1/channels/no-such-channel:watch");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync());
        Assert.Equal(5, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("no-such-channel", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var page = await http.GetAsync("/screen/default");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWebPort_ServesGrpcWeb_OverHttp11()
    {
        using var channel = GrpcWeb(GrpcWebMode.GrpcWebText);
        var screens = new V1.ScreenService.ScreenServiceClient(channel);
        Assert.Equal("default", (await screens.GetChannelAsync(new V1.GetChannelRequest { Name = "default" }, deadline: Due)).Channel.Name);
        var query = new V1.QueryService.QueryServiceClient(channel);
        Assert.False(string.IsNullOrEmpty((await query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Due)).CurrencyCode));
    }

    [Fact]
    public async Task ThePagesOfOtherSites_NeverActAsTheDevelopmentIdentity()
    {
        // Without credentials on loopback a call is the development identity (an admin) — but not one a browser was
        // made to send by another site, nor one addressed to another host name (DNS rebinding).
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress) };
        var body = """{"slides":[{"board":{"metric":"LEADERBOARD_METRIC_BOOKINGS"}}]}""";
        foreach (var (header, value) in new[] { ("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Host", "evil.example") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/channels/api-evil") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            if (header == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.Add(header, value);
            }

            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{header}: {value} → {response.StatusCode}");
        }

        Assert.DoesNotContain((await Screens.ListChannelsAsync(new V1.ListChannelsRequest(), deadline: Due)).Channels, c => c.Name == "api-evil");

        // Its own page may (same origin).
        using var own = new HttpRequestMessage(HttpMethod.Get, "/v1/channels/default");
        own.Headers.Add("Origin", server.WebAddress);
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task GrpcWeb_ServesTheReadServicesOnly()
    {
        using var channel = GrpcWeb(GrpcWebMode.GrpcWeb);
        var admin = new V1.AdminService.AdminServiceClient(channel);
        var e = await Assert.ThrowsAnyAsync<RpcException>(() => admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: Due).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, e.StatusCode);
    }

    [Fact]
    public async Task TheChannelsCommand_PutsListsAndDeletesThroughTheServer()
    {
        Assert.Equal(0, await ChannelsCommand.RunAsync(["put", "api-cli", "--boards", "bookings,activities", "--duration", "20s", "--title", "Lobby", "--server", server.Address]));
        var stored = (await Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "api-cli" }, deadline: Due)).Channel;
        Assert.Equal(("Lobby", 2, 20L), (stored.Title, stored.Slides.Count, stored.Slides[1].Duration.Seconds));
        Assert.Equal(0, await ChannelsCommand.RunAsync(["list", "--server", server.Address]));
        Assert.Equal(2, await ChannelsCommand.RunAsync(["put", "api-cli", "--boards", "nope", "--server", server.Address]));

        // A target progress and a team slide, after the boards.
        Assert.Equal(0, await ChannelsCommand.RunAsync(["put", "api-cli", "--boards", "bookings", "--targets", "bookings,new-customers", "--teams", "east,west", "--team-metric", "collections", "--rank", "attainment", "--server", server.Address]));
        stored = (await Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "api-cli" }, deadline: Due)).Channel;
        Assert.Equal([V1.Slide.KindOneofCase.Board, V1.Slide.KindOneofCase.TargetProgress, V1.Slide.KindOneofCase.Team], stored.Slides.Select(x => x.KindCase));
        Assert.Equal([V1.TargetMetric.Bookings, V1.TargetMetric.NewCustomers], stored.Slides[1].TargetProgress.Metrics);
        Assert.Equal(("east,west", V1.TargetMetric.Collections, true), (string.Join(",", stored.Slides[2].Team.RegionIds), stored.Slides[2].Team.Metric, stored.Slides[2].Team.RankByAttainment));
        Assert.Equal(2, await ChannelsCommand.RunAsync(["put", "api-cli", "--teams", "east,west", "--server", server.Address]));
        Assert.Equal(0, await ChannelsCommand.RunAsync(["delete", "api-cli", "--server", server.Address]));
        Assert.Equal(1, await ChannelsCommand.RunAsync(["delete", "api-cli", "--server", server.Address]));
    }

    /// <summary>A gRPC-Web channel to the web port over HTTP/1.1, as a browser's client library makes one.</summary>
    private GrpcChannel GrpcWeb(GrpcWebMode mode) => GrpcChannel.ForAddress(server.WebAddress, new GrpcChannelOptions
    {
        HttpHandler = new GrpcWebHandler(mode, new HttpClientHandler()),
        HttpVersion = HttpVersion.Version11,
        HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    });

    private static V1.Channel Channel(string name, V1.LeaderboardMetric first, V1.LeaderboardMetric? second = null, string region = "")
    {
        var channel = new V1.Channel { Name = name };
        channel.Slides.Add(new V1.Slide { Board = new V1.BoardSlide { Metric = first, ScopeRegionId = region } });
        if (second is { } metric)
        {
            channel.Slides.Add(new V1.Slide { Board = new V1.BoardSlide { Metric = metric, ScopeRegionId = region } });
        }

        return channel;
    }

    private static string? Field(RpcException e) => e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.FirstOrDefault()?.Field;
}
