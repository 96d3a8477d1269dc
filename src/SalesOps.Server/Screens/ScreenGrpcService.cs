using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Access;
using SalesOps.Server.Api;
using SalesOps.Server.Push;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Screens;

/// <summary>
/// Channels of office screens, and the one stream a screen holds (screens.proto). The stream is the watch RPCs'
/// own loops — a board per slide, the alerts of the viewer's region — multiplexed onto one call, so a browser on
/// HTTP/1.1 (six connections per host) needs one connection per screen; every board is authorized by the same
/// <see cref="AccessPolicy"/> rule as <c>WatchLeaderboard</c>, for the caller of the screen.
/// </summary>
public sealed class ScreenGrpcService(
    GrainRefs grains,
    ChannelDirectory directory,
    KnownEntities known,
    AccessPolicy policy,
    RegionTree regions,
    EngineSettings settings,
    EngineClock clock,
    IHostApplicationLifetime lifetime,
    RepTargets targets,
    RegionFigures figures,
    IServiceProvider services)
    : V1.ScreenService.ScreenServiceBase
{
    /// <summary>How often an open screen looks for a changed channel.</summary>
    public static readonly TimeSpan ChannelPoll = TimeSpan.FromSeconds(5);

    /// <summary>A message at least this often, so a screen tells a quiet office from a dead connection.</summary>
    public static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(15);

    /// <summary>How often a screen's target-progress and team slides look at their regions' figures.</summary>
    public static readonly TimeSpan FiguresPoll = TimeSpan.FromSeconds(1);

    /// <summary>Figure slides are sent again at least this many looks apart, so their pace markers move with time.</summary>
    private const int FiguresRefreshPolls = 60;

    private static readonly string WatchLeaderboardMethod = $"/{V1.WatchService.Descriptor.FullName}/WatchLeaderboard";
    private static readonly string WatchAlertsMethod = $"/{V1.WatchService.Descriptor.FullName}/WatchAlerts";

    public override async Task<V1.PutChannelResponse> PutChannel(V1.PutChannelRequest request, ServerCallContext context)
    {
        var channel = ChannelRules.Normalize(request.Channel);
        channel.UpdatedAt = Timestamp.FromDateTimeOffset(clock.Now);
        await directory.PutAsync(channel.Name, channel.ToByteArray());
        return new V1.PutChannelResponse { Channel = channel };
    }

    public override async Task<V1.GetChannelResponse> GetChannel(V1.GetChannelRequest request, ServerCallContext context)
    {
        var name = ChannelRules.Name(request.Name);
        return new V1.GetChannelResponse { Channel = await LoadAsync(name) };
    }

    public override async Task<V1.ListChannelsResponse> ListChannels(V1.ListChannelsRequest request, ServerCallContext context)
    {
        var stored = await directory.GetAsync();
        var all = stored.Channels.Values.Select(V1.Channel.Parser.ParseFrom).ToList();
        if (!stored.Channels.ContainsKey(ChannelRules.DefaultName))
        {
            all.Add(ChannelRules.BuiltInDefault());
        }

        var response = new V1.ListChannelsResponse();
        response.Channels.Add(all.OrderBy(c => c.Name, StringComparer.Ordinal));
        return response;
    }

    public override async Task<V1.DeleteChannelResponse> DeleteChannel(V1.DeleteChannelRequest request, ServerCallContext context)
    {
        var name = ChannelRules.Name(request.Name);
        var removed = await directory.DeleteAsync(name);
        if (!removed && name != ChannelRules.DefaultName)
        {
            throw RequestGuard.NotFound("name", $"there is no channel {Echo.Quote(name)}");
        }

        return new V1.DeleteChannelResponse { DefaultRestored = name == ChannelRules.DefaultName };
    }

    public override async Task WatchScreen(V1.WatchScreenRequest request, IServerStreamWriter<V1.WatchScreenResponse> responseStream, ServerCallContext context)
    {
        var name = ChannelRules.Name(request.Name);
        if (request.HasAfterSequence && request.AfterSequence < 0)
        {
            throw RequestGuard.Invalid("after_sequence", "after_sequence must not be negative");
        }

        var caller = AccessRegistration.CallerOf(context.GetHttpContext()) ?? throw ApiErrors.Unauthenticated();
        var channel = await LoadAsync(name);
        var view = await ViewAsync(caller, channel);

        // Headers first: the parts below start writing only once the screen knows its stream is live.
        await context.WriteResponseHeadersAsync([]);
        var outbox = Channel.CreateBounded<V1.WatchScreenResponse>(new BoundedChannelOptions(64) { SingleReader = true });
        // A server shutting down ends the stream (OK), so screens reconnect to it, or to another server, at once.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var watch = ActivatorUtilities.CreateInstance<WatchGrpcService>(services);
        var parts = new List<Task>();

        // A part that fails ends the screen's stream with its status (a resume point for alerts, a cut-off); the
        // writer below is given a little while to pass it on before everything stops.
        async Task RunAsync(Func<CancellationToken, Task> part, CancellationToken token)
        {
            try
            {
                await part(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                outbox.Writer.TryComplete(ex);
                stop.CancelAfter(TimeSpan.FromSeconds(5));
            }
        }

        (CancellationTokenSource Stop, List<Task> Running) StartSlides(ScreenView v)
        {
            var boards = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var running = new List<Task>();
            for (var i = 0; i < v.Boards.Count; i++)
            {
                var slide = i;
                var board = v.Boards[i];
                if (board is null)
                {
                    continue;
                }

                var writer = new ForwardingWriter<V1.WatchLeaderboardResponse, V1.WatchScreenResponse>(outbox.Writer, u => BoardUpdateAsync(slide, board, u));
                running.Add(RunAsync(t => watch.WatchLeaderboard(board.Clone(), writer, new PartContext(context, t)), boards.Token));
            }

            if (v.Figures.Count > 0)
            {
                running.Add(RunAsync(t => FiguresAsync(v.Figures, outbox.Writer, t), boards.Token));
            }

            return (boards, running);
        }

        // Where the alerts start is told to the screen, so that even one that sees no alert before a drop resumes
        // from there (a screen asking for new alerts only starts after the latest one now).
        var alertRequest = new V1.WatchAlertsRequest { ScopeRegionId = view.AlertScope, AlertLogId = request.AlertLogId };
        alertRequest.AfterSequence = request.HasAfterSequence ? request.AfterSequence : view.LatestAlert;
        view.Screen.AlertsAfterSequence = request.HasAfterSequence ? request.AfterSequence : view.LatestAlert;
        await outbox.Writer.WriteAsync(new V1.WatchScreenResponse { Channel = view.Screen }, stop.Token);

        var alertWriter = new ForwardingWriter<V1.WatchAlertsResponse, V1.WatchScreenResponse>(outbox.Writer, a => ValueTask.FromResult(new V1.WatchScreenResponse { Alert = a }));
        parts.Add(RunAsync(t => watch.WatchAlerts(alertRequest, alertWriter, new PartContext(context, t)), stop.Token));
        var current = StartSlides(view);

        // Looks for a changed channel (or a month that turned, for slides of the current one), and keeps the connection
        // visibly alive. A failed look is tried again next time: it ends no screen.
        parts.Add(RunAsync(
            async t =>
            {
                var sinceBeat = TimeSpan.Zero;
                while (true)
                {
                    await Task.Delay(ChannelPoll, t);
                    sinceBeat += ChannelPoll;
                    V1.Channel latest;
                    try
                    {
                        latest = await LoadAsync(name);
                    }
                    catch (Exception ex) when (ex is not RpcException && !t.IsCancellationRequested)
                    {
                        continue;
                    }

                    if (!latest.Equals(channel) || view.CurrentPeriod != CurrentPeriod())
                    {
                        channel = latest;
                        var next = await ViewAsync(caller, latest);
                        if (next.AlertScope != view.AlertScope)
                        {
                            // Another region's alerts: the screen reconnects (at once) for them, where it left off.
                            outbox.Writer.TryComplete();
                            return;
                        }

                        view = next;
                        await current.Stop.CancelAsync();
                        await Task.WhenAll(current.Running);
                        current.Stop.Dispose();
                        await outbox.Writer.WriteAsync(new V1.WatchScreenResponse { Channel = view.Screen }, t);
                        current = StartSlides(view);
                    }

                    if (sinceBeat >= HeartbeatEvery)
                    {
                        sinceBeat = TimeSpan.Zero;
                        await outbox.Writer.WriteAsync(new V1.WatchScreenResponse { Heartbeat = new V1.ScreenHeartbeat { SentAt = Timestamp.FromDateTimeOffset(clock.Now) } }, t);
                    }
                }
            },
            stop.Token));

        try
        {
            await foreach (var message in outbox.Reader.ReadAllAsync(stop.Token))
            {
                await responseStream.WriteAsync(message, stop.Token);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The screen went away, or the server is stopping.
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(parts);
            await Task.WhenAll(current.Running);
            current.Stop.Dispose();
        }
    }

    /// <summary>
    /// Keeps a screen's target-progress and team slides current: each is sent at once, then when a figure changes, and
    /// now and then for the pace markers. A failed look is tried again next time: it ends no screen.
    /// </summary>
    private async Task FiguresAsync(List<FigureSlide> slides, ChannelWriter<V1.WatchScreenResponse> outbox, CancellationToken cancellation)
    {
        var sent = new V1.ScreenFiguresUpdate?[slides.Count];
        var age = new int[slides.Count];
        while (true)
        {
            for (var i = 0; i < slides.Count; i++)
            {
                V1.ScreenFiguresUpdate update;
                try
                {
                    update = await figures.UpdateAsync(slides[i], clock.Now).WaitAsync(cancellation);
                }
                catch (Exception) when (!cancellation.IsCancellationRequested)
                {
                    continue;
                }

                if (sent[i] is { } last && RegionFigures.SameFigures(last, update) && ++age[i] < FiguresRefreshPolls)
                {
                    continue;
                }

                await outbox.WriteAsync(new V1.WatchScreenResponse { Figures = update }, cancellation);
                sent[i] = update;
                age[i] = 0;
            }

            await Task.Delay(FiguresPoll, cancellation);
        }
    }

    /// <summary>A board's update as a screen gets it: with where the pace marker stands and the targets of its changed rows.</summary>
    private async ValueTask<V1.WatchScreenResponse> BoardUpdateAsync(int slide, V1.WatchLeaderboardRequest board, V1.WatchLeaderboardResponse update)
    {
        var period = Period.TryParse(board.Period, out var p) ? p : RequestGuard.PeriodOrCurrent(board.Period, settings, clock);
        var message = new V1.ScreenBoardUpdate { Slide = slide, Update = update, ElapsedShare = settings.Calendar.ElapsedShare(period, clock.Now) };
        if (RepTargets.MetricOf(RequestGuard.Metric(board.Metric)) is { } metric)
        {
            foreach (var row in update.Entries)
            {
                if (await targets.MustAchieveAsync(row.RepId, period, metric) is { } must)
                {
                    message.Targets.Add(new V1.ScreenRowTarget { RepId = row.RepId, MustAchieve = must, MustAttainment = row.Score / must });
                }
            }
        }

        return new V1.WatchScreenResponse { Board = message };
    }

    /// <summary>A channel by name: the stored one, the built-in default, or NOT_FOUND.</summary>
    private async Task<V1.Channel> LoadAsync(string name)
    {
        var stored = await directory.GetAsync();
        if (stored.Channels.TryGetValue(name, out var bytes))
        {
            return V1.Channel.Parser.ParseFrom(bytes);
        }

        return name == ChannelRules.DefaultName
            ? ChannelRules.BuiltInDefault()
            : throw RequestGuard.NotFound("name", $"there is no channel {Echo.Quote(name)}; an administrator defines channels with ScreenService.PutChannel (PUT /v1/channels/<name> on the web port), and \"default\" always exists");
    }

    /// <summary>A channel as a viewer sees it, every region its slides show authorized for them.</summary>
    /// <param name="CurrentPeriod">The current month when the view was made: slides of "the current month" show it.</param>
    /// <param name="LatestAlert">The alert log's latest sequence when the view was made.</param>
    private sealed record ScreenView(V1.ScreenChannel Screen, List<V1.WatchLeaderboardRequest?> Boards, List<FigureSlide> Figures, string AlertScope, string CurrentPeriod, long LatestAlert);

    private string CurrentPeriod() => RequestGuard.PeriodOrCurrent("", settings, clock).ToString();

    private async Task<ScreenView> ViewAsync(Caller caller, V1.Channel stored)
    {
        var channel = stored.Clone();
        var boards = new List<V1.WatchLeaderboardRequest?>(channel.Slides.Count);
        var figureSlides = new List<FigureSlide>();
        var shown = new HashSet<string>(StringComparer.Ordinal);

        // A region a slide shows, as the viewer may see it, and defined: a board's scope as WatchLeaderboard of it; a
        // target progress's region and each team as WatchAlerts of it — the same roles and subtrees, but company boards
        // being readable by all (Auth:CompanyBoardsVisibleToAll) does not open the company's totals and targets.
        async Task<string> RegionAsync(int slide, string scope, string field, V1.WatchLeaderboardRequest? board = null)
        {
            string requested;
            try
            {
                if (board is not null)
                {
                    await policy.AuthorizeAsync(caller, WatchLeaderboardMethod, board);
                    requested = board.ScopeRegionId;
                }
                else
                {
                    var figures = new V1.WatchAlertsRequest { ScopeRegionId = scope };
                    await policy.AuthorizeAsync(caller, WatchAlertsMethod, figures);
                    requested = figures.ScopeRegionId;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
            {
                throw ApiErrors.Denied(field, $"channel {Echo.Quote(stored.Name)}, slide {slide + 1}: {e.Status.Detail}");
            }

            var id = RequestGuard.ScopeId(requested);
            if (!await known.ExistsAsync(new EntityRef(EntityKind.Region, id, field)))
            {
                throw RequestGuard.NotFound(field, $"channel {Echo.Quote(stored.Name)}, slide {slide + 1}: region {Echo.Quote(id)} is not defined");
            }

            shown.Add(id);
            return id;
        }

        for (var i = 0; i < channel.Slides.Count; i++)
        {
            var slide = channel.Slides[i];
            boards.Add(null);
            switch (slide.KindCase)
            {
                case V1.Slide.KindOneofCase.Board:
                {
                    var board = new V1.WatchLeaderboardRequest
                    {
                        ScopeRegionId = slide.Board.ScopeRegionId,
                        Period = slide.Board.Period,
                        Metric = slide.Board.Metric,
                        Top = slide.Board.Top,
                    };
                    board.ScopeRegionId = await RegionAsync(i, board.ScopeRegionId, $"slides[{i}].board.scope_region_id", board);
                    board.Period = RequestGuard.PeriodOrCurrent(board.Period, settings, clock).ToString();
                    slide.Board.ScopeRegionId = board.ScopeRegionId;
                    slide.Board.Period = board.Period;
                    slide.Title = ChannelRules.TitleOf(slide, board.Period);
                    boards[i] = board;
                    break;
                }

                case V1.Slide.KindOneofCase.TargetProgress:
                {
                    var progress = slide.TargetProgress;
                    progress.ScopeRegionId = await RegionAsync(i, progress.ScopeRegionId, $"slides[{i}].target_progress.scope_region_id");
                    var period = RequestGuard.PeriodOrCurrent(progress.Period, settings, clock);
                    progress.Period = period.ToString();
                    slide.Title = ChannelRules.TitleOf(slide, progress.Period);
                    figureSlides.Add(new FigureSlide(i, slide.KindCase, [progress.ScopeRegionId], period, [.. progress.Metrics.Select(ChannelRules.Metric)], false));
                    break;
                }

                case V1.Slide.KindOneofCase.Team:
                {
                    var team = slide.Team;
                    for (var j = 0; j < team.RegionIds.Count; j++)
                    {
                        // An empty id would mean the viewer's own region; a team is always named.
                        team.RegionIds[j] = await RegionAsync(i, RequestGuard.Id(team.RegionIds[j], $"slides[{i}].team.region_ids[{j}]"), $"slides[{i}].team.region_ids[{j}]");
                    }

                    var period = RequestGuard.PeriodOrCurrent(team.Period, settings, clock);
                    team.Period = period.ToString();
                    slide.Title = ChannelRules.TitleOf(slide, team.Period);
                    figureSlides.Add(new FigureSlide(i, slide.KindCase, [.. team.RegionIds], period, [ChannelRules.Metric(team.Metric)], team.RankByAttainment));
                    break;
                }
            }
        }

        // The screen's region: the channel's alert region, else the smallest region holding every region its slides
        // show (an office's screen shows that office's alerts, whoever's key opened it), else the viewer's own; its
        // alerts are authorized as WatchAlerts of it.
        V1.WatchAlertsRequest alerts;
        if (channel.AlertRegionId.Length > 0)
        {
            alerts = new V1.WatchAlertsRequest { ScopeRegionId = channel.AlertRegionId };
            try
            {
                await policy.AuthorizeAsync(caller, WatchAlertsMethod, alerts);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
            {
                throw ApiErrors.Denied("alert_region_id", $"channel {Echo.Quote(stored.Name)}: {e.Status.Detail}");
            }

            if (!await known.ExistsAsync(new EntityRef(EntityKind.Region, channel.AlertRegionId, "alert_region_id")))
            {
                throw RequestGuard.NotFound("alert_region_id", $"channel {Echo.Quote(stored.Name)}: region {Echo.Quote(channel.AlertRegionId)} is not defined");
            }
        }
        else
        {
            alerts = new V1.WatchAlertsRequest { ScopeRegionId = shown.Count > 0 ? await regions.CommonAncestorAsync(shown) : "" };
            try
            {
                await policy.AuthorizeAsync(caller, WatchAlertsMethod, alerts);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied && alerts.ScopeRegionId.Length > 0)
            {
                // Slides of regions apart (a company board beside the office's own): the viewer's own alerts.
                alerts = new V1.WatchAlertsRequest();
                await policy.AuthorizeAsync(caller, WatchAlertsMethod, alerts);
            }
        }

        var region = RequestGuard.ScopeId(alerts.ScopeRegionId);
        var screen = new V1.ScreenChannel
        {
            Channel = channel,
            RegionId = region,
            RegionName = await regions.NameAsync(region),
            CurrencyCode = settings.CurrencyCode,
            CompanyName = await regions.NameAsync(RegionState.CompanyId),
            CelebrateFromMinorUnits = Math.Max(channel.CelebrateFromMinorUnits, settings.BigDealThreshold),
        };
        var range = await grains.AlertLog.RangeAsync();
        screen.AlertLogId = WatchGrpcService.LogId(range.Epoch);
        if (channel.Title.Length == 0)
        {
            channel.Title = screen.RegionName;
        }

        return new ScreenView(screen, boards, figureSlides, region == RegionState.CompanyId ? "" : region, CurrentPeriod(), range.Newest);
    }
}
