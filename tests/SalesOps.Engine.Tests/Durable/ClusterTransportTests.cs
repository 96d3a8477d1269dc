using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using SalesOps.Server.Hosting;
using SalesOps.TestSupport;
using Xunit.Abstractions;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// postgres mode's silo-to-silo transport (ADR 0027): the silo and gateway ports bind to the advertised address only,
/// and with <c>Cluster:Tls</c> silos join each other over mutual TLS and refuse a silo with another certificate.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTransportTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string AnyConnection = "Host=127.0.0.1;Port=1;Database=unused;Username=unused";

    [Fact]
    public void PostgresMode_BindsTheSiloAndGatewayToTheAdvertisedAddress()
    {
        using var app = SalesOpsHost.Build(
            ["--storage", "postgres", "--connection-string", AnyConnection, "--grpc-port", "0", "--silo-port", "41111", "--gateway-port", "42000",
             "--advertised-host", "127.0.0.1"],
            _ => { });

        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;

        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Null(endpoints.SiloListeningEndpoint); // Orleans then listens on the advertised address
        Assert.Null(endpoints.GatewayListeningEndpoint);
    }

    [Fact]
    public void SiloListenHost_BindsTheSiloAndGatewayThereInstead()
    {
        using var app = SalesOpsHost.Build(
            ["--storage", "postgres", "--connection-string", AnyConnection, "--grpc-port", "0", "--silo-port", "41111", "--gateway-port", "42000",
             "--advertised-host", "192.0.2.10", "--Server:SiloListenHost", "0.0.0.0"],
            _ => { });

        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;

        Assert.Equal(IPAddress.Parse("192.0.2.10"), endpoints.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 41111), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 42000), endpoints.GatewayListeningEndpoint);
    }

    [NeedsNonLoopbackAddressFact]
    public async Task RunningSilo_IsReachableOnLoopbackAndNotOnTheMachinesOtherAddress()
    {
        var connectionString = await postgres.DatabaseAsync("bind");
        await using var server = new ServerProcess(connectionString, "bind");
        await server.StartAsync();

        Assert.True(await AcceptsAsync(IPAddress.Loopback, server.SiloPort), "silo port not open on loopback");
        Assert.True(await AcceptsAsync(IPAddress.Loopback, server.GatewayPort), "gateway port not open on loopback");
        var other = NonLoopbackIPv4()!;
        output.WriteLine($"probing {other}");
        Assert.False(await AcceptsAsync(other, server.SiloPort), $"silo port {server.SiloPort} is open on {other}");
        Assert.False(await AcceptsAsync(other, server.GatewayPort), $"gateway port {server.GatewayPort} is open on {other}");
    }

    [Fact]
    public async Task SilosWithTheClusterCertificate_JoinOverMutualTls_ASiloWithAnotherCertificateDoesNot()
    {
        var directory = TestCertificates.NewDirectory();
        try
        {
            using var shared = TestCertificates.SelfSigned("salesops-cluster");
            using var stranger = TestCertificates.SelfSigned("salesops-cluster");
            var cluster = TestCertificates.WritePem(shared, directory, "cluster");
            var other = TestCertificates.WritePem(stranger, directory, "stranger");
            var connectionString = await postgres.DatabaseAsync("mtls");

            await using var a = new ServerProcess(connectionString, "mtls", Tls(cluster));
            await using var b = new ServerProcess(connectionString, "mtls", Tls(cluster));
            await a.StartAsync();
            await b.StartAsync(); // joining checks it can reach the active silo: over mutual TLS here
            await Wait.UntilAsync(async () => await ActiveSilosAsync(connectionString, "mtls") == 2, "two active silos", TimeSpan.FromSeconds(60));

            await using var c = new ServerProcess(connectionString, "mtls", Tls(other));
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => c.StartAsync(TimeSpan.FromSeconds(90)));
            output.WriteLine(refused.Message.Length > 2000 ? refused.Message[..2000] : refused.Message);
            Assert.Contains("AuthenticationException", refused.Message, StringComparison.Ordinal); // refused in the TLS handshake
            Assert.Equal(2, await ActiveSilosAsync(connectionString, "mtls"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ClusterTlsWithAMissingCertificateFile_ServerRefusesToStartNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(
            ["--storage", "postgres", "--connection-string", AnyConnection, "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0",
             "--Cluster:Tls:CertificateFile", "/nonexistent/cluster.crt", "--Cluster:Tls:KeyFile", "/nonexistent/cluster.key"],
            _ => { }));

        Assert.Contains("Cluster:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterCaFileWithoutACertificate_ServerRefusesToStartNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SalesOpsHost.Build(
            ["--storage", "postgres", "--connection-string", AnyConnection, "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0",
             "--Cluster:Tls:CaFile", "/nonexistent/ca.crt"],
            _ => { }));

        Assert.Contains("Cluster:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterPeer_IsTheSharedCertificateOrOneTheConfiguredCaIssued()
    {
        using var shared = TestCertificates.SelfSigned();
        using var stranger = TestCertificates.SelfSigned();
        using var authority = TestCertificates.Authority();
        using var otherAuthority = TestCertificates.Authority();
        using var member = TestCertificates.IssuedBy(authority);
        using var outsider = TestCertificates.IssuedBy(otherAuthority);
        var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(authority);

        Assert.True(ClusterTls.IsClusterPeer(shared, null, shared, null));
        Assert.False(ClusterTls.IsClusterPeer(stranger, null, shared, null));
        Assert.True(ClusterTls.IsClusterPeer(member, null, member, cas));
        Assert.False(ClusterTls.IsClusterPeer(outsider, null, member, cas));
        Assert.False(ClusterTls.IsClusterPeer(shared, null, shared, cas));
    }

    private static string[] Tls(PemFiles files) =>
        ["--Cluster:Tls:CertificateFile", files.CertificateFile, "--Cluster:Tls:KeyFile", files.KeyFile];

    private static async Task<long> ActiveSilosAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @id AND status = 3", connection);
        command.Parameters.AddWithValue("id", clusterId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> AcceptsAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        try
        {
            await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>An IPv4 address of this machine other than loopback, to probe from; null when it has none up.</summary>
    internal static IPAddress? NonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}

/// <summary>
/// A fact that needs an IPv4 address other than loopback on this machine, skipped with that reason when there is none
/// (such a machine cannot be reached from outside at all; the binding itself is still checked by the tests of
/// <see cref="EndpointOptions"/> above).
/// </summary>
public sealed class NeedsNonLoopbackAddressFactAttribute : FactAttribute
{
    public NeedsNonLoopbackAddressFactAttribute()
    {
        if (ClusterTransportTests.NonLoopbackIPv4() is null)
        {
            Skip = "no IPv4 address other than loopback is up on this machine: nothing to probe the silo port from";
        }
    }
}
