using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// <c>SalesOps.LoadTests webhooks</c>: CRM-shaped load on a running server's webhook endpoint, to measure how fast a
/// signed delivery is acknowledged. It defines a region, reps and a customer over its own Standard Webhooks connector,
/// then keeps <c>--concurrency</c> senders posting signed deliveries of <c>--events</c> activities each (fresh ids, all
/// accepted) for <c>--duration</c> seconds, and prints the acknowledgement latency and the server's CPU per event.
/// </summary>
/// <remarks>
/// Usage: <c>webhooks --url http://127.0.0.1:7080/webhooks/bench --secret whsec_… [--server-pid N] [--concurrency 16]
/// [--events 10] [--duration 20] [--reps 50]</c>.
/// </remarks>
public static class WebhookDriver
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        if (!options.TryGetValue("url", out var url) || !options.TryGetValue("secret", out var secret))
        {
            await Console.Error.WriteLineAsync("usage: webhooks --url http://127.0.0.1:7080/webhooks/<connector> --secret whsec_… [--server-pid N] [--concurrency 16] [--events 10] [--duration 20] [--reps 50]");
            return 2;
        }

        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var concurrency = Int("concurrency", 16);
        var perDelivery = Int("events", 10);
        var duration = TimeSpan.FromSeconds(Int("duration", 20));
        var reps = Int("reps", 50);
        Process? server = options.TryGetValue("server-pid", out var pid) ? Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture)) : null;
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        var run = Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(30) };

        var at = DateTimeOffset.UtcNow.AddHours(-1);
        var sequence = 0L;
        V1.Event Event(Action<V1.Event> set)
        {
            var e = new V1.Event { EventId = $"wh-{run}-{Interlocked.Increment(ref sequence)}", OccurredAt = Timestamp.FromDateTimeOffset(at) };
            set(e);
            return e;
        }

        string lastRefusal = "";
        async Task<HttpStatusCode> PostAsync(IReadOnlyList<V1.Event> events)
        {
            var body = Encoding.UTF8.GetBytes("[" + string.Join(",", events.Select(e => JsonFormatter.Default.Format(e))) + "]");
            var id = $"d-{run}-{Interlocked.Increment(ref sequence)}";
            var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            byte[] signed = [.. Encoding.UTF8.GetBytes($"{id}.{stamp}."), .. body];
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", stamp);
            request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                lastRefusal = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }

            return response.StatusCode;
        }

        var region = $"wh-{run}";
        var setup = new List<V1.Event>
        {
            Event(e => e.RegionDefined = new V1.RegionDefined { RegionId = region, Name = $"Webhook bench {run}" }),
            Event(e => e.CustomerRegistered = new V1.CustomerRegistered { CustomerId = $"{region}-c", Name = "Webhook customer" }),
        };
        setup.AddRange(Enumerable.Range(0, reps).Select(r => Event(e => e.RepJoined = new V1.RepJoined { RepId = $"{region}-r{r}", Name = $"Rep {r}", RegionId = region, Role = V1.RepRole.Direct, Style = V1.RepStyle.Hunter })));
        foreach (var step in new[] { setup.Take(2).ToList(), setup.Skip(2).ToList() })
        {
            if (await PostAsync(step) != HttpStatusCode.OK)
            {
                await Console.Error.WriteLineAsync($"webhooks: the set-up delivery was not taken: {lastRefusal}");
                return 1;
            }
        }

        var latency = new Latency();
        var statuses = new Dictionary<HttpStatusCode, long>();
        var events = 0L;
        var cpuBefore = server?.TotalProcessorTime ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var senders = Enumerable.Range(0, concurrency).Select(async s =>
        {
            var rng = new Random(s);
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var batch = Enumerable.Range(0, perDelivery).Select(_ => Event(e => e.ActivityLogged = new V1.ActivityLogged
                {
                    RepId = $"{region}-r{rng.Next(reps)}", CustomerId = $"{region}-c", Type = V1.ActivityType.Call, DurationMinutes = 15, TimeCategory = V1.TimeCategory.T1,
                })).ToList();
                var started = Stopwatch.GetTimestamp();
                var status = await PostAsync(batch);
                latency.RecordSince(started);
                lock (statuses)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                }

                Interlocked.Add(ref events, status == HttpStatusCode.OK ? batch.Count : 0);
            }
        }).ToList();
        await Task.WhenAll(senders);
        var elapsed = clock.Elapsed;
        server?.Refresh();
        var cpu = (server?.TotalProcessorTime ?? TimeSpan.Zero) - cpuBefore;
        Console.WriteLine($"webhooks: {events:N0} events in {latency.Count:N0} deliveries of {perDelivery} over {elapsed.TotalSeconds:F1} s = {events / elapsed.TotalSeconds:N0} events/s, {concurrency} senders");
        Console.WriteLine($"  ack   {latency.Summary()}");
        Console.WriteLine($"  status {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value:N0}"))}");
        if (server is not null && events > 0)
        {
            Console.WriteLine($"  server CPU {cpu.TotalSeconds / elapsed.TotalSeconds:F2} cores, {cpu.TotalMicroseconds / events:F0} µs per event");
        }

        if (lastRefusal.Length > 0)
        {
            Console.WriteLine($"  last refusal: {lastRefusal[..Math.Min(lastRefusal.Length, 400)]}");
        }

        return statuses.Keys.All(s => s == HttpStatusCode.OK) ? 0 : 1;
    }
}
