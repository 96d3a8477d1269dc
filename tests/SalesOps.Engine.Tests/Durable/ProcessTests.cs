using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Grains;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// Real server processes on a real PostgreSQL: killed with SIGKILL under load, run as a two-process cluster, and
/// cut off from their database. Every check ends the same way: every acknowledged event is still there (re-sending
/// it answers DUPLICATE), and every figure equals a from-scratch reference over the events sent.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ProcessTests(PostgresFixture postgres)
{
    private const int BatchSize = 200;
    private static readonly EngineSettings Settings = new EngineOptions().ToSettings();

    [Fact]
    public async Task ServerKilledUnderLoad_KeepsEveryAcknowledgedEventExactlyOnce()
    {
        var connectionString = await postgres.DatabaseAsync("crash");
        await KillUnderLoadThenRestartAsync(new ServerProcess(connectionString, "crash"), new DurableWorkload("crash", seed: 11));
    }

    /// <summary>
    /// Feeds <paramref name="server"/> until 4,000 events are acknowledged, kills it with SIGKILL while batches are in
    /// flight, starts it again on the same store, and checks that every acknowledged event answers DUPLICATE, every
    /// figure equals a from-scratch reference over the events sent, and the audit log kept every acknowledged event.
    /// </summary>
    internal static async Task KillUnderLoadThenRestartAsync(ServerProcess server, DurableWorkload workload)
    {
        var client = new IngestClient();
        await using (server)
        {
            await server.StartAsync();
            await SetUpAsync(server, workload, client);

            var load = Task.Run(async () =>
            {
                while (await client.SendRecordingAsync(server, workload.NextBatch(BatchSize)))
                {
                }
            });
            await Wait.UntilAsync(() => Volatile.Read(ref client.AcknowledgedCount) >= 4_000 || load.IsCompleted, "4,000 events acknowledged", TimeSpan.FromSeconds(120));
            await server.KillAsync();
            await load.Within(TimeSpan.FromSeconds(60));
        }

        var acknowledgedBeforeCrash = client.Acknowledged.ToList();
        Assert.True(acknowledgedBeforeCrash.Count >= 4_000, $"only {acknowledgedBeforeCrash.Count} events acknowledged before the kill:\n{server.Log}");

        await using var restarted = server.Again();
        await restarted.StartAsync();
        await client.SettleUnknownAsync(restarted, TimeSpan.FromSeconds(60));
        await AssertRememberedAsync(restarted, acknowledgedBeforeCrash);
        await ServerState.AssertMatchesAsync(restarted, Reference(client), workload);
        await AssertAuditedAsync(restarted, acknowledgedBeforeCrash);
    }

    /// <summary>Every acknowledged event is attributable after the crash: the audit log, written before any event is applied, kept it.</summary>
    private static async Task AssertAuditedAsync(ServerProcess server, List<SalesEvent> acknowledged)
    {
        var admin = new V1.AdminService.AdminServiceClient(server.Channel);
        var sample = acknowledged.Where((_, i) => i % Math.Max(1, acknowledged.Count / 25) == 0).Append(acknowledged[^1]).Select(e => e.EventId);
        foreach (var id in sample)
        {
            var records = await admin.ListAuditRecordsAsync(new V1.ListAuditRecordsRequest { EventId = id }, deadline: DateTime.UtcNow.AddSeconds(15));
            Assert.Contains(records.Records, r => r.Method == "Ingest" && r.IdentityKind == "development" && r.EventIds.Contains(id));
        }
    }

    [Fact]
    public async Task TwoServersSharingPostgres_OneKilled_TheOtherServesEveryGrainAndItsWatchersKeepReceiving()
    {
        var connectionString = await postgres.DatabaseAsync("cluster");
        var workload = new DurableWorkload("cluster", seed: 5);
        var client = new IngestClient();
        string[] logging = ["--Logging:LogLevel:Orleans.Runtime.MembershipService", "Information"];
        await using var a = new ServerProcess(connectionString, "cluster", logging);
        await using var b = new ServerProcess(connectionString, "cluster", logging);
        await a.StartAsync();
        await b.StartAsync();

        await SetUpAsync(a, workload, client);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(await client.SendRecordingAsync(i % 3 == 0 ? b : a, workload.NextBatch(BatchSize)), a.Log + b.Log);
        }

        Assert.Empty(client.Unknown);
        await ServerState.AssertMatchesAsync(b, Reference(client), workload);

        // An office screen on b: reads every update as it comes, keeps the board it shows.
        using var watch = b.Watch.WatchLeaderboard(
            new V1.WatchLeaderboardRequest { ScopeRegionId = RegionState.CompanyId, Period = "2026", Metric = V1.LeaderboardMetric.Bookings, Top = 100 },
            deadline: DateTime.UtcNow.AddMinutes(4));
        var screen = new WatchedBoard();
        var reading = Task.Run(() => screen.ReadAsync(watch.ResponseStream));
        await Wait.UntilAsync(() => screen.Updates > 0 || reading.IsCompleted, "the first leaderboard snapshot", TimeSpan.FromSeconds(30));

        // Deals won through a reach the screen on b.
        await SendAndExpectOnScreenAsync(a, b, workload, client, screen, reading);

        await a.KillAsync();

        // Every grain, wherever it lived, is served by b with its state.
        await ServerState.AssertMatchesAsync(b, Reference(client), workload, TimeSpan.FromSeconds(120));

        // New events through b reach b's watcher.
        await SendAndExpectOnScreenAsync(b, b, workload, client, screen, reading);
        await ServerState.AssertMatchesAsync(b, Reference(client), workload);
    }

    [Fact]
    public async Task DatabaseStoppedUnderIngest_AnswersUnavailableNeverAFalseAckAndRecoversByItself()
    {
        await using var database = await TestSupport.PostgresServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var connectionString = database.ConnectionString("outage");
        await Persistence.SchemaMigrator.MigrateAsync(connectionString).WaitAsync(TimeSpan.FromSeconds(60));
        var workload = new DurableWorkload("outage", seed: 3);
        var client = new IngestClient();
        var server = new ServerProcess(connectionString, "outage");
        await using (server)
        {
            await server.StartAsync();
            await SetUpAsync(server, workload, client);

            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                // A connector that re-sends what was not acknowledged before it moves on.
                while (!stop.IsCancellationRequested)
                {
                    await client.SendRecordingAsync(server, workload.NextBatch(BatchSize));
                    await client.SettleUnknownAsync(server, TimeSpan.FromSeconds(120));
                }
            });

            await Wait.UntilAsync(() => Volatile.Read(ref client.AcknowledgedCount) >= 2_000 || load.IsCompleted, "2,000 events acknowledged", TimeSpan.FromSeconds(60));
            await database.StopAsync();
            await Wait.UntilAsync(() => client.UnavailableAnswers > 0 || load.IsCompleted, "UNAVAILABLE while the database is down", TimeSpan.FromSeconds(60));
            var acknowledgedAtOutage = Volatile.Read(ref client.AcknowledgedCount);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(load.IsCompleted, load.Exception?.ToString());
            var acknowledgedDuringOutage = Volatile.Read(ref client.AcknowledgedCount) - acknowledgedAtOutage;

            await database.StartAgainAsync();
            await Wait.UntilAsync(() => Volatile.Read(ref client.AcknowledgedCount) >= acknowledgedAtOutage + 2_000 || load.IsCompleted, "ingest recovered by itself", TimeSpan.FromSeconds(120));
            await stop.CancelAsync();
            await load.Within(TimeSpan.FromSeconds(150));
            Assert.True(client.UnavailableAnswers > 0);
            Assert.True(acknowledgedDuringOutage < BatchSize, $"{acknowledgedDuringOutage} acknowledgements while the database was down"); // at most the tail of the batch in flight

            // Were the acknowledgements true? Kill the server and look.
            await server.KillAsync();
        }

        var acknowledged = client.Acknowledged.ToList();
        await using var restarted = server.Again();
        await restarted.StartAsync();
        await AssertRememberedAsync(restarted, acknowledged);
        await ServerState.AssertMatchesAsync(restarted, Reference(client), workload);
    }

    /// <summary>Sends five batches through <paramref name="via"/>; the screen on <paramref name="watched"/> must show the resulting board.</summary>
    private static async Task SendAndExpectOnScreenAsync(ServerProcess via, ServerProcess watched, DurableWorkload workload, IngestClient client, WatchedBoard screen, Task reading)
    {
        var before = screen.Version;
        for (var i = 0; i < 5; i++)
        {
            await client.SendRecordingAsync(via, workload.NextBatch(BatchSize));
        }

        await client.SettleUnknownAsync(via, TimeSpan.FromSeconds(60));
        var company = Reference(client).Regions[RegionState.CompanyId];
        var key = new BoardKey(Period.TryParse("2026", out var year) ? year : default, LeaderboardMetric.Bookings);
        var want = (company.Board(key) ?? throw new InvalidOperationException($"no {key} board; boards: {string.Join(", ", company.Boards.Keys)}"))
            .Top(100).Select(e => (e.RepId, e.Score)).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(screen.Version > before && screen.Shows(want)))
        {
            if (reading.IsCompleted || DateTime.UtcNow > deadline)
            {
                var served = await watched.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = RegionState.CompanyId, Period = "2026", Metric = V1.LeaderboardMetric.Bookings, Top = 100 });
                var log = string.Join("\n", watched.Log.Split('\n').Where(l => l.Contains("Evict", StringComparison.Ordinal) || l.Contains("renew", StringComparison.OrdinalIgnoreCase) || l.Contains("Recovery", StringComparison.Ordinal) || l.Contains("Delivery", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal) || l.Contains("dead", StringComparison.OrdinalIgnoreCase)).TakeLast(60));
                Assert.Fail($"the screen did not show the new bookings (watch {(reading.IsCompleted ? "ended: " + reading.Exception?.GetBaseException().Message : "open")}): " +
                    $"version {screen.Version} (before {before}), {screen.Updates} updates; shows [{screen.Describe()}]; want [{string.Join(", ", want.Take(8))}]; " +
                    $"served v{served.Version} [{string.Join(", ", served.Top.Take(8).Select(e => (e.RepId, e.Score)))}]\nlog (tail):\n{log[Math.Max(0, log.Length - 6000)..]}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task SetUpAsync(ServerProcess server, DurableWorkload workload, IngestClient client)
    {
        foreach (var batch in workload.Setup())
        {
            Assert.True(await client.SendRecordingAsync(server, batch), server.Log);
            await client.SettleUnknownAsync(server, TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Re-sends every acknowledged event: each must answer DUPLICATE, or the acknowledgement was false. UNAVAILABLE
    /// (a restarted server still rebuilding a grain on a busy machine) says nothing either way: those are sent again.
    /// </summary>
    private static async Task AssertRememberedAsync(ServerProcess server, List<SalesEvent> acknowledged)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        foreach (var chunk in acknowledged.Chunk(1_000))
        {
            var pending = chunk.ToList();
            while (pending.Count > 0)
            {
                var results = await IngestClient.SendAsync(server, pending, TimeSpan.FromSeconds(60));
                Assert.NotNull(results);
                var answers = pending.Zip(results).ToList();
                var lost = answers.Where(p => p.Second.Status is not (V1.EventStatus.Duplicate or V1.EventStatus.Unavailable))
                    .Select(p => $"{p.First} answered {p.Second.Status} {p.Second.Error?.Message}").ToList();
                Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events were lost, e.g. {string.Join("; ", lost.Take(3))}");
                pending = answers.Where(p => p.Second.Status == V1.EventStatus.Unavailable).Select(p => p.First).ToList();
                Assert.True(pending.Count == 0 || DateTime.UtcNow < deadline, $"{pending.Count} acknowledged events still answer UNAVAILABLE after two minutes, e.g. {pending.FirstOrDefault()}");
                if (pending.Count > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            }
        }
    }

    /// <summary>From scratch: every event sent, in order, through the in-process engine; all of them valid.</summary>
    private static InMemorySalesEngine Reference(IngestClient client)
    {
        var engine = new InMemorySalesEngine(Settings);
        foreach (var e in client.Sent)
        {
            var outcome = engine.Apply(e);
            Assert.True(outcome.IsAccepted, $"reference rejected {e}: {outcome.Code} {outcome.Message}");
        }

        // The workload must exercise deals, not only activities: open pipeline, wins and losses in the company.
        var company = engine.Regions[RegionState.CompanyId].Figures;
        var year = Period.TryParse("2026", out var p) ? p : default;
        Assert.True(company.Get(Figure.WonCount, year) > 0 && company.Get(Figure.LostCount, year) > 0, "workload produced no wins or losses");
        Assert.True(engine.Opportunities.Values.Count(o => o.IsOpened) > 20, "workload opened too few deals");
        return engine;
    }
}

/// <summary>What a leaderboard screen shows: the snapshot, then every change applied as it arrives.</summary>
internal sealed class WatchedBoard
{
    private readonly Dictionary<string, double> _rows = new();
    private long _version;
    private int _updates;

    public long Version => Interlocked.Read(ref _version);

    public int Updates => Volatile.Read(ref _updates);

    public async Task ReadAsync(IAsyncStreamReader<V1.WatchLeaderboardResponse> stream)
    {
        while (await stream.MoveNext(CancellationToken.None))
        {
            var update = stream.Current;
            lock (_rows)
            {
                if (update.Snapshot)
                {
                    _rows.Clear();
                }

                foreach (var removed in update.RemovedRepIds)
                {
                    _rows.Remove(removed);
                }

                foreach (var e in update.Entries)
                {
                    _rows[e.RepId] = e.Score;
                }
            }

            Interlocked.Exchange(ref _version, update.Version);
            Interlocked.Increment(ref _updates);
        }
    }

    public string Describe()
    {
        lock (_rows)
        {
            return string.Join(", ", _rows.OrderByDescending(r => r.Value).Take(8).Select(r => (r.Key, r.Value)));
        }
    }

    public bool Shows(IEnumerable<(string RepId, double Score)> rows)
    {
        lock (_rows)
        {
            return rows.All(w => _rows.TryGetValue(w.RepId, out var score) && score == w.Score);
        }
    }
}
