using System.Collections.Concurrent;
using System.Net;

namespace SalesOps.Engine.Tests;

/// <summary>A server whose OTLP endpoint is a local collector stand-in (OTLP over HTTP), exporting every half second and every trace.</summary>
public sealed class OtlpServerFixture() : ServerFixture(new Dictionary<string, string>
{
    ["Telemetry:OtlpEndpoint"] = Collector.Address,
    ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
    ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    ["Telemetry:TraceSampleRatio"] = "1",
})
{
    public static readonly OtlpCollector Collector = new();
}

[CollectionDefinition(Name)]
public sealed class OtlpServerCollection : ICollectionFixture<OtlpServerFixture>
{
    public const string Name = "server exporting OTLP";
}

/// <summary>OTLP export: with an endpoint set, metrics and traces reach it.</summary>
[Collection(OtlpServerCollection.Name)]
public sealed class OtlpExportTests(OtlpServerFixture server)
{
    [Fact]
    public async Task OtlpEndpointSet_EventsIngested_MetricsAndTracesArePostedToTheCollector()
    {
        var s = new Scenario("otlp");
        var ack = await server.SendBatchAsync("setup", s.Region("r"), s.Rep("ann", "r"));
        Assert.Equal(0, ack.Rejected);

        await Wait.UntilAsync(
            () => Task.FromResult(OtlpServerFixture.Collector.Posts("/v1/metrics") > 0 && OtlpServerFixture.Collector.Posts("/v1/traces") > 0),
            () => $"metrics and traces at the collector (posts so far: {OtlpServerFixture.Collector.Describe()})",
            TimeSpan.FromSeconds(20));
    }
}

/// <summary>Stands in for an OpenTelemetry collector's OTLP/HTTP receiver: answers every export with 200 and counts them by path.</summary>
public sealed class OtlpCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, int> _posts = new(StringComparer.Ordinal);

    public OtlpCollector()
    {
        var port = Net.FreePort();
        Address = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Address + "/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Address { get; }

    public int Posts(string path) => _posts.GetValueOrDefault(path);

    public string Describe() => string.Join(", ", _posts.Select(p => $"{p.Key} {p.Value}"));

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            try
            {
                var context = await _listener.GetContextAsync();
                await context.Request.InputStream.CopyToAsync(Stream.Null);
                _posts.AddOrUpdate(context.Request.Url?.AbsolutePath ?? "", 1, (_, n) => n + 1);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
        }
    }
}
