using System.Reflection;
using Npgsql;

namespace SalesOps.Persistence.Tests;

[Collection(DatabaseServerCollection.Name)]
public sealed class SchemaMigratorTests(DatabaseServerFixture fixture)
{
    private static readonly string[] ExpectedScripts =
    [
        "0001_orleans_clustering.sql",
        "0002_orleans_persistence.sql",
        "0003_orleans_reminders.sql",
        "0004_salesops_journal.sql",
        "0005_salesops_journal_append.sql",
        "0006_salesops_access.sql",
        "0007_salesops_journal_head.sql",
        "0008_salesops_journal_covered.sql",
        "0009_salesops_journal_late_check.sql",
    ];

    /// <summary>Every query key the 10.4.2 clustering, grain storage and reminder providers read.</summary>
    private static readonly string[] ExpectedQueryKeys =
    [
        // Clustering
        "CleanupDefunctSiloEntriesKey",
        "DeleteMembershipTableEntriesKey",
        "GatewaysQueryKey",
        "InsertMembershipKey",
        "InsertMembershipVersionKey",
        "MembershipReadAllKey",
        "MembershipReadRowKey",
        "UpdateIAmAlivetimeKey",
        "UpdateMembershipKey",
        // Grain storage (DeleteStorageKey is read only with DeleteStateOnClear, shipped so that option works)
        "ClearStorageKey",
        "DeleteStorageKey",
        "ReadFromStorageKey",
        "WriteToStorageKey",
        // Reminders
        "DeleteReminderRowKey",
        "DeleteReminderRowsKey",
        "ReadRangeRows1Key",
        "ReadRangeRows2Key",
        "ReadReminderRowKey",
        "ReadReminderRowsKey",
        "UpsertReminderRowKey",
    ];

    [Fact]
    public async Task FreshServer_CreatesDatabaseAndAppliesEveryScriptInOrder()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());

        var applied = await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        Assert.Equal(ExpectedScripts, applied);
        Assert.Equal(ExpectedScripts, SchemaMigrator.ScriptNames);
        var recorded = await Sql.RowsAsync(connectionString, "SELECT script FROM salesops_schema_version ORDER BY script");
        Assert.Equal(ExpectedScripts, recorded.Select(r => (string)r[0]!));
        var tables = await Sql.RowsAsync(
            connectionString,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        Assert.Equal(
            ["orleansmembershiptable", "orleansmembershipversiontable", "orleansquery", "orleansreminderstable", "orleansstorage", "salesops_api_keys", "salesops_audit", "salesops_journal", "salesops_schema_version"],
            tables.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task SecondRun_AppliesNothing()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        var second = await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        Assert.Empty(second);
        Assert.Equal(ExpectedScripts.Length, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM salesops_schema_version"));
    }

    [Fact]
    public async Task ConcurrentRuns_BothSucceedAndApplyEachScriptOnce()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());

        var runs = await Task.WhenAll(
            Task.Run(() => SchemaMigrator.MigrateAsync(connectionString)),
            Task.Run(() => SchemaMigrator.MigrateAsync(connectionString))).WaitAsync(Limits.Migration);

        // The lock serialises them: whoever comes second finds everything applied.
        Assert.Equal(ExpectedScripts, runs.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Contains(runs, r => r.Count == 0);
        var recorded = await Sql.RowsAsync(connectionString, "SELECT script, count(*) FROM salesops_schema_version GROUP BY script ORDER BY script");
        Assert.Equal(ExpectedScripts, recorded.Select(r => (string)r[0]!));
        Assert.All(recorded, r => Assert.Equal(1L, r[1]));
    }

    [Fact]
    public async Task ScriptsRunAgainOnExistingSchema_SucceedWithoutDuplicates()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);
        var queriesBefore = await Sql.RowsAsync(connectionString, "SELECT querykey, querytext FROM orleansquery ORDER BY querykey");

        // Forget that they ran: the scripts themselves must be idempotent.
        await Sql.ExecuteAsync(connectionString, "DELETE FROM salesops_schema_version");
        var again = await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        Assert.Equal(ExpectedScripts, again);
        var queriesAfter = await Sql.RowsAsync(connectionString, "SELECT querykey, querytext FROM orleansquery ORDER BY querykey");
        Assert.Equal(queriesBefore, queriesAfter);
    }

    [Fact]
    public async Task FailingScript_NamesTheScriptAndLeavesNothingOfIt()
    {
        var database = DatabaseServerFixture.NewDatabaseName();
        var connectionString = fixture.Server.ConnectionString(database);
        await Sql.ExecuteAsync(fixture.Server.ConnectionString("postgres"), $"CREATE DATABASE {database}");
        // A table of that name but the wrong shape: the first script's query upsert cannot work.
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE OrleansQuery (unrelated int)");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration));

        Assert.Contains("0001_orleans_clustering.sql", failure.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(failure.InnerException);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM salesops_schema_version"));
        Assert.Null(await Sql.ScalarAsync<string>(connectionString, "SELECT to_regclass('orleansmembershiptable')::text"));
    }

    [Fact]
    public async Task MigratedDatabase_HoldsExactlyTheQueryKeysTheProvidersRequire()
    {
        var connectionString = fixture.Server.ConnectionString(DatabaseServerFixture.NewDatabaseName());
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        var keys = (await Sql.RowsAsync(connectionString, "SELECT querykey FROM orleansquery ORDER BY querykey"))
            .Select(r => (string)r[0]!)
            .ToArray();

        Assert.Equal(ExpectedQueryKeys.Order(StringComparer.Ordinal), keys);
        // The clustering and reminder providers refuse to start unless every key their stored-query class
        // exposes is present; check against the packages themselves, so an upgrade that adds one fails here.
        Assert.Subset(keys.ToHashSet(), RequiredKeys("Orleans.Clustering.AdoNet.Storage.DbStoredQueries, Orleans.Clustering.AdoNet"));
        Assert.Subset(keys.ToHashSet(), RequiredKeys("Orleans.Reminders.AdoNet.Storage.DbStoredQueries, Orleans.Reminders.AdoNet"));
        var empty = await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleansquery WHERE length(trim(querytext)) = 0");
        Assert.Equal(0L, empty);
    }

    private static HashSet<string> RequiredKeys(string typeName)
    {
        var type = Type.GetType(typeName, throwOnError: true)!;
        var keys = type.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic).Select(p => p.Name).ToHashSet();
        Assert.NotEmpty(keys);
        return keys;
    }
}
