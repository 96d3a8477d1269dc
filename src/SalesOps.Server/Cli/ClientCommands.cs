using System.CommandLine;
using System.Globalization;
using Google.Rpc;
using Grpc.Core;
using Spectre.Console;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Cli;

/// <summary>Shared by the client commands: a failed call said in one line, and how a figure is printed.</summary>
internal static class ClientOutput
{
    public static async Task<int> GuardAsync(string command, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
        {
            await Console.Error.WriteLineAsync($"{command} failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (RpcException)
        {
            return 0; // cancelled by Ctrl+C
        }
    }

    /// <summary>Minor units of the company currency as an amount (two decimals; the engine does not say the exponent).</summary>
    public static string Money(long minor, string currency) => string.Create(CultureInfo.InvariantCulture, $"{minor / 100m:N2} {currency}");

    public static string Number(double value) => value.ToString("N2", CultureInfo.InvariantCulture);

    public static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>The leaderboard metrics by their command-line names.</summary>
    public static readonly IReadOnlyDictionary<string, V1.LeaderboardMetric> Metrics = new Dictionary<string, V1.LeaderboardMetric>(StringComparer.OrdinalIgnoreCase)
    {
        ["bookings"] = V1.LeaderboardMetric.Bookings,
        ["attainment"] = V1.LeaderboardMetric.Attainment,
        ["collections"] = V1.LeaderboardMetric.Collections,
        ["activities"] = V1.LeaderboardMetric.Activities,
        ["forecast-accuracy"] = V1.LeaderboardMetric.ForecastAccuracy,
    };

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
}

/// <summary>The <c>get</c> command: a rep's, region's or customer's figures as a table, names beside ids.</summary>
public static class GetCommand
{
    public static Command Create()
    {
        var get = new Command("get", "Show a rep's, a region's or a customer's figures.");
        var client = new ClientOptions().AddTo(get);
        var period = new Option<string>("--period") { Description = "2026, 2026-Q4, 2026-11 or 2026-W49 [default: the current month]", HelpName = "period", Recursive = true };
        get.Options.Add(period);

        foreach (var (name, what) in new[] { ("rep", "a rep"), ("region", "a region (company for the company)"), ("customer", "a customer") })
        {
            var id = new Argument<string>("id") { Description = $"the id of {what}" };
            var command = new Command(name, $"Show {what}.") { id };
            command.SetAction((parse, cancel) => ClientOutput.GuardAsync($"get {name}", async () =>
            {
                using var channel = ClientOptions.Channel(client.ServerOf(parse));
                var query = new V1.QueryService.QueryServiceClient(channel);
                var headers = ClientOptions.Headers(client.KeyOf(parse));
                var due = DateTime.UtcNow.AddSeconds(30);
                var key = parse.GetRequiredValue(id);
                var p = parse.GetValue(period) ?? "";
                switch (name)
                {
                    case "rep":
                        var rep = await query.GetRepAsync(new V1.GetRepRequest { RepId = key, Period = p }, headers, due, cancel);
                        var repRegion = await RegionNameAsync(query, headers, rep.RegionId, cancel);
                        Render($"{rep.Name} ({rep.RepId}) — {repRegion} ({rep.RegionId}), {Enum(rep.Role)} {Enum(rep.Style)}", rep.Figures);
                        break;
                    case "region":
                        var region = await query.GetRegionAsync(new V1.GetRegionRequest { RegionId = key, Period = p }, headers, due, cancel);
                        var parent = region.ParentRegionId.Length > 0 ? $" — in {await RegionNameAsync(query, headers, region.ParentRegionId, cancel)} ({region.ParentRegionId})" : "";
                        Render($"{region.Name} ({region.RegionId}){parent}", region.Figures);
                        break;
                    default:
                        var c = await query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = key }, headers, due, cancel);
                        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(c.Name)}[/] ({Markup.Escape(c.CustomerId)})");
                        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
                        table.AddRow("orders", c.Orders.ToString(CultureInfo.InvariantCulture));
                        table.AddRow("lifetime value", Markup.Escape(ClientOutput.Money(c.LifetimeValue?.MinorUnits ?? 0, c.LifetimeValue?.CurrencyCode ?? "")));
                        table.AddRow("collections", Markup.Escape(ClientOutput.Money(c.Collections?.MinorUnits ?? 0, c.Collections?.CurrencyCode ?? "")));
                        table.AddRow("last order", c.LastOrder is { } o ? o.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) : "-");
                        table.AddRow("last contact", c.LastContact is { } l ? l.ToDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) : "-");
                        AnsiConsole.Write(table);
                        break;
                }

                return 0;
            }));
            get.Subcommands.Add(command);
        }

        return get;
    }

    private static string Enum<T>(T value)
        where T : struct, System.Enum => value.ToString().ToLowerInvariant();

    private static async Task<string> RegionNameAsync(V1.QueryService.QueryServiceClient query, Metadata headers, string regionId, CancellationToken cancel)
    {
        try
        {
            return (await query.GetRegionAsync(new V1.GetRegionRequest { RegionId = regionId }, headers, DateTime.UtcNow.AddSeconds(30), cancel)).Name;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.PermissionDenied or StatusCode.NotFound)
        {
            return regionId; // a rep key may not read its region's figures: the id says enough
        }
    }

    private static void Render(string title, V1.Figures f)
    {
        var currency = f.CurrencyCode;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/] — {Markup.Escape(f.Period)}");
        var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("bookings", Markup.Escape(ClientOutput.Money(f.Bookings, currency)));
        table.AddRow("won / lost deals", $"{f.WonCount} / {f.LostCount}");
        table.AddRow("win rate", ClientOutput.Percent(f.WinRate));
        table.AddRow("collections", Markup.Escape(ClientOutput.Money(f.Collections, currency)));
        table.AddRow("gross margin", Markup.Escape(ClientOutput.Money(f.GrossMargin, currency)));
        table.AddRow("open deals", $"{f.OpenCount} ({Markup.Escape(ClientOutput.Money(f.OpenAmount, currency))})");
        table.AddRow("weighted pipeline", Markup.Escape(ClientOutput.Money((long)f.WeightedPipeline, currency)));
        table.AddRow("forecast", Markup.Escape(ClientOutput.Money((long)f.Forecast, currency)));
        table.AddRow("new customers", f.NewCustomers.ToString(CultureInfo.InvariantCulture));
        table.AddRow("activities", f.ActivityTotal.ToString(CultureInfo.InvariantCulture));
        foreach (var group in f.Activities.GroupBy(a => a.Type).OrderBy(g => g.Key))
        {
            table.AddRow($"  {group.Key.ToString().ToLowerInvariant()}", group.Sum(a => a.Count).ToString(CultureInfo.InvariantCulture));
        }

        foreach (var t in f.Targets)
        {
            var unit = t.Metric == V1.TargetMetric.Activities || t.Metric == V1.TargetMetric.NewCustomers;
            string Amount(long v) => unit ? v.ToString(CultureInfo.InvariantCulture) : ClientOutput.Money(v, currency);
            var dimension = t.Dimension is { } d ? $" ({d.Kind.ToString().ToLowerInvariant()} {d.Value}{(d.ActivityType != V1.ActivityType.Unspecified ? d.ActivityType.ToString().ToLowerInvariant() : "")})" : "";
            table.AddRow(
                Markup.Escape($"target {t.Metric.ToString().ToLowerInvariant()}{dimension}"),
                Markup.Escape($"{Amount(t.Actual)} of {Amount(t.MustAchieve)}: {ClientOutput.Percent(t.MustAttainment)}{(t.BehindPace ? ", behind pace" : "")}"));
        }

        AnsiConsole.Write(table);
    }
}

/// <summary>The <c>top</c> command: a live leaderboard from <c>WatchService.WatchLeaderboard</c>.</summary>
public static class TopCommand
{
    public static Command Create()
    {
        var region = new Option<string>("--region") { Description = "the board's region", DefaultValueFactory = _ => "company", HelpName = "id" };
        var period = new Option<string>("--period") { Description = "2026-11, 2026-Q4, 2026 … or month for the current month", DefaultValueFactory = _ => "month", HelpName = "period" };
        var metric = new Option<string>("--metric") { Description = "bookings, attainment, collections, activities or forecast-accuracy", DefaultValueFactory = _ => "bookings", HelpName = "metric" };
        metric.AcceptOnlyFromAmong([.. ClientOutput.Metrics.Keys]);
        var rows = new Option<int>("--rows") { Description = "rows, 1 to 100", DefaultValueFactory = _ => 10, HelpName = "number" };
        rows.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100)
            {
                r.AddError("--rows must be 1 to 100");
            }
        });
        var command = new Command("top", "A live leaderboard (Ctrl+C to stop).") { region, period, metric, rows };
        var client = new ClientOptions().AddTo(command);
        command.SetAction((parse, cancel) => ClientOutput.GuardAsync("top", async () =>
        {
            using var channel = ClientOptions.Channel(client.ServerOf(parse));
            var watch = new V1.WatchService.WatchServiceClient(channel);
            var request = new V1.WatchLeaderboardRequest
            {
                ScopeRegionId = parse.GetValue(region) ?? "company",
                Period = parse.GetValue(period) is "month" or null ? "" : parse.GetValue(period)!,
                Metric = ClientOutput.Metrics[parse.GetValue(metric) ?? "bookings"],
                Top = parse.GetValue(rows),
            };
            using var call = watch.WatchLeaderboard(request, ClientOptions.Headers(client.KeyOf(parse)), cancellationToken: cancel);
            var board = new Dictionary<string, V1.LeaderboardEntry>();
            var header = "";
            if (ClientOutput.Interactive)
            {
                var table = Table(board, header, request.Metric);
                await AnsiConsole.Live(table).StartAsync(async live =>
                {
                    while (await call.ResponseStream.MoveNext(cancel))
                    {
                        header = Apply(board, call.ResponseStream.Current);
                        live.UpdateTarget(Table(board, header, request.Metric));
                    }
                });
            }
            else
            {
                while (await call.ResponseStream.MoveNext(cancel))
                {
                    var update = call.ResponseStream.Current;
                    header = Apply(board, update);
                    Console.WriteLine(header);
                    foreach (var e in update.Entries.OrderBy(e => e.Rank))
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {e.Rank,3}. {e.RepName} ({e.RepId}, {e.RegionName}) {Score(update.Metric, e.Score)}{(e.Movement > 0 ? $" ↑{e.Movement}" : e.Movement < 0 ? $" ↓{-e.Movement}" : "")}"));
                    }

                    foreach (var gone in update.RemovedRepIds)
                    {
                        Console.WriteLine($"  left the top: {gone}");
                    }
                }
            }

            return 0;
        }));
        return command;
    }

    private static string Apply(Dictionary<string, V1.LeaderboardEntry> board, V1.WatchLeaderboardResponse update)
    {
        if (update.Snapshot)
        {
            board.Clear();
        }

        foreach (var e in update.Entries)
        {
            board[e.RepId] = e;
        }

        foreach (var gone in update.RemovedRepIds)
        {
            board.Remove(gone);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{update.Metric.ToString().ToLowerInvariant()} · {update.ScopeRegionId} · {update.Period} · {update.Total} reps · version {update.Version}");
    }

    /// <summary>A board's score in its unit: money in the company currency's major units, a percentage, or a count.</summary>
    private static string Score(V1.LeaderboardMetric metric, double score) => metric switch
    {
        V1.LeaderboardMetric.Bookings or V1.LeaderboardMetric.Collections => (score / 100).ToString("N2", CultureInfo.InvariantCulture),
        V1.LeaderboardMetric.Attainment or V1.LeaderboardMetric.ForecastAccuracy => score.ToString("0.#", CultureInfo.InvariantCulture) + "%",
        _ => score.ToString("N0", CultureInfo.InvariantCulture),
    };

    private static Table Table(Dictionary<string, V1.LeaderboardEntry> board, string header, V1.LeaderboardMetric metric)
    {
        var table = new Table().Title(Markup.Escape(header.Length > 0 ? header : "waiting for the board…"))
            .AddColumn(new TableColumn("#").RightAligned()).AddColumn("rep").AddColumn("region").AddColumn(new TableColumn("score").RightAligned()).AddColumn("");
        foreach (var e in board.Values.OrderBy(e => e.Rank))
        {
            table.AddRow(
                e.Rank.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(e.RepName.Length > 0 ? e.RepName : e.RepId),
                Markup.Escape(e.RegionName),
                Score(metric, e.Score),
                e.Movement > 0 ? $"[green]↑{e.Movement}[/]" : e.Movement < 0 ? $"[red]↓{-e.Movement}[/]" : "");
        }

        return table;
    }
}

/// <summary>The <c>alerts</c> command: alerts as they come, from <c>WatchService.WatchAlerts</c>, resuming where a cut stream ended.</summary>
public static class AlertsCommand
{
    public static Command Create()
    {
        var follow = new Option<bool>("--follow") { Description = "keep printing new alerts (Ctrl+C to stop); without it, print the retained ones and exit" };
        var region = new Option<string>("--region") { Description = "only alerts about this region and its sub-regions", HelpName = "id" };
        var command = new Command("alerts", "Print alerts: the retained ones, or with --follow those that come.") { follow, region };
        var client = new ClientOptions().AddTo(command);
        command.SetAction((parse, cancel) => ClientOutput.GuardAsync("alerts", async () =>
        {
            using var channel = ClientOptions.Channel(client.ServerOf(parse));
            var watch = new V1.WatchService.WatchServiceClient(channel);
            var headers = ClientOptions.Headers(client.KeyOf(parse));
            var following = parse.GetValue(follow);
            long? after = following ? null : 0;
            var log = "";
            for (var attempt = 0; ;)
            {
                // Without --follow the retained alerts are printed, then the command ends once the stream is quiet.
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                var request = new V1.WatchAlertsRequest { ScopeRegionId = parse.GetValue(region) ?? "", AlertLogId = log };
                if (after is { } a)
                {
                    request.AfterSequence = a;
                }

                using var call = watch.WatchAlerts(request, headers, cancellationToken: quiet.Token);
                try
                {
                    while (true)
                    {
                        if (!following)
                        {
                            quiet.CancelAfter(TimeSpan.FromSeconds(2));
                        }

                        if (!await call.ResponseStream.MoveNext(quiet.Token))
                        {
                            return 0;
                        }

                        attempt = 0;
                        var alert = call.ResponseStream.Current;
                        after = alert.Sequence;
                        log = alert.AlertLogId;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{alert.OccurredAt.ToDateTimeOffset():u}  #{alert.Sequence}  {alert.KindCase,-18} {alert.RegionName} ({alert.RegionId}) {alert.Period}: {alert.Message}"));
                    }
                }
                catch (Exception ex) when (!following && !cancel.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
                {
                    return 0; // quiet for two seconds: the retained alerts are printed
                }
                catch (RpcException ex) when (following && ex.StatusCode is StatusCode.ResourceExhausted or StatusCode.OutOfRange or StatusCode.Unavailable)
                {
                    if (ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Metadata is { } metadata
                        && metadata.TryGetValue("resume_after_sequence", out var resume)
                        && long.TryParse(resume, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sequence))
                    {
                        after = sequence;
                    }

                    await Console.Error.WriteLineAsync($"alerts: stream ended ({ex.StatusCode}); resuming after #{after}");
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, attempt++))), cancel);
                }
            }
        }));
        return command;
    }
}
