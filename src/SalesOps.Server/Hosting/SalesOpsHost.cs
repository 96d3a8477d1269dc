using SalesOps.Persistence;
using SalesOps.Grains;
using SalesOps.Server.Access;
using SalesOps.Server.Api;
using SalesOps.Server.Demo;
using SalesOps.Server.Push;
using SalesOps.Server.Screens;
using SalesOps.Server.Webhooks;

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

    /// <summary>
    /// Address other silos reach this one at (postgres mode, where silos find each other through the membership
    /// table): an IP or a host name that resolves to one. 127.0.0.1 by default, for processes on one machine.
    /// </summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>
    /// The web port on <see cref="GrpcHost"/>: HTTP/1.1 (and HTTP/2 under TLS) for browsers — the office screen page,
    /// gRPC-Web and JSON. Unset: the gRPC port + 10 (7080 by default; any free port when the gRPC port is 0); -1: none.
    /// </summary>
    public int? WebPort { get; set; }

    /// <summary>The web port in effect; null when there is none.</summary>
    public int? EffectiveWebPort => WebPort switch
    {
        -1 => null,
        { } port => port,
        null => GrpcPort == 0 ? 0 : GrpcPort + 10,
    };
}

/// <summary>A server switch: its name, the configuration key it sets, its value's type and its help.</summary>
public sealed record ServerSwitch(string Name, string ConfigurationKey, Type ValueType, string Description);

/// <summary>Builds the single-process server: an Orleans silo and the gRPC API, with the push hub and the optional demo.</summary>
public static class SalesOpsHost
{
    /// <summary>Largest request accepted: a full batch of 5,000 events with long ids fits well within it.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The server's switches: each sets one configuration key (the command line declares them as options with this
    /// help; <see cref="Build"/> maps them the same way, beside any <c>--Section:Key value</c> override).
    /// </summary>
    public static readonly IReadOnlyList<ServerSwitch> ServerSwitches =
    [
        new("--grpc-port", "Server:GrpcPort", typeof(int), "gRPC (h2c, or TLS with --tls-cert) port [default: 7070]"),
        new("--web-port", "Server:WebPort", typeof(int), "web port (screens, gRPC-Web, JSON); -1 for none [default: gRPC port + 10]"),
        new("--grpc-host", "Server:GrpcHost", typeof(string), "address to listen on [default: 127.0.0.1]"),
        new("--silo-port", "Server:SiloPort", typeof(int), "Orleans silo port [default: 11111]"),
        new("--gateway-port", "Server:GatewayPort", typeof(int), "Orleans gateway port [default: 30000]"),
        new("--cluster-id", "Server:ClusterId", typeof(string), "Orleans cluster id [default: salesops-local]"),
        new("--service-id", "Server:ServiceId", typeof(string), "Orleans service id [default: salesops]"),
        new("--advertised-host", "Server:AdvertisedHost", typeof(string), "address other silos reach this one at (postgres mode) [default: 127.0.0.1]"),
        new("--tls-cert", "Server:Tls:CertificateFile", typeof(string), "PEM certificate (chain) for TLS on every port"),
        new("--tls-key", "Server:Tls:KeyFile", typeof(string), "PEM private key of --tls-cert"),
        new("--storage", "Storage:Mode", typeof(string), "sqlite (the embedded store), memory (throwaway) or postgres (a cluster) [default: sqlite]"),
        new("--data-dir", "Storage:DataDirectory", typeof(string), "the embedded store's folder [default: data]"),
        new("--connection-string", "ConnectionStrings:" + StorageOptions.ConnectionStringName, typeof(string), "PostgreSQL connection string (postgres mode, migrate)"),
        new("--time-zone", "Engine:TimeZone", typeof(string), "time zone that decides an event's period, e.g. Asia/Shanghai"),
        new("--demo-reps", "Demo:Reps", typeof(int), "reps of the demo company [default: 300]"),
        new("--demo-rate", "Demo:EventsPerSecond", typeof(int), "demo events a second [default: 200]"),
    ];

    private static readonly Dictionary<string, string> Switches = ServerSwitches.ToDictionary(s => s.Name, s => s.ConfigurationKey, StringComparer.Ordinal);

    /// <summary>
    /// The <c>migrate</c> command: applies the PostgreSQL schema (creating the database if needed) and exits; safe to
    /// run again and from several processes at once. Returns the process exit code.
    /// </summary>
    public static async Task<int> MigrateAsync(string[] args)
    {
        var configuration = CommandConfiguration(args);
        var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync(
                $"migrate needs a connection string: --connection-string \"Host=...;Database=salesops;Username=...;Password=...\" or ConnectionStrings__{StorageOptions.ConnectionStringName}");
            return 2;
        }

        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var applied = await Persistence.SchemaMigrator.MigrateAsync(connectionString, cancel.Token);
            Console.WriteLine(applied.Count == 0 ? "schema is up to date" : $"applied {applied.Count} scripts: {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"migrate failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The <c>healthcheck</c> command (container health checks): exit code 0 when the local server is serving.</summary>
    public static Task<int> HealthCheckAsync(string[] args) => HealthProbe.RunAsync(CommandConfiguration(args));

    private static IConfiguration CommandConfiguration(string[] args) =>
        new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args, Switches)
            .Build();

    /// <summary>
    /// Builds the app. <paramref name="configure"/> lets tests replace services (for example the time provider)
    /// and configuration before the host is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var demo = args.Contains("--demo");
        var migrate = args.Contains("--migrate");
        var rest = args.Where(a => a is not "--demo" and not "--migrate").ToArray();
        // appsettings.json sits beside the assembly: read it from there whatever the working directory (without it,
        // every request and placement is logged at Information, which costs most of the throughput).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(rest, Switches);
        if (demo)
        {
            builder.Configuration["Demo:Enabled"] = "true";

            // The demo's deals are mostly small, with a rare big one: only those are celebrated on its screens, unless
            // a threshold is configured (appsettings.json leaves it to EngineOptions' default for that reason).
            builder.Configuration["Engine:BigDealThreshold"] ??= DemoWorkload.BigDealThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (migrate)
        {
            builder.Configuration["Storage:MigrateOnStart"] = "true";
        }

        configure?.Invoke(builder);
        RepeatedFaultLog.WrapProviders(builder.Services);
        var server = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var storage = StorageOptions.From(builder.Configuration);

        builder.ListenForGrpc(server); // Endpoints.cs: h2c, or TLS from Server:Tls

        builder.UseOrleans(silo =>
        {
            silo.AddActivityPropagation(); // a trace goes on through grain calls (Telemetry.cs)
            builder.AddAdminPages(silo, server); // the Orleans dashboard, for admins
            if (storage.IsPostgres)
            {
                silo.UseDurableStorage(server, storage, builder.Configuration);
                return;
            }

            silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, serviceId: server.ServiceId, clusterId: server.ClusterId);
            if (storage.IsSqlite)
            {
                silo.UseSqliteStorage();
            }
            else
            {
                silo.KeepStateInMemory();
            }
        });

        if (storage.IsPostgres)
        {
            builder.Services.AddDurableStorage(storage);
        }
        else if (storage.IsSqlite)
        {
            builder.Services.AddSqliteJournal(storage.DataDirectory);
        }

        builder.Services.AddSalesOpsEngine(builder.Configuration);
        builder.AddSalesOpsTelemetry(server); // metrics (Prometheus on the web port, OTLP when configured) and traces
        builder.AddSalesOpsAccess(server, storage);
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            o.MaxReceiveMessageSize = MaxMessageBytes;
            // Outermost first: a cluster fault while the policy looks up a rep or deal is UNAVAILABLE too.
            o.Interceptors.Add<ClusterFaultInterceptor>();
            o.Interceptors.Add<AccessInterceptor>();
        });
        // The protos' google.api.http rules, on the web port (ADR 0030): proto3 JSON (64-bit integers as strings), errors
        // with the same google.rpc details as gRPC.
        builder.Services.AddGrpc().AddJsonTranscoding(o =>
        {
            o.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(
                Google.Rpc.BadRequest.Descriptor, Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.RetryInfo.Descriptor);
            o.JsonSettings.WriteInt64sAsStrings = true;
        });
        builder.Services.AddSalesOpsOpenApi();
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<SiloHealthCheck>("silo");
        builder.Services.AddStrictRequestMarshalling(); // after every AddGrpc* call: each may register the default binder
        builder.Services.AddSingleton<PushHub>();
        builder.Services.AddSingleton<SharedPushes>();
        builder.Services.AddSingleton<IngestPipeline>();
        builder.Services.Configure<Webhooks.WebhookOptions>(builder.Configuration.GetSection(Webhooks.WebhookOptions.Section));
        builder.Services.AddSingleton(sp => new Webhooks.WebhookSignatures(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Webhooks.WebhookOptions>>().Value));
        builder.Services.AddSingleton<Webhooks.HubSpotMapping>();
        builder.Services.AddSingleton<WebhookConnectors>();
        builder.Services.AddSingleton<RepDirectory>();
        builder.Services.AddSingleton<RegionTree>();
        builder.Services.AddSingleton<RepTargets>();
        builder.Services.AddSingleton<RegionFigures>();
        builder.Services.AddSingleton<ChannelDirectory>();
        builder.Services.AddSingleton<HubRegistration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HubRegistration>());
        builder.Services.Configure<WatchOptions>(builder.Configuration.GetSection(WatchOptions.Section));
        builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddHostedService<DemoWorkload>();

        var app = builder.Build();

        // Fail at start, with a message naming the setting, if the engine or storage configuration is wrong.
        _ = app.Services.GetRequiredService<SalesOps.Domain.EngineSettings>();
        app.LogStorage(storage);
        _ = app.Services.GetRequiredService<WebhookConnectors>(); // every connector's secret read and checked
        app.EnsureSomeoneCanAuthenticate(storage);
        app.LogAccessMode();
        app.UseSalesOpsMetrics(server); // /metrics on the web port, before anything that would ask who is calling
        app.UseStrictGrpcRequests(MaxMessageBytes);
        app.UseAuthentication();
        app.UseAuthorization(); // admin pages only: gRPC calls are authorized by AccessInterceptor
        app.UseGrpcWeb(); // browsers on the web port (HTTP/1.1): the read services only (below)
        app.MapScreenPages();
        app.MapWebhooks(); // POST /webhooks/{connector}: CRMs' signed deliveries
        app.MapSalesOpsOpenApi(server); // Server:OpenApi, by default on loopback only
        app.MapAdminPages(server);
        app.MapGrpcService<IngestGrpcService>();
        app.MapGrpcService<QueryGrpcService>().EnableGrpcWeb();
        app.MapGrpcService<WatchGrpcService>().EnableGrpcWeb();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcService<ScreenGrpcService>().EnableGrpcWeb();
        app.MapGrpcReflectionIfEnabled(server); // Server:Reflection, by default on loopback only
        app.MapGrpcHealthChecksService();
        return app;
    }
}
