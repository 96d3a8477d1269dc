using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Access;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Screens;

// The channel as a viewer sees it: its slides' regions resolved and authorized, and the screen's alert region.
public sealed partial class ScreenGrpcService
{
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
                    figureSlides.Add(new FigureSlide(i, slide.KindCase, [progress.ScopeRegionId], period, [.. progress.Metrics.Select(ProtoMapper.FromWire)], false));
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
                    figureSlides.Add(new FigureSlide(i, slide.KindCase, [.. team.RegionIds], period, [ProtoMapper.FromWire(team.Metric)], team.RankByAttainment));
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
