using Npgsql;
using NpgsqlTypes;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests.Baselines;

/// <summary>
/// The query-time SQL baseline: how BI dashboards over a CRM work. A CRM sync writes the run's events into a plain
/// relational schema in PostgreSQL (<c>bl_*</c> tables, one INSERT or UPDATE per event, one transaction per
/// batch, one connection per stream), and every figure is aggregated by the query that reads it: nothing is
/// precomputed. Measures the write rate over the whole replay (structure, setup and measured batches) and, at
/// checkpoints as the data grows, the latency of a bookings and an activity leaderboard, a forecast and a
/// "where am I" rank for the run's root region and month.
/// </summary>
/// <remarks>
/// At a checkpoint the writers are paused (they finish their batch first) and the tables are analyzed before the
/// reads are timed, so the reads see fresh statistics and no write contention: the favourable case for SQL.
/// </remarks>
public static class SqlBaseline
{
    private const string Name = "PostgreSQL query-time SQL";
    private const int CheckpointSamples = 20;

    /// <summary>
    /// Creates the schema (dropping the previous one), replays the run's events and times the reads after each of
    /// <paramref name="checkpoints"/> equal shares of the measured batches.
    /// </summary>
    /// <param name="measuredBatches">How many measured batches each stream sent in the engine run.</param>
    public static async Task<BaselineResult> RunAsync(
        RunEvents run, long[] measuredBatches, string connectionString, int checkpoints, Action<string> progress, CancellationToken ct)
    {
        var reads = new List<ReadSample>();
        string? error = null;
        await using var meter = new WriteMeter(Name, progress);
        try
        {
            await using var dataSource = CreateDataSource(connectionString);
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            {
                await ExecuteAsync(connection, Schema, ct);
            }

            var phases = Math.Max(1, checkpoints);
            await Replay.RunAsync(
                run,
                measuredBatches,
                phases,
                async token => new Writer(await dataSource.OpenConnectionAsync(token)),
                async phase =>
                {
                    var label = $"{(phase + 1) * 100 / phases}%";
                    meter.Status = $"reading at {label}";
                    reads.AddRange(await ReadCheckpointAsync(dataSource, run, label, ct));
                    meter.Status = null;
                },
                meter,
                ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            error = meter.Failed(ex);
        }

        return meter.Result(reads, error);
    }

    /// <summary>
    /// The latency of the bookings leaderboard (top 10 of the run's root region for its month) over the data
    /// <see cref="RunAsync"/> left behind: <paramref name="samples"/> executions after untimed warm-ups. Unlike
    /// <see cref="RunAsync"/>, a failure here is thrown.
    /// </summary>
    public static async Task<ReadSample> TimeLeaderboardAsync(RunEvents run, string connectionString, int samples, CancellationToken ct)
    {
        await using var dataSource = CreateDataSource(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (opportunities, activities) = await CountAsync(connection, ct);
        return await TimeAsync(connection, run, BookingsBoard, BookingsBoard.Name, samples, opportunities, activities, ct);
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // A sync job runs the same dozen statements all day: let the driver prepare them, as a DBA would ask.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        return builder.Build();
    }

    // ---------------------------------------------------------------- schema

    private const string Tables = "bl_targets, bl_payments, bl_activities, bl_opportunities, bl_customers, bl_reps, bl_regions, bl_stages";

    private const string Schema = $"""
        DROP TABLE IF EXISTS {Tables} CASCADE;

        CREATE TABLE bl_stages (id text PRIMARY KEY, probability integer NOT NULL);
        INSERT INTO bl_stages VALUES
            ('lead', 10), ('needs_research', 20), ('quote_sent', 40),
            ('contract_negotiation', 60), ('first_review_passed', 80), ('signing_steps_agreed', 90);

        CREATE TABLE bl_regions (id text PRIMARY KEY, parent_id text REFERENCES bl_regions (id));
        CREATE INDEX ON bl_regions (parent_id);

        CREATE TABLE bl_reps (id text PRIMARY KEY, region_id text NOT NULL REFERENCES bl_regions (id));
        CREATE INDEX ON bl_reps (region_id);

        CREATE TABLE bl_customers (id text PRIMARY KEY);

        CREATE TABLE bl_opportunities (
            id text PRIMARY KEY,
            owner_rep_id text NOT NULL REFERENCES bl_reps (id),
            customer_id text NOT NULL REFERENCES bl_customers (id),
            amount bigint NOT NULL,
            stage_id text NOT NULL REFERENCES bl_stages (id),
            status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
            expected_close date NOT NULL,
            opened_at timestamptz NOT NULL,
            closed_at timestamptz);
        CREATE INDEX ON bl_opportunities (owner_rep_id);
        CREATE INDEX ON bl_opportunities (status, closed_at);
        CREATE INDEX ON bl_opportunities (status, expected_close);

        CREATE TABLE bl_activities (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            rep_id text NOT NULL REFERENCES bl_reps (id),
            customer_id text REFERENCES bl_customers (id),
            occurred_at timestamptz NOT NULL,
            type smallint NOT NULL,
            minutes integer NOT NULL);
        CREATE INDEX ON bl_activities (occurred_at, rep_id);

        CREATE TABLE bl_payments (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            rep_id text NOT NULL REFERENCES bl_reps (id),
            customer_id text NOT NULL REFERENCES bl_customers (id),
            amount bigint NOT NULL,
            occurred_at timestamptz NOT NULL);
        CREATE INDEX ON bl_payments (occurred_at, rep_id);

        CREATE TABLE bl_targets (
            rep_id text NOT NULL REFERENCES bl_reps (id),
            period text NOT NULL,
            metric text NOT NULL,
            must_achieve bigint NOT NULL,
            stretch bigint NOT NULL,
            PRIMARY KEY (rep_id, period, metric));
        """;

    // ---------------------------------------------------------------- writes

    /// <summary>One stream's CRM sync: each batch is one NpgsqlBatch, which PostgreSQL runs as one transaction.</summary>
    private sealed class Writer(NpgsqlConnection connection) : IBatchWriter
    {
        public async Task WriteAsync(V1.Event[] batch, CancellationToken ct)
        {
            // Without an explicit transaction or error barriers, Npgsql sends the whole batch with a single Sync, so
            // the server runs it as one implicit transaction, committed in one round trip.
            await using var sql = new NpgsqlBatch(connection);
            foreach (var e in batch)
            {
                if (Statement(e) is { } statement)
                {
                    sql.BatchCommands.Add(statement);
                }
            }

            if (sql.BatchCommands.Count > 0)
            {
                await sql.ExecuteNonQueryAsync(ct);
            }
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    /// <summary>The statement a CRM sync runs for an event; null for events this schema does not model.</summary>
    private static NpgsqlBatchCommand? Statement(V1.Event e)
    {
        var at = e.OccurredAt.ToDateTime();
        switch (e.KindCase)
        {
            case V1.Event.KindOneofCase.RegionDefined:
                return Command("INSERT INTO bl_regions (id, parent_id) VALUES ($1, $2)",
                    Value(e.RegionDefined.RegionId), TextOrNull(e.RegionDefined.ParentRegionId));
            case V1.Event.KindOneofCase.RepJoined:
                return Command("INSERT INTO bl_reps (id, region_id) VALUES ($1, $2)",
                    Value(e.RepJoined.RepId), Value(e.RepJoined.RegionId));
            case V1.Event.KindOneofCase.CustomerRegistered:
                return Command("INSERT INTO bl_customers (id) VALUES ($1)", Value(e.CustomerRegistered.CustomerId));
            case V1.Event.KindOneofCase.OpportunityOpened:
                var opened = e.OpportunityOpened;
                return Command(
                    """
                    INSERT INTO bl_opportunities (id, owner_rep_id, customer_id, amount, stage_id, status, expected_close, opened_at)
                    VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)
                    """,
                    Value(opened.OpportunityId), Value(opened.OwnerRepId), Value(opened.CustomerId), Value(opened.Amount.MinorUnits),
                    Value(opened.StageId), DateOrNull(opened.ExpectedClose), Value(at));
            case V1.Event.KindOneofCase.OpportunityStageChanged:
                // A stage event reopens a closed deal (won and lost are stages like the others).
                var staged = e.OpportunityStageChanged;
                return Command(
                    """
                    UPDATE bl_opportunities SET stage_id = $2, status = 'open', closed_at = NULL, expected_close = COALESCE($3, expected_close)
                    WHERE id = $1
                    """,
                    Value(staged.OpportunityId), Value(staged.StageId), DateOrNull(staged.ExpectedClose));
            case V1.Event.KindOneofCase.OpportunityAmountChanged:
                return Command("UPDATE bl_opportunities SET amount = $2 WHERE id = $1",
                    Value(e.OpportunityAmountChanged.OpportunityId), Value(e.OpportunityAmountChanged.Amount.MinorUnits));
            case V1.Event.KindOneofCase.OpportunityReassigned:
                return Command("UPDATE bl_opportunities SET owner_rep_id = $2 WHERE id = $1",
                    Value(e.OpportunityReassigned.OpportunityId), Value(e.OpportunityReassigned.NewOwnerRepId));
            case V1.Event.KindOneofCase.OpportunityWon:
                // A won event without an amount keeps the deal's amount.
                return Command(
                    "UPDATE bl_opportunities SET status = 'won', closed_at = $2, amount = COALESCE(NULLIF($3, 0), amount) WHERE id = $1",
                    Value(e.OpportunityWon.OpportunityId), Value(at), Value(e.OpportunityWon.Amount?.MinorUnits ?? 0));
            case V1.Event.KindOneofCase.OpportunityLost:
                return Command("UPDATE bl_opportunities SET status = 'lost', closed_at = $2 WHERE id = $1",
                    Value(e.OpportunityLost.OpportunityId), Value(at));
            case V1.Event.KindOneofCase.ActivityLogged:
                var activity = e.ActivityLogged;
                return Command("INSERT INTO bl_activities (rep_id, customer_id, occurred_at, type, minutes) VALUES ($1, $2, $3, $4, $5)",
                    Value(activity.RepId), TextOrNull(activity.CustomerId), Value(at), Value((short)activity.Type), Value(activity.DurationMinutes));
            case V1.Event.KindOneofCase.PaymentReceived:
                var payment = e.PaymentReceived;
                return Command("INSERT INTO bl_payments (rep_id, customer_id, amount, occurred_at) VALUES ($1, $2, $3, $4)",
                    Value(payment.RepId), Value(payment.CustomerId), Value(payment.Amount.MinorUnits), Value(at));
            case V1.Event.KindOneofCase.TargetSet when e.TargetSet.Scope == V1.TargetScope.Rep && e.TargetSet.Dimension is null:
                var target = e.TargetSet;
                return Command(
                    """
                    INSERT INTO bl_targets (rep_id, period, metric, must_achieve, stretch) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (rep_id, period, metric) DO UPDATE SET must_achieve = excluded.must_achieve, stretch = excluded.stretch
                    """,
                    Value(target.ScopeId), Value(target.Period), Value(target.Metric.ToString().ToLowerInvariant()),
                    Value(target.MustAchieve), Value(target.Stretch));
            default:
                // Rep moves (history-preserving region membership), region targets, targets by dimension and forecast
                // submissions (read by no query the baseline times) are not modelled.
                return null;
        }
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<T> Value<T>(T value) => new() { TypedValue = value };

    private static NpgsqlParameter TextOrNull(string value) =>
        value.Length == 0 ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : Value(value);

    private static NpgsqlParameter DateOrNull(Google.Type.Date? date) =>
        date is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date } : Value(new DateOnly(date.Year, date.Month, date.Day));

    // ---------------------------------------------------------------- reads

    /// <summary>A timed read. Parameters: @root, @from/@to (the month, timestamptz), @close_from/@close_to (dates), @rep.</summary>
    private sealed record Read(string Name, string Sql);

    /// <summary>The reps currently in the root region's subtree, found by walking the region tree at query time.</summary>
    private const string ScopeReps = """
        WITH RECURSIVE subtree (id) AS (
            SELECT id FROM bl_regions WHERE id = @root
            UNION ALL
            SELECT r.id FROM bl_regions r JOIN subtree s ON r.parent_id = s.id),
        scope_reps AS (SELECT p.id FROM bl_reps p JOIN subtree s ON p.region_id = s.id)
        """;

    /// <summary>Bookings per rep in scope: won amounts with the win dated in the month.</summary>
    private const string BookingsScores = """
        SELECT o.owner_rep_id AS rep_id, SUM(o.amount) AS score
        FROM bl_opportunities o JOIN scope_reps s ON s.id = o.owner_rep_id
        WHERE o.status = 'won' AND o.closed_at >= @from AND o.closed_at < @to
        GROUP BY o.owner_rep_id
        """;

    /// <summary>Activities per rep in scope dated in the month.</summary>
    private const string ActivityScores = """
        SELECT a.rep_id, COUNT(*) AS score
        FROM bl_activities a JOIN scope_reps s ON s.id = a.rep_id
        WHERE a.occurred_at >= @from AND a.occurred_at < @to
        GROUP BY a.rep_id
        """;

    /// <summary>Leaderboard order: score descending, ties by rep id ordinal (the "C" collation compares bytes).</summary>
    private const string BoardOrder = """score DESC, rep_id COLLATE "C" """;

    private static string TopTen(string scores) => $"""
        {ScopeReps},
        scores AS ({scores})
        SELECT rep_id, score FROM scores WHERE score <> 0 ORDER BY {BoardOrder} LIMIT 10
        """;

    private static string RankOfRep(string scores) => $"""
        {ScopeReps},
        scores AS ({scores})
        SELECT rank FROM (
            SELECT rep_id, ROW_NUMBER() OVER (ORDER BY {BoardOrder}) AS rank FROM scores WHERE score <> 0) ranked
        WHERE rep_id = @rep
        """;

    private const string Forecast = $"""
        {ScopeReps},
        bookings AS ({BookingsScores})
        SELECT (SELECT COALESCE(SUM(score), 0) FROM bookings)
             + (SELECT COALESCE(SUM(o.amount * st.probability), 0) / 100.0
                FROM bl_opportunities o
                JOIN scope_reps s ON s.id = o.owner_rep_id
                JOIN bl_stages st ON st.id = o.stage_id
                WHERE o.status = 'open' AND o.expected_close >= @close_from AND o.expected_close < @close_to) AS forecast
        """;

    /// <summary>The headline read, the one <see cref="TimeLeaderboardAsync"/> times.</summary>
    private static readonly Read BookingsBoard = new("leaderboard bookings top 10", TopTen(BookingsScores));

    /// <summary>The reads timed at each checkpoint (the bookings board last of the boards, as the runner's comparison takes the last).</summary>
    private static readonly Read[] Reads =
    [
        new("leaderboard activities top 10", TopTen(ActivityScores)),
        BookingsBoard,
        new("forecast", Forecast),
        new("rep rank bookings", RankOfRep(BookingsScores)),
    ];

    private static async Task<List<ReadSample>> ReadCheckpointAsync(NpgsqlDataSource dataSource, RunEvents run, string label, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, $"ANALYZE {Tables}", ct);
        var (opportunities, activities) = await CountAsync(connection, ct);
        var samples = new List<ReadSample>();
        foreach (var read in Reads)
        {
            samples.Add(await TimeAsync(connection, run, read, $"{read.Name} @ {label}", CheckpointSamples, opportunities, activities, ct));
        }

        return samples;
    }

    private static async Task<ReadSample> TimeAsync(
        NpgsqlConnection connection, RunEvents run, Read read, string label, int samples, long opportunities, long activities, CancellationToken ct)
    {
        await using var command = CreateReadCommand(connection, run, read.Sql);
        var (p50, p99) = await ReadTimer.MeasureAsync(samples, async () =>
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
            }
        });
        return new ReadSample(label, opportunities, activities, Math.Max(1, samples), p50, p99);
    }

    /// <summary>A read bound to the run's root region, month and probe rep.</summary>
    private static NpgsqlCommand CreateReadCommand(NpgsqlConnection connection, RunEvents run, string sql)
    {
        var month = new DateTime(run.BaseUtc.Year, run.BaseUtc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("root", run.Company.RootRegion));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("from", month));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("to", month.AddMonths(1)));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("close_from", DateOnly.FromDateTime(month)));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("close_to", DateOnly.FromDateTime(month.AddMonths(1))));
        command.Parameters.Add(new NpgsqlParameter<string>("rep", ReadTimer.ProbeRep(run)));
        return command;
    }

    private static async Task<(long Opportunities, long Activities)> CountAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT (SELECT COUNT(*) FROM bl_opportunities), (SELECT COUNT(*) FROM bl_activities)", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
