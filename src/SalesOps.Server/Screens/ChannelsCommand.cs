using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Screens;

/// <summary>
/// The <c>channels</c> command: list, show, put and delete office screen channels through a running server's
/// <c>ScreenService</c> (<c>--server</c>, default the local one; an admin key from <c>--api-key</c> or
/// <c>SALESOPS_API_KEY</c> to change them, none needed against a local development server). A channel is given as the
/// JSON of the contract's <c>Channel</c> (<c>--file</c>, <c>-</c> for standard input) or by options: boards, a target
/// progress and a team slide, in that order.
/// </summary>
public static class ChannelsCommand
{
    public const string Usage =
        "usage: channels list\n" +
        "       channels get <name>\n" +
        "       channels put <name> --file channel.json        (the JSON of salesops.v1.Channel; - reads standard input)\n" +
        "       channels put <name> [--boards bookings,activities] [--targets bookings,collections|all] [--teams east,north --team-metric bookings [--rank figure|attainment]]\n" +
        "                           [--region <id>] [--period 2026-Q4] [--duration 15s] [--top 10] [--title \"...\"]\n" +
        "       channels delete <name>\n" +
        "   against a server: [--server http://127.0.0.1:7070] [--api-key <key> | env SALESOPS_API_KEY]\n" +
        "   boards: bookings, attainment, collections, activities, forecast-accuracy\n" +
        "   targets (the region's progress to its targets; all = every metric it has a target for) and team metrics:\n" +
        "     bookings, collections, activities, new-customers, gross-margin";

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation());

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("list" or "get" or "put" or "delete"))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var options = KeysCommand.Options(args.Skip(1).ToArray(), out var positional);
        if (args[0] != "list" && positional.Count != 1)
        {
            await Console.Error.WriteLineAsync($"channels {args[0]} needs the channel's name\n{Usage}");
            return 2;
        }

        using var channel = GrpcChannel.ForAddress(KeysCommand.ServerOf(options));
        var client = new V1.ScreenService.ScreenServiceClient(channel);
        var headers = KeysCommand.CallerHeaders(options);
        var due = DateTime.UtcNow.AddSeconds(30);
        try
        {
            switch (args[0])
            {
                case "list":
                    foreach (var c in (await client.ListChannelsAsync(new V1.ListChannelsRequest(), headers, due)).Channels)
                    {
                        Console.WriteLine($"{c.Name,-24} {c.Slides.Count} slide(s), {c.Slides.Sum(s => (s.Duration?.ToTimeSpan() ?? ChannelRules.DefaultDuration).TotalSeconds):0} s a rotation{(c.Title.Length > 0 ? $"  \"{c.Title}\"" : "")}");
                    }

                    return 0;
                case "get":
                    Console.WriteLine(Json.Format((await client.GetChannelAsync(new V1.GetChannelRequest { Name = positional[0] }, headers, due)).Channel));
                    return 0;
                case "put":
                    var put = await ReadChannelAsync(positional[0], options);
                    var stored = await client.PutChannelAsync(new V1.PutChannelRequest { Channel = put }, headers, due);
                    Console.WriteLine(Json.Format(stored.Channel));
                    Console.WriteLine($"\nopen it at http(s)://<server>:<web port>/screen/{stored.Channel.Name} (with #key=<screen key> where keys are required)");
                    return 0;
                default:
                    var deleted = await client.DeleteChannelAsync(new V1.DeleteChannelRequest { Name = positional[0] }, headers, due);
                    Console.WriteLine(deleted.DefaultRestored ? "deleted; the built-in default channel is back" : $"deleted channel {positional[0]}");
                    return 0;
            }
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"channels {args[0]} failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException or IOException)
        {
            await Console.Error.WriteLineAsync($"channels {args[0]}: {ex.Message}");
            return 2;
        }
    }

    private static async Task<V1.Channel> ReadChannelAsync(string name, Dictionary<string, string> options)
    {
        V1.Channel channel;
        if (options.TryGetValue("file", out var file))
        {
            var text = file == "-" ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(file);
            channel = JsonParser.Default.Parse<V1.Channel>(text);
        }
        else if (options.ContainsKey("boards") || options.ContainsKey("targets") || options.ContainsKey("teams"))
        {
            channel = new V1.Channel { Title = options.GetValueOrDefault("title") ?? "" };
            var duration = options.TryGetValue("duration", out var d) ? Google.Protobuf.WellKnownTypes.Duration.Parser.ParseJson($"\"{d}\"") : null;
            var top = options.TryGetValue("top", out var t) ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var region = options.GetValueOrDefault("region") ?? "";
            var period = options.GetValueOrDefault("period") ?? "";
            foreach (var board in List(options.GetValueOrDefault("boards")))
            {
                channel.Slides.Add(new V1.Slide { Duration = duration, Board = new V1.BoardSlide { Metric = MetricOf(board), ScopeRegionId = region, Period = period, Top = top } });
            }

            if (options.TryGetValue("targets", out var targets))
            {
                var progress = new V1.TargetProgressSlide { ScopeRegionId = region, Period = period };
                progress.Metrics.Add(targets is "all" or "true" ? [] : List(targets).Select(TargetMetricOf));
                channel.Slides.Add(new V1.Slide { Duration = duration, TargetProgress = progress });
            }

            if (options.TryGetValue("teams", out var teams))
            {
                var rank = options.GetValueOrDefault("rank") ?? "figure";
                var team = new V1.TeamSlide
                {
                    Period = period,
                    Metric = TargetMetricOf(options.GetValueOrDefault("team-metric") ?? throw new FormatException("--teams needs --team-metric (bookings, collections, activities, new-customers or gross-margin)")),
                    RankByAttainment = rank == "attainment" ? true : rank == "figure" ? false : throw new FormatException($"--rank is figure or attainment; got '{rank}'"),
                };
                team.RegionIds.Add(List(teams));
                channel.Slides.Add(new V1.Slide { Duration = duration, Team = team });
            }
        }
        else
        {
            throw new FormatException("channels put needs --file <channel.json>, or --boards, --targets or --teams");
        }

        channel.Name = name;
        return channel;
    }

    private static string[] List(string? text) => text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static V1.TargetMetric TargetMetricOf(string name) => name switch
    {
        "bookings" => V1.TargetMetric.Bookings,
        "collections" => V1.TargetMetric.Collections,
        "activities" => V1.TargetMetric.Activities,
        "new-customers" => V1.TargetMetric.NewCustomers,
        "gross-margin" => V1.TargetMetric.GrossMargin,
        _ => throw new FormatException($"unknown metric '{name}': bookings, collections, activities, new-customers or gross-margin"),
    };

    private static V1.LeaderboardMetric MetricOf(string name) => name switch
    {
        "bookings" => V1.LeaderboardMetric.Bookings,
        "attainment" => V1.LeaderboardMetric.Attainment,
        "collections" => V1.LeaderboardMetric.Collections,
        "activities" => V1.LeaderboardMetric.Activities,
        "forecast-accuracy" => V1.LeaderboardMetric.ForecastAccuracy,
        _ => throw new FormatException($"unknown board '{name}': bookings, attainment, collections, activities or forecast-accuracy"),
    };
}
