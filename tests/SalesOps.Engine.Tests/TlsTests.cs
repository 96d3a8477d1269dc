using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using SalesOps.Server.Hosting;
using SalesOps.TestSupport;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// The real server started with <c>--tls-cert</c> / <c>--tls-key</c> and a self-signed certificate for loopback the
/// fixture generates: gRPC over TLS on a free port.
/// </summary>
public sealed class TlsServerFixture : IAsyncLifetime
{
    private WebApplication _app = null!;

    public string Directory { get; } = TestCertificates.NewDirectory();
    public X509Certificate2 Certificate { get; } = TestCertificates.SelfSigned();
    public PemFiles Files { get; private set; } = null!;
    public int GrpcPort { get; } = Net.FreePort();

    public async Task InitializeAsync()
    {
        Files = TestCertificates.WritePem(Certificate, Directory, "server");
        _app = SalesOpsHost.Build(
            [
                "--storage", "memory",
                "--grpc-port", GrpcPort.ToString(CultureInfo.InvariantCulture),
                "--web-port", Net.FreePort().ToString(CultureInfo.InvariantCulture),
                "--silo-port", Net.FreePort().ToString(CultureInfo.InvariantCulture),
                "--gateway-port", Net.FreePort().ToString(CultureInfo.InvariantCulture),
                "--tls-cert", Files.CertificateFile,
                "--tls-key", Files.KeyFile,
            ],
            builder => builder.Configuration["Logging:LogLevel:Default"] = "Warning");
        await _app.StartAsync().Within(TimeSpan.FromSeconds(60));
    }

    /// <summary>A channel over TLS that trusts exactly <paramref name="trusted"/> (a custom root store, no system roots).</summary>
    public GrpcChannel TrustingChannel(X509Certificate2 trusted)
    {
        var handler = new SocketsHttpHandler();
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(trusted);
        handler.SslOptions.CertificateChainPolicy = policy;
        return GrpcChannel.ForAddress($"https://127.0.0.1:{GrpcPort}", new GrpcChannelOptions { HttpHandler = handler });
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync().Within(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        Certificate.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>gRPC over TLS (ADR 0027): certificate from PEM files, h2c refused, an untrusted certificate refused, the healthcheck.</summary>
public sealed class TlsTests(TlsServerFixture server) : IClassFixture<TlsServerFixture>
{
    private static DateTime Deadline => DateTime.UtcNow.AddSeconds(10);

    [Fact]
    public async Task ClientTrustingTheServersCertificate_CallsOverTls()
    {
        using var channel = server.TrustingChannel(server.Certificate);

        var table = await new V1.QueryService.QueryServiceClient(channel).GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Deadline);

        Assert.Equal("USD", table.CurrencyCode);
        Assert.NotEmpty(table.Stages);
    }

    [Fact]
    public async Task PlainH2cClient_IsRefused()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new V1.QueryService.QueryServiceClient(channel).GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Deadline));

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.NotEqual(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task ClientTrustingAnotherCertificate_IsRefused()
    {
        using var other = TestCertificates.SelfSigned();
        using var channel = server.TrustingChannel(other);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new V1.QueryService.QueryServiceClient(channel).GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Deadline));

        AssertCertificateRefused(error);
    }

    [Fact]
    public async Task ClientWithTheSystemTrustStore_IsRefused()
    {
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}");

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new V1.QueryService.QueryServiceClient(channel).GetStageTableAsync(new V1.GetStageTableRequest(), deadline: Deadline));

        AssertCertificateRefused(error);
    }

    [Fact]
    public async Task HealthCheckCommand_WithTheServersTlsSettings_ReportsServing()
    {
        var exitCode = await HealthProbe.RunAsync(Settings(server.Files)).Within();

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task HealthCheckCommand_WithAnotherCertificate_ReportsUnreachable()
    {
        using var other = TestCertificates.SelfSigned();
        var files = TestCertificates.WritePem(other, server.Directory, "other");

        var exitCode = await HealthProbe.RunAsync(Settings(files)).Within();

        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task HealthCheckCommand_WithoutTls_ReportsUnreachable()
    {
        var exitCode = await HealthProbe.RunAsync(Settings(null)).Within();

        Assert.Equal(1, exitCode);
    }

    /// <summary>The call failed in the TLS handshake, on the client's check of the server's certificate.</summary>
    private static void AssertCertificateRefused(RpcException error)
    {
        var causes = new List<Exception>();
        for (var e = error.Status.DebugException; e is not null; e = e.InnerException)
        {
            causes.Add(e);
        }

        Assert.True(causes.OfType<System.Security.Authentication.AuthenticationException>().Any(), $"not a TLS authentication failure: {error}");
    }

    private IConfiguration Settings(PemFiles? tls)
    {
        var settings = new Dictionary<string, string?> { ["Server:GrpcPort"] = server.GrpcPort.ToString(CultureInfo.InvariantCulture) };
        if (tls is not null)
        {
            settings["Server:Tls:CertificateFile"] = tls.CertificateFile;
            settings["Server:Tls:KeyFile"] = tls.KeyFile;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }
}

/// <summary>TLS settings that cannot be used stop the server at start, naming the setting.</summary>
public sealed class TlsOptionsTests : IDisposable
{
    private readonly string _directory = TestCertificates.NewDirectory();

    [Fact]
    public void CertificateWithoutKey_ServerRefusesToStartNamingTheKeySetting()
    {
        var files = Write(TestCertificates.SelfSigned(), "server");

        var error = Assert.Throws<InvalidOperationException>(() => Build("--tls-cert", files.CertificateFile));

        Assert.Contains("Server:Tls:KeyFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyWithoutCertificate_ServerRefusesToStartNamingTheCertificateSetting()
    {
        var files = Write(TestCertificates.SelfSigned(), "server");

        var error = Assert.Throws<InvalidOperationException>(() => Build("--tls-key", files.KeyFile));

        Assert.Contains("Server:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCertificateFile_ServerRefusesToStartNamingTheSettingAndFile()
    {
        var files = Write(TestCertificates.SelfSigned(), "server");
        var missing = Path.Combine(_directory, "missing.crt");

        var error = Assert.Throws<InvalidOperationException>(() => Build("--tls-cert", missing, "--tls-key", files.KeyFile));

        Assert.Contains("Server:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateFileWithoutACertificate_ServerRefusesToStartNamingTheSetting()
    {
        var files = Write(TestCertificates.SelfSigned(), "server");

        var error = Assert.Throws<InvalidOperationException>(() => Build("--tls-cert", files.KeyFile, "--tls-key", files.KeyFile));

        Assert.Contains("Server:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyOfAnotherCertificate_ServerRefusesToStartNamingTheKeySetting()
    {
        var files = Write(TestCertificates.SelfSigned(), "server");
        var other = Write(TestCertificates.SelfSigned(), "other");

        var error = Assert.Throws<InvalidOperationException>(() => Build("--tls-cert", files.CertificateFile, "--tls-key", other.KeyFile));

        Assert.Contains("Server:Tls:KeyFile", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PemFiles Write(X509Certificate2 certificate, string name)
    {
        using (certificate)
        {
            return TestCertificates.WritePem(certificate, _directory, name);
        }
    }

    private static WebApplication Build(params string[] tls) =>
        SalesOpsHost.Build(["--storage", "memory", "--grpc-port", "0", "--silo-port", "0", "--gateway-port", "0", .. tls], _ => { });
}
