using System.Security.Cryptography.X509Certificates;
using Npgsql;
using SalesOps.TestSupport;

namespace SalesOps.Persistence.Tests;

/// <summary>
/// A throwaway PostgreSQL with <c>ssl=on</c>, a server certificate issued by a CA the fixture generates, and
/// <c>hostssl</c>-only authentication.
/// </summary>
public sealed class SslDatabaseServerFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public string Directory { get; } = TestCertificates.NewDirectory();

    /// <summary>The CA that issued the server's certificate, as a PEM file for <c>Root Certificate</c>.</summary>
    public string CaFile { get; private set; } = "";

    /// <summary>A CA that did not issue it.</summary>
    public string OtherCaFile { get; private set; } = "";

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        using var authority = TestCertificates.Authority();
        using var other = TestCertificates.Authority("another-ca");
        using var leaf = TestCertificates.IssuedBy(authority, "postgres-test");
        CaFile = TestCertificates.WritePem(authority, Directory, "ca").CertificateFile;
        OtherCaFile = TestCertificates.WritePem(other, Directory, "other-ca").CertificateFile;
        using var key = leaf.GetECDsaPrivateKey()!;
        var ssl = new PostgresSsl(leaf.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), Required: true);
        _server = await PostgresServer.StartAsync(ssl).WaitAsync(Limits.ServerStart);
    }

    /// <summary>A connection string for a new database with the given SSL settings (the server's own defaults otherwise).</summary>
    public string ConnectionString(string database, SslMode mode, string? rootCertificate = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(Server.ConnectionString(database)) { SslMode = mode, Pooling = false };
        if (rootCertificate is not null)
        {
            builder.RootCertificate = rootCertificate;
        }

        return builder.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().AsTask().WaitAsync(Limits.ServerStart);
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>
/// <c>SSL Mode</c> and <c>Root Certificate</c> in the connection string reach every connection the engine opens: the
/// migrator's (including the maintenance connection that creates the database) and the capped pools of the journal
/// and the Orleans providers.
/// </summary>
public sealed class PostgresSslTests(SslDatabaseServerFixture fixture) : IClassFixture<SslDatabaseServerFixture>
{
    private const string SessionUsesSsl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    [Fact]
    public async Task VerifyFullWithTheServersCa_MigratesAndQueriesOverSsl()
    {
        var connectionString = fixture.ConnectionString(DatabaseServerFixture.NewDatabaseName(), SslMode.VerifyFull, fixture.CaFile);

        var applied = await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        Assert.NotEmpty(applied);
        Assert.True(await Sql.ScalarAsync<bool>(connectionString, SessionUsesSsl));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM salesops_schema_version WHERE script = @s", ("s", applied[0])));
    }

    [Fact]
    public async Task PoolCappedConnectionString_KeepsTheSslSettings()
    {
        var connectionString = fixture.ConnectionString(DatabaseServerFixture.NewDatabaseName(), SslMode.VerifyFull, fixture.CaFile);
        await SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration);

        var capped = PostgresStorage.WithPoolCap(connectionString, PostgresStorage.JournalPool);

        var settings = new NpgsqlConnectionStringBuilder(capped);
        Assert.Equal(SslMode.VerifyFull, settings.SslMode);
        Assert.Equal(fixture.CaFile, settings.RootCertificate);
        await using var dataSource = NpgsqlDataSource.Create(capped); // as the journal opens it
        await using var command = dataSource.CreateCommand(SessionUsesSsl);
        Assert.True((bool)(await command.ExecuteScalarAsync().WaitAsync(Limits.Call))!);
    }

    [Fact]
    public async Task VerifyFullWithAnotherCa_IsRefused()
    {
        var connectionString = fixture.ConnectionString("postgres", SslMode.VerifyFull, fixture.OtherCaFile);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => Sql.ScalarAsync<bool>(connectionString, SessionUsesSsl));
    }

    [Fact]
    public async Task SslModeDisable_AgainstAHostsslOnlyServer_IsRefused()
    {
        var connectionString = fixture.ConnectionString("postgres", SslMode.Disable);

        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ScalarAsync<bool>(connectionString, SessionUsesSsl));

        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, error.SqlState); // no pg_hba.conf entry ... no encryption
    }

    [Fact]
    public async Task MigratorWithSslModeDisable_FailsInsteadOfDroppingToPlainText()
    {
        var connectionString = fixture.ConnectionString(DatabaseServerFixture.NewDatabaseName(), SslMode.Disable);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => SchemaMigrator.MigrateAsync(connectionString).WaitAsync(Limits.Migration));
    }
}
