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
public sealed partial class ScreenGrpcService(
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
        using var watcher = Runtime.Telemetry.EngineMetrics.OpenWatcher(Runtime.Telemetry.WatcherKind.Screen);
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
}
