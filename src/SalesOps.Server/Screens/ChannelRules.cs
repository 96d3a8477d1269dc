using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Screens;

/// <summary>What a channel may hold, its defaults, and the built-in default channel (screens.proto).</summary>
public static partial class ChannelRules
{
    public const string DefaultName = "default";
    public const int MaxSlides = 50;
    public const int MaxTop = 20;
    public const int DefaultTop = 10;
    public const int MaxTitle = 128;
    public const int MaxProgressMetrics = 5;
    public const int MinTeams = 2;
    public const int MaxTeams = 8;
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(10);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>A channel name from a request, or INVALID_ARGUMENT naming <paramref name="field"/>.</summary>
    public static string Name(string? name, string field = "name") =>
        name is { Length: > 0 } n && NamePattern().IsMatch(n)
            ? n
            : throw RequestGuard.Invalid(field, $"{field} must be 1–64 characters of a–z, 0–9 and '-', starting with a letter or digit; got {Echo.Quote(name ?? "")}");

    /// <summary>
    /// The channel as stored: checked field by field (INVALID_ARGUMENT naming the first wrong one), defaults filled
    /// in, output-only fields cleared.
    /// </summary>
    public static V1.Channel Normalize(V1.Channel? channel)
    {
        if (channel is null)
        {
            throw RequestGuard.Invalid("channel", "channel is required");
        }

        var c = channel.Clone();
        c.Name = Name(c.Name, "channel.name");
        c.UpdatedAt = null;
        Title(c.Title, "channel.title");
        if (c.Slides.Count is 0 or > MaxSlides)
        {
            throw RequestGuard.Invalid("channel.slides", $"a channel has 1 to {MaxSlides} slides; got {c.Slides.Count}");
        }

        if (c.AlertRegionId.Length > 0)
        {
            RequestGuard.Id(c.AlertRegionId, "channel.alert_region_id");
        }

        if (c.CelebrateFromMinorUnits < 0)
        {
            throw RequestGuard.Invalid("channel.celebrate_from_minor_units", "celebrate_from_minor_units must not be negative");
        }

        for (var i = 0; i < c.Slides.Count; i++)
        {
            var field = $"channel.slides[{i}]";
            var slide = c.Slides[i];
            Title(slide.Title, field + ".title");
            if (slide.Duration is null)
            {
                slide.Duration = Duration.FromTimeSpan(DefaultDuration);
            }
            else
            {
                var d = slide.Duration.Seconds is >= 0 and <= 3600 && slide.Duration.Nanos is >= 0 and < 1_000_000_000
                    ? slide.Duration.ToTimeSpan()
                    : TimeSpan.MinValue;
                if (d < MinDuration || d > MaxDuration)
                {
                    throw RequestGuard.Invalid(field + ".duration", $"a slide shows for 5 s to 10 min; got {slide.Duration}");
                }
            }

            switch (slide.KindCase)
            {
                case V1.Slide.KindOneofCase.Board:
                    Board(slide.Board, field + ".board");
                    break;
                case V1.Slide.KindOneofCase.TargetProgress:
                    Progress(slide.TargetProgress, field + ".target_progress");
                    break;
                case V1.Slide.KindOneofCase.Team:
                    Team(slide.Team, field + ".team");
                    break;
                default:
                    throw RequestGuard.Invalid(field, $"{field} must say what it shows (board, target_progress or team)");
            }
        }

        return c;
    }

    /// <summary>
    /// The channel named "default" until an administrator puts one: this month's boards of the viewer's region, and its
    /// progress to this month's targets.
    /// </summary>
    public static V1.Channel BuiltInDefault() => new()
    {
        Name = DefaultName,
        Slides =
        {
            BoardSlide("Bookings this month", V1.LeaderboardMetric.Bookings),
            BoardSlide("Activities this month", V1.LeaderboardMetric.Activities),
            BoardSlide("Collections this month", V1.LeaderboardMetric.Collections),

            // Passed over by a screen while the region has no target this month.
            new V1.Slide { Title = "Targets this month", Duration = Duration.FromTimeSpan(DefaultDuration), TargetProgress = new V1.TargetProgressSlide() },
        },
    };

    /// <summary>What a slide is titled when its title is empty.</summary>
    public static string TitleOf(V1.Slide slide, string period) => slide.Title.Length > 0 ? slide.Title : slide.KindCase switch
    {
        V1.Slide.KindOneofCase.Board => $"{MetricName(slide.Board.Metric)} {period}",
        V1.Slide.KindOneofCase.TargetProgress => $"Targets {period}",
        V1.Slide.KindOneofCase.Team => $"{MetricName(slide.Team.Metric)} {period}: team against team",
        _ => period,
    };

    public static string MetricName(V1.TargetMetric metric) => metric switch
    {
        V1.TargetMetric.Bookings => "Bookings",
        V1.TargetMetric.Collections => "Collections",
        V1.TargetMetric.Activities => "Activities",
        V1.TargetMetric.NewCustomers => "New customers",
        V1.TargetMetric.GrossMargin => "Gross margin",
        _ => "Figure",
    };

    public static string MetricName(V1.LeaderboardMetric metric) => metric switch
    {
        V1.LeaderboardMetric.Bookings => "Bookings",
        V1.LeaderboardMetric.Attainment => "Attainment",
        V1.LeaderboardMetric.Collections => "Collections",
        V1.LeaderboardMetric.Activities => "Activities",
        V1.LeaderboardMetric.ForecastAccuracy => "Forecast accuracy",
        _ => "Board",
    };

    private static V1.Slide BoardSlide(string title, V1.LeaderboardMetric metric) => new()
    {
        Title = title,
        Duration = Duration.FromTimeSpan(DefaultDuration),
        Board = new V1.BoardSlide { Metric = metric, Top = DefaultTop },
    };

    private static void Board(V1.BoardSlide board, string field)
    {
        if (board.Metric == V1.LeaderboardMetric.Unspecified || !System.Enum.IsDefined(board.Metric))
        {
            throw RequestGuard.Invalid(field + ".metric", $"{field}.metric is required (bookings, attainment, collections, activities or forecast accuracy)");
        }

        Scope(board.ScopeRegionId, field + ".scope_region_id");
        PeriodOf(board.Period, field + ".period");

        if (board.Top is < 0 or > MaxTop)
        {
            throw RequestGuard.Invalid(field + ".top", $"{field}.top is 1 to {MaxTop} rows (0 for {DefaultTop}); got {board.Top}");
        }

        if (board.Top == 0)
        {
            board.Top = DefaultTop;
        }
    }

    private static void Progress(V1.TargetProgressSlide progress, string field)
    {
        Scope(progress.ScopeRegionId, field + ".scope_region_id");
        TargetPeriodOf(progress.Period, field + ".period");
        if (progress.Metrics.Count > MaxProgressMetrics)
        {
            throw RequestGuard.Invalid(field + ".metrics", $"{field}.metrics names at most {MaxProgressMetrics} metrics; got {progress.Metrics.Count}");
        }

        for (var i = 0; i < progress.Metrics.Count; i++)
        {
            TargetMetricOf(progress.Metrics[i], $"{field}.metrics[{i}]");
            if (progress.Metrics.IndexOf(progress.Metrics[i]) < i)
            {
                throw RequestGuard.Invalid($"{field}.metrics[{i}]", $"{field}.metrics names {MetricName(progress.Metrics[i]).ToLowerInvariant()} twice");
            }
        }
    }

    private static void Team(V1.TeamSlide team, string field)
    {
        if (team.RegionIds.Count is < MinTeams or > MaxTeams)
        {
            throw RequestGuard.Invalid(field + ".region_ids", $"{field}.region_ids names {MinTeams} to {MaxTeams} competing regions; got {team.RegionIds.Count}");
        }

        for (var i = 0; i < team.RegionIds.Count; i++)
        {
            var id = RequestGuard.Id(team.RegionIds[i], $"{field}.region_ids[{i}]");
            if (team.RegionIds.IndexOf(id) < i)
            {
                throw RequestGuard.Invalid($"{field}.region_ids[{i}]", $"{field}.region_ids names {Echo.Quote(id)} twice");
            }
        }

        TargetPeriodOf(team.Period, field + ".period");
        TargetMetricOf(team.Metric, field + ".metric");
    }

    private static void TargetMetricOf(V1.TargetMetric metric, string field)
    {
        if (metric == V1.TargetMetric.Unspecified || !System.Enum.IsDefined(metric))
        {
            throw RequestGuard.Invalid(field, $"{field} must be a target metric (bookings, collections, activities, new customers or gross margin); got {metric}");
        }
    }

    private static void Scope(string scope, string field)
    {
        if (scope.Length > 0)
        {
            RequestGuard.Id(scope, field);
        }
    }

    private static void PeriodOf(string period, string field)
    {
        if (period.Length > 0 && !Period.TryParse(period, out _))
        {
            throw RequestGuard.Invalid(field, $"{field} must be a month (2026-11), a quarter (2026-Q4), a year (2026) or empty for the current month; got {Echo.Quote(period)}");
        }
    }

    /// <summary>A target's period: a month, quarter or year (targets and their figures are not kept per week).</summary>
    private static void TargetPeriodOf(string period, string field)
    {
        if (period.Length > 0 && (!Period.TryParse(period, out var p) || p.IsWeek))
        {
            throw RequestGuard.Invalid(field, $"{field} must be a month (2026-11), a quarter (2026-Q4), a year (2026) or empty for the current month; got {Echo.Quote(period)}");
        }
    }

    private static void Title(string title, string field)
    {
        if (title.Length > MaxTitle)
        {
            throw RequestGuard.Invalid(field, $"{field} is at most {MaxTitle} characters; got {title.Length}");
        }
    }
}
