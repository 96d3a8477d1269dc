using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>What the browser-shaped screens received, for the report.</summary>
public sealed record BrowserScreensReport(int Screens, int Channels, long Messages, long Bytes, long Alerts, long Reconnects, long Failures, double? ConnectedAfterMs);

/// <summary>
/// Office screens as a browser runs them: each holds one HTTP/1.1 connection of its own to the web port and reads
/// <c>ScreenService.WatchScreen</c> as JSON lines — the screen page's whole traffic — reconnecting with its last alert
/// sequence when the stream ends, as the page does. One channel per territory (its bookings and activities boards, its
/// target progress, and a contest of it and its area's next territories; the territory's alerts); screens are spread
/// over them.
/// </summary>
public sealed class BrowserScreens : IDisposable
{
    private readonly Options _o;
    private readonly string _web;
    private readonly string? _screenKey;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private readonly List<string> _channels = [];
    private readonly TaskCompletionSource[] _connected;
    private long _messages;
    private long _bytes;
    private long _alerts;
    private long _reconnects;
    private long _failures;
    private double? _connectedAfterMs;

    public BrowserScreens(Options o, string? screenKey)
    {
        _o = o;
        _web = o.Web ?? WebOf(o.Server);
        _screenKey = screenKey;
        _connected = Enumerable.Range(0, o.BrowserScreens).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        // One connection per screen, as a browser per TV: HTTP/1.1 carries one stream per connection.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(_web),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The web port by default: the gRPC port + 10 (the server's own default).</summary>
    public static string WebOf(string server)
    {
        var uri = new Uri(server);
        return new UriBuilder(uri) { Port = uri.Port + 10 }.Uri.ToString().TrimEnd('/');
    }

    /// <summary>Puts one channel per territory, as an administrator would, then opens every screen and waits for its channel.</summary>
    public async Task StartAsync(Company company, string? adminKey, TimeSpan timeout, CancellationToken ct)
    {
        using (var channel = GrpcChannel.ForAddress(_o.Server))
        {
            var screens = new V1.ScreenService.ScreenServiceClient(channel);
            Metadata headers = adminKey is null ? [] : [new Metadata.Entry("x-api-key", adminKey)];
            foreach (var (leaf, i) in company.Leaves.Select((l, i) => (l, i)))
            {
                var name = $"load-{_o.Tag.ToLowerInvariant()}-{i}";
                var put = new V1.Channel { Name = name, Title = $"Load test {_o.Tag} {leaf}" };
                foreach (var metric in new[] { V1.LeaderboardMetric.Bookings, V1.LeaderboardMetric.Activities })
                {
                    put.Slides.Add(new V1.Slide
                    {
                        Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(15)),
                        Board = new V1.BoardSlide { ScopeRegionId = leaf, Metric = metric, Top = 10 },
                    });
                }

                // Its progress to its targets, and a contest of it and its area's next territories, as offices show
                // them; the ticker and celebrations stay the territory's own (alert_region_id).
                put.AlertRegionId = leaf;
                var progress = new V1.TargetProgressSlide { ScopeRegionId = leaf, Metrics = { V1.TargetMetric.Bookings, V1.TargetMetric.Activities } };
                put.Slides.Add(new V1.Slide { Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(15)), TargetProgress = progress });
                var teams = Enumerable.Range(0, company.Leaves.Length).Select(j => (i + j) % company.Leaves.Length)
                    .Where(j => company.LeafArea[j] == company.LeafArea[i]).Take(4).Select(j => company.Leaves[j]).ToList();
                if (teams.Count >= 2)
                {
                    var team = new V1.TeamSlide { Metric = V1.TargetMetric.Bookings };
                    team.RegionIds.Add(teams);
                    put.Slides.Add(new V1.Slide { Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(15)), Team = team });
                }

                await screens.PutChannelAsync(new V1.PutChannelRequest { Channel = put }, headers, DateTime.UtcNow.AddSeconds(30), ct);
                _channels.Add(name);
            }
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < _o.BrowserScreens; i++)
        {
            var screen = i;
            _running.Add(Task.Run(() => RunAsync(_channels[screen % _channels.Count], _connected[screen], _stop.Token), CancellationToken.None));
        }

        var all = Task.WhenAll(_connected.Select(c => c.Task));
        if (await Task.WhenAny(all, Task.Delay(timeout, ct)) != all)
        {
            throw new TimeoutException($"{_connected.Count(c => !c.Task.IsCompleted)} of {_o.BrowserScreens} browser-shaped screens had no channel after {timeout.TotalSeconds:0} s ({Interlocked.Read(ref _failures)} failed requests)");
        }

        _connectedAfterMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>A 64-bit integer of proto3 JSON: a string, as the server writes it (ADR 0030), or a number.</summary>
    private static long Int64(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetInt64();

    private async Task RunAsync(string channel, TaskCompletionSource connected, CancellationToken ct)
    {
        long? last = null;
        string? log = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/channels/{channel}:watch{(last is { } l ? $"?after_sequence={l}&alert_log_id={log}" : "")}");
                if (_screenKey is not null)
                {
                    request.Headers.Add("x-api-key", _screenKey);
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref _failures);
                    await Task.Delay(1_000, ct);
                    continue;
                }

                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    Interlocked.Increment(ref _messages);
                    Interlocked.Add(ref _bytes, line.Length + 1);
                    if (line.StartsWith("{\"channel\"", StringComparison.Ordinal))
                    {
                        // As the page: where this stream's alerts start, and which log they are numbered in.
                        using var json = JsonDocument.Parse(line);
                        var screen = json.RootElement.GetProperty("channel");
                        log = screen.TryGetProperty("alertLogId", out var id) ? id.GetString() : log;
                        last ??= screen.TryGetProperty("alertsAfterSequence", out var after) ? Int64(after) : null;
                        connected.TrySetResult();
                    }
                    else if (line.StartsWith("{\"alert\"", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _alerts);
                        using var json = JsonDocument.Parse(line);
                        last = Int64(json.RootElement.GetProperty("alert").GetProperty("sequence"));
                    }
                    else if (line.StartsWith("{\"code\"", StringComparison.Ordinal))
                    {
                        // The stream ended with an error (a screen that fell behind, a resume point not retained): resume where the page would.
                        Interlocked.Increment(ref _failures);
                        last = ResumePoint(line) ?? last;
                    }
                }

                Interlocked.Increment(ref _reconnects);
                await Task.Delay(250, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                Interlocked.Increment(ref _failures);
                Interlocked.Increment(ref _reconnects);
                await Task.Delay(1_000, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static long? ResumePoint(string line)
    {
        using var json = JsonDocument.Parse(line);
        foreach (var detail in json.RootElement.TryGetProperty("details", out var d) ? d.EnumerateArray() : default)
        {
            if (detail.TryGetProperty("metadata", out var m) && m.TryGetProperty("resume_after_sequence", out var r) && long.TryParse(r.GetString(), out var resume))
            {
                return resume;
            }
        }

        return null;
    }

    public BrowserScreensReport Report() => new(
        _o.BrowserScreens, _channels.Count, Interlocked.Read(ref _messages), Interlocked.Read(ref _bytes), Interlocked.Read(ref _alerts),
        Interlocked.Read(ref _reconnects), Interlocked.Read(ref _failures), _connectedAfterMs);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
    }

    public void Dispose()
    {
        _stop.Dispose();
        _http.Dispose();
    }
}
