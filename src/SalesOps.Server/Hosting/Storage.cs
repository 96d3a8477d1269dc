using System.Net;
using System.Net.Sockets;
using Npgsql;
using Orleans.Configuration;
using SalesOps.Abstractions;
using SalesOps.Grains.Durability;
using SalesOps.Persistence;

namespace SalesOps.Server.Hosting;

/// <summary>Where state lives. Section <c>Storage</c>; the connection string is <c>ConnectionStrings:SalesOps</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";
    public const string ConnectionStringName = "SalesOps";

    /// <summary>
    /// <c>sqlite</c> (default: durable in a file under <see cref="DataDirectory"/>, nothing to set up, one server),
    /// <c>memory</c> (a throwaway run: state lost on restart) or <c>postgres</c> (durable, clusterable).
    /// </summary>
    public string Mode { get; set; } = "sqlite";

    /// <summary>The embedded store's folder (sqlite mode), relative to the working directory unless absolute.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Apply the schema (idempotent) before the silo starts.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>Entries per group commit and commits in flight (postgres mode).</summary>
    public JournalOptions Journal { get; set; } = new();

    public string ConnectionString { get; set; } = "";

    public bool IsPostgres => Mode == "postgres";

    public bool IsSqlite => Mode == "sqlite";

    /// <summary>State survives a restart (sqlite or postgres).</summary>
    public bool IsDurable => Mode != "memory";

    /// <summary>Reads and checks the storage settings; a mistake fails start-up with a message naming the setting.</summary>
    public static StorageOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<StorageOptions>() ?? new StorageOptions();
        options.Mode = options.Mode.Trim().ToLowerInvariant();
        options.ConnectionString = configuration.GetConnectionString(ConnectionStringName) ?? "";
        if (options.Mode is not ("sqlite" or "memory" or "postgres"))
        {
            throw new InvalidOperationException($"Storage:Mode (--storage) must be 'sqlite', 'memory' or 'postgres', not '{options.Mode}'");
        }

        if (options.IsPostgres && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException(
                $"--storage postgres needs a connection string: --connection-string \"Host=...;Database=salesops;Username=...;Password=...\" " +
                $"or the environment variable ConnectionStrings__{ConnectionStringName}");
        }

        if (options.IsSqlite && string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new InvalidOperationException("--storage sqlite needs a folder: Storage:DataDirectory (--data-dir), 'data' by default");
        }

        return options;
    }
}

/// <summary>Durable mode: membership, snapshots and reminders through the Orleans ADO.NET providers, events in the journal.</summary>
public static partial class StorageRegistration
{
    /// <summary>
    /// Says at start-up where state lives, so a newcomer knows what a restart keeps; in sqlite mode this opens (and
    /// locks) the store, so a folder that cannot be used fails the start with a message naming it.
    /// </summary>
    public static void LogStorage(this WebApplication app, StorageOptions storage)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SalesOps.Storage");
        if (storage.IsSqlite)
        {
            LogSqlite(logger, app.Services.GetRequiredService<SqliteDatabase>().Path);
        }
        else if (storage.IsPostgres)
        {
            LogPostgres(logger);
        }
        else
        {
            LogMemory(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "State is kept in {Path} (SQLite): a restart keeps every acknowledged event; --storage memory for a throwaway run, --data-dir for another folder")]
    private static partial void LogSqlite(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State is kept in PostgreSQL (clusterable)")]
    private static partial void LogPostgres(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State is kept in memory only (--storage memory): a restart starts empty")]
    private static partial void LogMemory(ILogger logger);

    /// <remarks>
    /// Failure detection can be tuned under the <c>Membership</c> section (Orleans' <c>ClusterMembershipOptions</c>:
    /// <c>ProbeTimeout</c>, <c>NumMissedProbesLimit</c>, ...); the defaults declare a dead silo within about 30 s.
    /// </remarks>
    public static ISiloBuilder UseDurableStorage(this ISiloBuilder silo, ServerOptions server, StorageOptions storage, IConfiguration configuration)
    {
        silo.Services.AddOptions<ClusterMembershipOptions>().Bind(configuration.GetSection("Membership"));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = server.ClusterId;
            o.ServiceId = server.ServiceId;
        });
        // Bind the silo and gateway ports to the advertised address (loopback by default, the container's own address in
        // compose), never to every interface; Server:SiloListenHost binds them elsewhere when behind NAT.
        var advertised = Advertised(server.AdvertisedHost);
        silo.ConfigureEndpoints(advertised, server.SiloPort, server.GatewayPort, listenOnAnyHostAddress: false);
        if (TransportOptions.From(configuration).SiloListenHost is { } listenHost && !string.IsNullOrWhiteSpace(listenHost))
        {
            var listen = Endpoints.ParseAddress(listenHost, "Server:SiloListenHost");
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloListeningEndpoint = new IPEndPoint(listen, server.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(listen, server.GatewayPort);
            });
        }

        silo.UseClusterTls(configuration);
        silo.UsePostgresStorage(storage.ConnectionString);
        return silo;
    }

    public static IServiceCollection AddDurableStorage(this IServiceCollection services, StorageOptions storage)
    {
        services.AddPostgresJournal(storage.ConnectionString, storage.Journal);
        if (storage.MigrateOnStart)
        {
            // Registered before Orleans' own hosted service starts, so the tables exist when the providers read them.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp =>
                new SchemaMigration(storage.ConnectionString, sp.GetRequiredService<ILogger<SchemaMigration>>())));
        }

        return services;
    }

    private static IPAddress Advertised(string host) =>
        IPAddress.TryParse(host, out var ip)
            ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new InvalidOperationException($"Server:AdvertisedHost (--advertised-host) '{host}' does not resolve to an IPv4 address");
}

/// <summary>Applies the schema when the server is started with <c>--migrate</c>.</summary>
public sealed partial class SchemaMigration(string connectionString, ILogger<SchemaMigration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await SchemaMigrator.MigrateAsync(connectionString, cancellationToken);
        var scripts = string.Join(", ", applied);
        LogMigrated(logger, applied.Count, scripts);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema up to date ({Count} scripts applied: {Scripts})")]
    private static partial void LogMigrated(ILogger logger, int count, string scripts);
}
