using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
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
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation());

    /// <summary>Runs <c>channels</c> with <paramref name="args"/> as the command line does (tests call it in-process).</summary>
    public static Task<int> RunAsync(string[] args) => Cli.SalesOpsCommandLine.InvokeAsync(["channels", .. args]);

    /// <summary>The <c>channels</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var channels = new Command("channels", "List, show, put and delete office screen channels on a running server.");
        var client = new Cli.ClientOptions().AddTo(channels);

        var list = new Command("list", "List the channels.");
        list.SetAction((parse, _) => RunAsync(client, parse, "list", async (c, headers, due) =>
        {
            foreach (var ch in (await c.ListChannelsAsync(new V1.ListChannelsRequest(), headers, due)).Channels)
            {
                Console.WriteLine($"{ch.Name,-24} {ch.Slides.Count} slide(s), {ch.Slides.Sum(s => (s.Duration?.ToTimeSpan() ?? ChannelRules.DefaultDuration).TotalSeconds):0} s a rotation{(ch.Title.Length > 0 ? $"  \"{ch.Title}\"" : "")}");
            }
        }));

        var getName = NameArgument();
        var get = new Command("get", "Show a channel as the JSON of salesops.v1.Channel.") { getName };
        get.SetAction((parse, _) => RunAsync(client, parse, "get", async (c, headers, due) =>
            Console.WriteLine(Json.Format((await c.GetChannelAsync(new V1.GetChannelRequest { Name = parse.GetRequiredValue(getName) }, headers, due)).Channel))));

        var putName = NameArgument();
        var put = new Command("put", "Create or replace a channel: from --file, or boards, a target progress and a team slide, in that order.") { putName };
        var slides = new PutOptions(put);
        put.SetAction((parse, _) => RunAsync(client, parse, "put", async (c, headers, due) =>
        {
            var channel = await slides.ReadChannelAsync(parse, parse.GetRequiredValue(putName));
            var stored = await c.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, headers, due);
            Console.WriteLine(Json.Format(stored.Channel));
            Console.WriteLine($"\nopen it at http(s)://<server>:<web port>/screen/{stored.Channel.Name} (with #key=<screen key> where keys are required)");
        }));

        var deleteName = NameArgument();
        var delete = new Command("delete", "Delete a channel (deleting the default one restores the built-in default).") { deleteName };
        delete.SetAction((parse, _) => RunAsync(client, parse, "delete", async (c, headers, due) =>
        {
            var name = parse.GetRequiredValue(deleteName);
            var deleted = await c.DeleteChannelAsync(new V1.DeleteChannelRequest { Name = name }, headers, due);
            Console.WriteLine(deleted.DefaultRestored ? "deleted; the built-in default channel is back" : $"deleted channel {name}");
        }));

        channels.Subcommands.Add(list);
        channels.Subcommands.Add(get);
        channels.Subcommands.Add(put);
        channels.Subcommands.Add(delete);
        return channels;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "the channel's name" };

    private static async Task<int> RunAsync(
        Cli.ClientOptions client, ParseResult parse, string verb, Func<V1.ScreenService.ScreenServiceClient, Metadata, DateTime, Task> run)
    {
        using var channel = GrpcChannel.ForAddress(client.ServerOf(parse));
        try
        {
            await run(new V1.ScreenService.ScreenServiceClient(channel), Cli.ClientOptions.Headers(client.KeyOf(parse)), DateTime.UtcNow.AddSeconds(30));
            return 0;
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"channels {verb} failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException or IOException)
        {
            await Console.Error.WriteLineAsync($"channels {verb}: {ex.Message}");
            return 2;
        }
    }

    /// <summary>The options of <c>channels put</c>.</summary>
    private sealed class PutOptions
    {
        private readonly Option<string> _file = new("--file") { Description = "the JSON of salesops.v1.Channel; - reads standard input", HelpName = "channel.json" };
        private readonly Option<string> _boards = new("--boards") { Description = "board slides: bookings, attainment, collections, activities, forecast-accuracy", HelpName = "a,b" };
        private readonly Option<string> _targets = new("--targets") { Description = "a target progress slide of these metrics (all = every metric with a target)", HelpName = "a,b|all", Arity = ArgumentArity.ZeroOrOne };
        private readonly Option<string> _teams = new("--teams") { Description = "a team slide of these regions", HelpName = "ids" };
        private readonly Option<string> _teamMetric = new("--team-metric") { Description = "bookings, collections, activities, new-customers or gross-margin", HelpName = "metric" };
        private readonly Option<string> _rank = new("--rank") { Description = "rank teams by figure or attainment [default: figure]", HelpName = "figure|attainment" };
        private readonly Option<string> _region = new("--region") { Description = "the slides' region", HelpName = "id" };
        private readonly Option<string> _period = new("--period") { Description = "the slides' period, e.g. 2026-Q4", HelpName = "period" };
        private readonly Option<string> _duration = new("--duration") { Description = "each slide's time on screen, e.g. 15s", HelpName = "duration" };
        private readonly Option<int?> _top = new("--top") { Description = "rows of a board", HelpName = "number" };
        private readonly Option<string> _title = new("--title") { Description = "the channel's title", HelpName = "text" };

        public PutOptions(Command put)
        {
            foreach (var option in new Option[] { _file, _boards, _targets, _teams, _teamMetric, _rank, _region, _period, _duration, _top, _title })
            {
                put.Options.Add(option);
            }
        }

        public async Task<V1.Channel> ReadChannelAsync(ParseResult parse, string name)
        {
            V1.Channel channel;
            var targetsGiven = parse.GetResult(_targets) is { Implicit: false };
            if (parse.GetValue(_file) is { } file)
            {
                var text = file == "-" ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(file);
                channel = JsonParser.Default.Parse<V1.Channel>(text);
            }
            else if (parse.GetValue(_boards) is not null || targetsGiven || parse.GetValue(_teams) is not null)
            {
                channel = new V1.Channel { Title = parse.GetValue(_title) ?? "" };
                var duration = parse.GetValue(_duration) is { } d ? Google.Protobuf.WellKnownTypes.Duration.Parser.ParseJson($"\"{d}\"") : null;
                var top = parse.GetValue(_top) ?? 0;
                var region = parse.GetValue(_region) ?? "";
                var period = parse.GetValue(_period) ?? "";
                foreach (var board in List(parse.GetValue(_boards)))
                {
                    channel.Slides.Add(new V1.Slide { Duration = duration, Board = new V1.BoardSlide { Metric = MetricOf(board), ScopeRegionId = region, Period = period, Top = top } });
                }

                if (targetsGiven)
                {
                    var targets = parse.GetValue(_targets);
                    var progress = new V1.TargetProgressSlide { ScopeRegionId = region, Period = period };
                    progress.Metrics.Add(targets is null or "all" ? [] : List(targets).Select(TargetMetricOf));
                    channel.Slides.Add(new V1.Slide { Duration = duration, TargetProgress = progress });
                }

                if (parse.GetValue(_teams) is { } teams)
                {
                    var rank = parse.GetValue(_rank) ?? "figure";
                    var team = new V1.TeamSlide
                    {
                        Period = period,
                        Metric = TargetMetricOf(parse.GetValue(_teamMetric) ?? throw new FormatException("--teams needs --team-metric (bookings, collections, activities, new-customers or gross-margin)")),
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
