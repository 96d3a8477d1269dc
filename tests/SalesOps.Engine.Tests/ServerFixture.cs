using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SalesOps.Grains;
using SalesOps.Server.Hosting;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The real server (silo + gRPC in one process, built exactly as <c>dotnet run</c> builds it) on free loopback
/// ports, reached through a real HTTP/2 gRPC channel.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private WebApplication _app = null!;
    private string[] _args = [];

    public ServerFixture()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="settings">Configuration the server starts with, on top of the fixture's own.</param>
    protected ServerFixture(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    /// <summary>Short, so the tests of a watcher that stops reading see it cut off in seconds.</summary>
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);

    public FakeTimeProvider Time { get; } = new(TestClock.Start);
    public string Address { get; private set; } = "";

    /// <summary>The web port (HTTP/1.1: the screen page, gRPC-Web, JSON).</summary>
    public int WebPort { get; private set; }

    public string WebAddress => $"http://127.0.0.1:{WebPort}";
    public GrpcChannel Channel { get; private set; } = null!;
    public V1.IngestService.IngestServiceClient Ingest { get; private set; } = null!;
    public V1.QueryService.QueryServiceClient Query { get; private set; } = null!;
    public V1.WatchService.WatchServiceClient Watch { get; private set; } = null!;

    /// <summary>Sends events one by one through <c>IngestOne</c>, each within <paramref name="deadline"/>; a rejection throws.</summary>
    public async Task IngestEachAsync(TimeSpan deadline, params SalesOps.Domain.SalesEvent[] events)
    {
        foreach (var e in events)
        {
            await Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow + deadline);
        }
    }

    public virtual async Task InitializeAsync()
    {
        var grpcPort = Net.FreePort();
        WebPort = Net.FreePort();
        _args =
        [
            "--grpc-port", grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--web-port", WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--silo-port", Net.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", Net.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        await StartAsync();
        Address = $"http://127.0.0.1:{grpcPort}";
        Channel = GrpcChannel.ForAddress(Address);
        Ingest = new V1.IngestService.IngestServiceClient(Channel);
        Query = new V1.QueryService.QueryServiceClient(Channel);
        Watch = new V1.WatchService.WatchServiceClient(Channel);
    }

    /// <summary>
    /// Stops the server and starts a new one on the same ports, as an operator restarts it: in memory mode it starts
    /// empty. <paramref name="whileDown"/> runs while nothing listens.
    /// </summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        await _app.StopAsync().Within(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        await StartAsync();
    }

    private async Task StartAsync()
    {
        _app = SalesOpsHost.Build(_args, builder =>
        {
            builder.Services.AddSingleton(new EngineClock(Time));
            builder.Configuration["Storage:Mode"] ??= "memory"; // the server's default is the embedded store; fixtures choose
            builder.Configuration["Engine:BigDealThreshold"] = "500000";
            builder.Configuration["Engine:RollupInterval"] = "00:00:00.010";
            builder.Configuration["Watch:WriteTimeout"] = WriteTimeout.ToString();
            builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            foreach (var (key, value) in _settings)
            {
                builder.Configuration[key] = value;
            }
        });
        await _app.StartAsync().Within(TimeSpan.FromSeconds(60));
    }

    /// <summary>Sends one batch on an ingest stream and returns its one acknowledgement.</summary>
    public async Task<V1.IngestResponse> SendBatchAsync(string batchId, params SalesOps.Domain.SalesEvent[] events)
    {
        using var call = Ingest.Ingest(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(15));
        var batch = new V1.IngestRequest { BatchId = batchId };
        batch.Events.Add(events.Select(e => e.ToProto()));
        await call.RequestStream.WriteAsync(batch).Within();
        await call.RequestStream.CompleteAsync().Within();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).Within());
        var ack = call.ResponseStream.Current;
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).Within());
        return ack;
    }

    public virtual async Task DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync().Within(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
