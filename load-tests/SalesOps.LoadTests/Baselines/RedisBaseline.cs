using System.Globalization;
using StackExchange.Redis;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests.Baselines;

/// <summary>
/// The Redis baseline: live leaderboards alone, as sorted sets. Replays the run's events (one writer per stream,
/// concurrently, each batch pipelined and awaited together) and turns every event that moves a leaderboard into a
/// <c>ZINCRBY</c> on the board of each region the rep's leaf belongs to (leaf, area, run root), keyed
/// <c>lb:{period}:{metric}:{region}</c>: activity count, bookings (a win credits the deal's owner with its amount,
/// which the writer remembers from the deal's opened and amount events, as a connector would) and collections.
/// Measures the write rate over the whole replay and the latency of the root bookings board's top 10
/// (<c>ZREVRANGE 0 9 WITHSCORES</c>) and of a rep's rank on it (<c>ZREVRANK</c>).
/// </summary>
/// <remarks>
/// Nothing else of the engine's figures exists here (no forecast, pipeline, targets or attainment), and ties are
/// ordered the Redis way (by member, descending), not by rep id ascending.
/// </remarks>
public static class RedisBaseline
{
    private const string Name = "Redis sorted sets";
    private const int ReadSamples = 1_000;
    private const string Activities = "activities";
    private const string Bookings = "bookings";
    private const string Collections = "collections";

    /// <summary>Clears the run's boards, replays the run's events into them and times the two reads.</summary>
    /// <param name="measuredBatches">How many measured batches each stream sent in the engine run.</param>
    /// <param name="endpoint">The redis-server, for example "127.0.0.1:6390".</param>
    public static async Task<BaselineResult> RunAsync(RunEvents run, long[] measuredBatches, string endpoint, Action<string> progress, CancellationToken ct)
    {
        var reads = new List<ReadSample>();
        string? error = null;
        await using var meter = new WriteMeter(Name, progress);
        try
        {
            var options = ConfigurationOptions.Parse(endpoint);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 5_000;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            if (!redis.IsConnected)
            {
                throw new InvalidOperationException($"no redis-server reachable at {endpoint} within {options.ConnectTimeout} ms");
            }

            var db = redis.GetDatabase();
            await db.KeyDeleteAsync(RunKeys(run));

            var boards = new Boards(run.Company);
            await Replay.RunAsync(run, measuredBatches, 1, _ => Task.FromResult<IBatchWriter>(new Writer(db, boards)), _ => Task.CompletedTask, meter, ct);

            meter.Status = "reading";
            var board = Key(run.Period, Bookings, run.Company.RootRegion);
            var probe = ReadTimer.ProbeRep(run);
            reads.Add(await TimeAsync("leaderboard bookings top 10 (ZREVRANGE)", boards, () => db.SortedSetRangeByRankWithScoresAsync(board, 0, 9, Order.Descending)));
            reads.Add(await TimeAsync("rep rank bookings (ZREVRANK)", boards, () => db.SortedSetRankAsync(board, probe, Order.Descending)));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            error = meter.Failed(ex);
        }

        return meter.Result(reads, error);
    }

    private static async Task<ReadSample> TimeAsync(string query, Boards boards, Func<Task> read)
    {
        var (p50, p99) = await ReadTimer.MeasureAsync(ReadSamples, read);
        return new ReadSample(query, boards.Opportunities, boards.Activities, ReadSamples, p50, p99);
    }

    private static RedisKey Key(string period, string metric, string region) => $"lb:{period}:{metric}:{region}";

    /// <summary>Every board of the run's month (each metric for the root, every area and every leaf).</summary>
    private static RedisKey[] RunKeys(RunEvents run)
    {
        var company = run.Company;
        string[] regions = [company.RootRegion, .. company.Areas, .. company.Leaves];
        return [.. from metric in new[] { Activities, Bookings, Collections } from region in regions select Key(run.Period, metric, region)];
    }

    /// <summary>The run's rep index and the regions each rep's scores go to; counts what was replayed.</summary>
    private sealed class Boards(Company company)
    {
        private readonly Dictionary<string, int> _reps = company.RepIds.Select((id, i) => (id, i)).ToDictionary(r => r.id, r => r.i);
        private long _opportunities;
        private long _activities;

        public long Opportunities => Interlocked.Read(ref _opportunities);

        public long Activities => Interlocked.Read(ref _activities);

        public int RepIndex(string repId) => _reps[repId];

        public void CountOpened() => Interlocked.Increment(ref _opportunities);

        public void CountActivity() => Interlocked.Increment(ref _activities);

        /// <summary>Adds to the rep's score on its leaf's, its area's and the run root's board.</summary>
        public void Credit(IBatch pipeline, List<Task> sent, Google.Protobuf.WellKnownTypes.Timestamp at, string metric, int rep, double amount)
        {
            var period = at.ToDateTime().ToString("yyyy-MM", CultureInfo.InvariantCulture);
            RedisValue member = company.RepIds[rep];
            sent.Add(pipeline.SortedSetIncrementAsync(Key(period, metric, company.Leaves[company.LeafOf(rep)]), member, amount));
            sent.Add(pipeline.SortedSetIncrementAsync(Key(period, metric, company.Areas[company.AreaOf(rep)]), member, amount));
            sent.Add(pipeline.SortedSetIncrementAsync(Key(period, metric, company.RootRegion), member, amount));
        }
    }

    private readonly record struct Deal(int Rep, long Amount);

    /// <summary>One stream's connector: remembers its open deals' owner and amount, pipelines each batch.</summary>
    private sealed class Writer(IDatabase db, Boards boards) : IBatchWriter
    {
        private readonly Dictionary<string, Deal> _deals = new();

        public async Task WriteAsync(V1.Event[] batch, CancellationToken ct)
        {
            var pipeline = db.CreateBatch();
            var sent = new List<Task>();
            foreach (var e in batch)
            {
                Apply(e, pipeline, sent);
            }

            pipeline.Execute();
            await Task.WhenAll(sent).WaitAsync(ct);
        }

        private void Apply(V1.Event e, IBatch pipeline, List<Task> sent)
        {
            switch (e.KindCase)
            {
                case V1.Event.KindOneofCase.OpportunityOpened:
                    _deals[e.OpportunityOpened.OpportunityId] = new Deal(boards.RepIndex(e.OpportunityOpened.OwnerRepId), e.OpportunityOpened.Amount.MinorUnits);
                    boards.CountOpened();
                    break;
                case V1.Event.KindOneofCase.OpportunityAmountChanged when _deals.TryGetValue(e.OpportunityAmountChanged.OpportunityId, out var deal):
                    _deals[e.OpportunityAmountChanged.OpportunityId] = deal with { Amount = e.OpportunityAmountChanged.Amount.MinorUnits };
                    break;
                case V1.Event.KindOneofCase.OpportunityReassigned when _deals.TryGetValue(e.OpportunityReassigned.OpportunityId, out var deal):
                    _deals[e.OpportunityReassigned.OpportunityId] = deal with { Rep = boards.RepIndex(e.OpportunityReassigned.NewOwnerRepId) };
                    break;
                case V1.Event.KindOneofCase.OpportunityWon when _deals.Remove(e.OpportunityWon.OpportunityId, out var deal):
                    // A won amount of 0 keeps the deal's amount.
                    var amount = e.OpportunityWon.Amount?.MinorUnits ?? deal.Amount;
                    boards.Credit(pipeline, sent, e.OccurredAt, Bookings, deal.Rep, amount);
                    break;
                case V1.Event.KindOneofCase.OpportunityLost:
                    _deals.Remove(e.OpportunityLost.OpportunityId);
                    break;
                case V1.Event.KindOneofCase.ActivityLogged:
                    boards.Credit(pipeline, sent, e.OccurredAt, Activities, boards.RepIndex(e.ActivityLogged.RepId), 1);
                    boards.CountActivity();
                    break;
                case V1.Event.KindOneofCase.PaymentReceived:
                    boards.Credit(pipeline, sent, e.OccurredAt, Collections, boards.RepIndex(e.PaymentReceived.RepId), e.PaymentReceived.Amount.MinorUnits);
                    break;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
