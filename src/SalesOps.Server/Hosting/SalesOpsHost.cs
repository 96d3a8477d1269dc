using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SalesOps.Grains;
using SalesOps.Server.Api;
using SalesOps.Server.Demo;
using SalesOps.Server.Push;

namespace SalesOps.Server.Hosting;

/// <summary>Where the server listens. Section <c>Server</c>; command-line switches map onto it.</summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>Address gRPC (h2c) binds to; 127.0.0.1 by default, 0.0.0.0 in containers.</summary>
    public string GrpcHost { get; set; } = "127.0.0.1";

    public int GrpcPort { get; set; } = 7070;
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string ClusterId { get; set; } = "salesops-local";
    public string ServiceId { get; set; } = "salesops";
}

/// <summary>Builds the single-process server: an Orleans silo and the gRPC API, with the push hub and the optional demo.</summary>
public static class SalesOpsHost
{
    /// <summary>Largest request accepted: a full batch of 5,000 events with long ids fits well within it.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--grpc-host"] = "Server:GrpcHost",
        ["--grpc-port"] = "Server:GrpcPort",
        ["--silo-port"] = "Server:SiloPort",
        ["--gateway-port"] = "Server:GatewayPort",
        ["--cluster-id"] = "Server:ClusterId",
        ["--time-zone"] = "Engine:TimeZone",
        ["--demo-reps"] = "Demo:Reps",
        ["--demo-rate"] = "Demo:EventsPerSecond",
    };

    /// <summary>
    /// Builds the app. <paramref name="configure"/> lets tests replace services (for example the time provider)
    /// and configuration before the host is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var demo = args.Contains("--demo");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args.Where(a => a != "--demo").ToArray() });
        builder.Configuration.AddCommandLine(args.Where(a => a != "--demo").ToArray(), Switches);
        if (demo)
        {
            builder.Configuration["Demo:Enabled"] = "true";
        }

        configure?.Invoke(builder);
        var server = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();

        builder.WebHost.ConfigureKestrel(k =>
            k.Listen(IPAddress.Parse(server.GrpcHost), server.GrpcPort, o => o.Protocols = HttpProtocols.Http2));

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, serviceId: server.ServiceId, clusterId: server.ClusterId);
            silo.KeepStateInMemory();
        });

        builder.Services.AddSalesOpsEngine(builder.Configuration);
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.Interceptors.Add<ClusterFaultInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton<PushHub>();
        builder.Services.AddSingleton<HubRegistration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HubRegistration>());
        builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddHostedService<DemoWorkload>();

        var app = builder.Build();

        // Fail at start, with a message naming the setting, if the engine configuration is wrong.
        _ = app.Services.GetRequiredService<SalesOps.Domain.EngineSettings>();
        app.MapGrpcService<IngestGrpcService>();
        app.MapGrpcService<QueryGrpcService>();
        app.MapGrpcService<WatchGrpcService>();
        app.MapGrpcReflectionService();
        return app;
    }
}
