using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.TestingHost;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Persistence;
using SalesOps.Reference;
using SalesOps.TestSupport;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// A two-silo in-process cluster for the grain differential test, with fault injection in every silo. The engine is
/// configured once per cluster (time zone, stage table), and the scenarios are generated for that configuration.
/// </summary>
public abstract class DifferentialCluster : IAsyncLifetime
{
    /// <summary>Chance that a message between grains goes wrong; <c>SALESOPS_GRAIN_DIFF_FAULTS</c> overrides it.</summary>
    private const double DefaultMessageFaultRate = 0.05;

    /// <summary>
    /// Chance that an ingest call goes wrong in the way its batch allows; <c>SALESOPS_GRAIN_DIFF_INGEST_FAULTS</c>
    /// overrides it (0.6 makes a call rejected more often than the ingestor retries, about one in five, common).
    /// </summary>
    private const double DefaultIngestFaultRate = 0.2;

    /// <param name="dedup">The de-dup window every sequence of the cluster runs under.</param>
    /// <param name="killRate">
    /// Chance that a message or a book's ingest call gets an activation killed (<see cref="ActivationKills"/>); 0 for none.
    /// <c>SALESOPS_GRAIN_DIFF_KILLS</c> overrides it where it is not 0.
    /// </param>
    /// <param name="siloKills">Silos to kill during the run; with them, no call faults (see <see cref="Differential.SiloKills"/>).</param>
    protected DifferentialCluster(string timeZone, StageTable stages, RefDedup dedup, double killRate = 0, SiloKills? siloKills = null)
    {
        TimeZone = timeZone;
        Stages = stages;
        Dedup = dedup;
        SiloKills = siloKills;
        // A silo kill loses the calls its silo's roll-up carrier had made to fail, and the carrier that retries them
        // is another silo's: the call faults could not see those retries arrive. The kill is the fault there.
        var rate = siloKills is null ? Rate("SALESOPS_GRAIN_DIFF_FAULTS", DefaultMessageFaultRate) : 0;
        CallFaults = new CallFilterFaults(rate, rate == 0 ? 0 : Rate("SALESOPS_GRAIN_DIFF_INGEST_FAULTS", DefaultIngestFaultRate));
        Kills = killRate > 0 && Rate("SALESOPS_GRAIN_DIFF_KILLS", killRate) is > 0 and var kills ? new ActivationKills(CallFaults, kills) : null;
        Faults = Kills ?? (IFaultInjector)CallFaults;
        Settings = Options(new EngineOptions()).ToSettings();
    }

    public string TimeZone { get; }
    public StageTable Stages { get; }

    /// <summary>
    /// The at-risk rules every sequence of the cluster runs under: 12 stall days, 5 in the first open stage, and a push
    /// limit of 1, so that the generated histories (weeks between a deal's changes) stall, pass their dates and slip.
    /// </summary>
    public RefRiskRules Risk => new(12, new Dictionary<string, int>(StringComparer.Ordinal) { [Stages.Stages[0].Id] = 5 }, 1);

    /// <summary>The de-dup window every sequence of the cluster runs under (configured in whole days).</summary>
    public RefDedup Dedup { get; }

    /// <summary>Every fault the harness drives the engine through.</summary>
    public IFaultInjector Faults { get; }

    /// <summary>The call faults (failures before and after applying, rejections, duplicates, delays).</summary>
    public CallFilterFaults CallFaults { get; }

    /// <summary>Activations killed mid-delivery, where the storage mode promises to survive it.</summary>
    public ActivationKills? Kills { get; }

    /// <summary>Silos killed while the run ingests, and replaced.</summary>
    public SiloKills? SiloKills { get; }
    public EngineSettings Settings { get; }
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public EventIngestor Ingestor { get; private set; } = null!;

    /// <summary>Storage mode, for messages.</summary>
    public abstract string Mode { get; }

    /// <summary>The first seed this cluster runs, so the two storage modes see different histories.</summary>
    public abstract int FirstSeed { get; }

    /// <summary>Sequences run when <c>SALESOPS_GRAIN_DIFF_COUNT</c> is not set.</summary>
    public abstract int DefaultSequences { get; }

    protected EngineOptions Options(EngineOptions o)
    {
        o.TimeZone = TimeZone;
        o.DedupWindowDays = (int)Dedup.MaxAge.TotalDays;
        o.DedupWindowCount = Dedup.MaxCount;
        o.StallDays = Risk.DefaultStallDays;
        o.StallDaysByStage = new Dictionary<string, int>(Risk.StallDaysByStage, StringComparer.Ordinal);
        o.PushLimit = Risk.PushLimit;
        o.Stages = Stages.Stages.Take(Stages.OpenCount)
            .Select(s => new StageOption { Id = s.Id, Name = s.Name, Probability = s.ProbabilityPercent, Category = s.Category }).ToList();
        // Every region ticks at this interval for as long as it lives, and a run leaves a thousand regions behind:
        // at 10 ms their idle ticks alone took most of a core. The harness flushes regions when it wants them current.
        o.RollupInterval = TimeSpan.FromMilliseconds(200);
        return o;
    }

    protected abstract Task ConfigureAsync(InProcessTestClusterBuilder builder);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        await ConfigureAsync(builder);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(CallFaults);
            silo.AddIncomingGrainCallFilter<CallFilterFaultsFilter>();
            if (Kills is not null)
            {
                silo.Services.AddSingleton(Kills);
                silo.AddIncomingGrainCallFilter<ActivationKillsIncomingFilter>();
                silo.AddOutgoingGrainCallFilter<ActivationKillsOutgoingFilter>();
            }
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var refs = new GrainRefs(Cluster.Client);
        // Books are called without merging (BookCalls, ADR 0041), though a durable server merges: the fault injection
        // finds an ingest call's sequence in its request context, and a merged call carries several sequences' events
        // without it. The merged path has its own tests (CallMergerTests, DurableClusterTests).
        Ingestor = new EventIngestor(refs, new BookCalls(refs, merge: false), new KnownEntities(refs), Settings, new EngineClock(TimeProvider.System), NullLogger<EventIngestor>.Instance);
    }

    private static double Rate(string variable, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : fallback;

    public virtual async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await Cluster.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>
/// Memory mode: state in the activations. Los Angeles, so histories cross daylight-saving changes; the documented
/// de-dup window, which forgets only what is held back two months.
/// </summary>
public sealed class MemoryDifferentialCluster() : DifferentialCluster("America/Los_Angeles", StageTable.Default, RefDedup.Documented)
{
    public override string Mode => "memory";
    public override int FirstSeed => 1;
    public override int DefaultSequences => 120;

    protected override Task ConfigureAsync(InProcessTestClusterBuilder builder)
    {
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSalesOpsEngine(configure: o => Options(o));
            silo.KeepStateInMemory();
        });
        return Task.CompletedTask;
    }
}

/// <summary>
/// Postgres mode on a throwaway PostgreSQL: journals, snapshots (taken every few entries, so restores are not only
/// full replays) and membership in the database. Shanghai and a three-stage table, unlike the memory cluster, and a
/// de-dup window of two weeks and eight ids, so that entities forget ids and windows go through snapshots with a horizon.
/// Here activations are also killed mid-delivery (<see cref="ActivationKills"/>): durable state must survive that.
/// </summary>
public class PostgresDifferentialCluster : DifferentialCluster
{
    private PostgresServer? _server;

    public PostgresDifferentialCluster()
        : this(new RefDedup(TimeSpan.FromDays(14), 8), killRate: 0.01, siloKills: null)
    {
    }

    protected PostgresDifferentialCluster(RefDedup dedup, double killRate, SiloKills? siloKills)
        : base("Asia/Shanghai", Reference.ScenarioGenerator.ThreeStages, dedup, killRate, siloKills)
    {
    }

    public override string Mode => "postgres";
    public override int FirstSeed => 100_001;
    public override int DefaultSequences => 80;

    protected override async Task ConfigureAsync(InProcessTestClusterBuilder builder)
    {
        _server = await PostgresServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var connectionString = _server.ConnectionString("differential");
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(TimeSpan.FromSeconds(60));
        InProcessClusters.UseRealMembership(builder.Options);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UsePostgresStorage(connectionString);
            silo.Services.AddPostgresJournal(connectionString);
            silo.Services.AddSalesOpsEngine(configure: o =>
            {
                Options(o);
                o.SnapshotEvery = 25;
                o.BookSnapshotEvery = 25;
            });
            silo.DetectFailuresFast();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(20));
        });
        builder.ConfigureClient(client =>
        {
            client.UsePostgresClustering(connectionString);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(20));
        });
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MemoryDifferentialCollection : ICollectionFixture<MemoryDifferentialCluster>
{
    public const string Name = "grain differential, memory";
}

[CollectionDefinition(Name)]
public sealed class PostgresDifferentialCollection : ICollectionFixture<PostgresDifferentialCluster>
{
    public const string Name = "grain differential, postgres";
}
