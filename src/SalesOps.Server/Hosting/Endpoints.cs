using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SalesOps.Server.Hosting;

/// <summary>A certificate and its private key, as PEM files (section <c>Server:Tls</c> for gRPC).</summary>
public sealed class PemCertificateOptions
{
    /// <summary>The certificate, PEM; the server's first, then any intermediates it should send.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key, PEM (PKCS#8, PKCS#1 or SEC1), not encrypted: protect the file instead (mode 0600, a secret mount).</summary>
    public string? KeyFile { get; set; }

    public bool IsSet => !string.IsNullOrWhiteSpace(CertificateFile) || !string.IsNullOrWhiteSpace(KeyFile);
}

/// <summary>
/// How the gRPC endpoint is exposed, beside <see cref="ServerOptions"/> (same section <c>Server</c>): TLS, server
/// reflection, and where the silo listens when that is not the advertised address.
/// </summary>
public sealed class TransportOptions
{
    /// <summary>gRPC over TLS (HTTP/1.1 and HTTP/2, ALPN) when set; h2c otherwise.</summary>
    public PemCertificateOptions Tls { get; set; } = new();

    /// <summary>gRPC server reflection; unset means on when <see cref="ServerOptions.GrpcHost"/> is loopback, off otherwise.</summary>
    public bool? Reflection { get; set; }

    /// <summary>
    /// The OpenAPI document and Swagger UI of the JSON form (<see cref="OpenApi"/>); unset means on when
    /// <see cref="ServerOptions.GrpcHost"/> is loopback, off otherwise.
    /// </summary>
    public bool? OpenApi { get; set; }

    /// <summary>
    /// postgres mode: the address the silo and gateway ports bind to, when it differs from the advertised one (behind
    /// NAT, the advertised address is not on this machine). Unset: they bind to the advertised address.
    /// </summary>
    public string? SiloListenHost { get; set; }

    public static TransportOptions From(IConfiguration configuration) =>
        configuration.GetSection(ServerOptions.Section).Get<TransportOptions>() ?? new TransportOptions();
}

/// <summary>What listens where: the gRPC endpoint (h2c, or TLS from PEM files) and whether reflection is served.</summary>
public static class Endpoints
{
    /// <summary>True for 127.0.0.0/8, ::1 (also IPv4-mapped) and <c>localhost</c>: an address only this machine reaches.</summary>
    public static bool IsLoopback(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var trimmed = host.Trim();
        if (string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(trimmed.TrimStart('[').TrimEnd(']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>
    /// The gRPC endpoint on <see cref="ServerOptions.GrpcHost"/>:<see cref="ServerOptions.GrpcPort"/>. With
    /// <c>Server:Tls:CertificateFile</c> and <c>KeyFile</c> it serves TLS with HTTP/1.1 and HTTP/2 (ALPN gives gRPC
    /// h2); otherwise HTTP/2 without TLS (h2c), since one plain port cannot serve both. A TLS setting that cannot be
    /// used fails here, before anything starts, naming the setting.
    /// </summary>
    public static WebApplicationBuilder ListenForGrpc(this WebApplicationBuilder builder, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        var certificate = LoadPem(TransportOptions.From(builder.Configuration).Tls, "Server:Tls");
        void Configure(ListenOptions listen)
        {
            if (certificate is null)
            {
                listen.Protocols = HttpProtocols.Http2;
                return;
            }

            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = certificate.Leaf;
                https.ServerCertificateChain = certificate.Chain;
            });
        }

        // The web port: what a browser speaks (it cannot speak h2c), TLS too when gRPC has it.
        void ConfigureWeb(ListenOptions listen)
        {
            listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
            if (certificate is not null)
            {
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate.Leaf;
                    https.ServerCertificateChain = certificate.Chain;
                });
            }
        }

        var host = server.GrpcHost.Trim();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            void Listen(int port, Action<ListenOptions> configure)
            {
                if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
                {
                    kestrel.ListenLocalhost(port, configure);
                }
                else
                {
                    kestrel.Listen(ParseAddress(host, "Server:GrpcHost (--grpc-host)"), port, configure);
                }
            }

            Listen(server.GrpcPort, Configure);
            if (server.EffectiveWebPort is { } web)
            {
                Listen(web, ConfigureWeb);
            }
        });
        return builder;
    }

    /// <summary>
    /// True for a request that came in on the web port (HTTP/1.1 for browsers, scrapers and the dashboard), not the gRPC
    /// port. With a port picked by the system (0) it is told apart from the gRPC port instead.
    /// </summary>
    public static bool IsWebConnection(HttpContext context, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(server);
        return server.EffectiveWebPort switch
        {
            null => false,
            > 0 and var web => context.Connection.LocalPort == web,
            _ => server.GrpcPort == 0 || context.Connection.LocalPort != server.GrpcPort,
        };
    }

    /// <summary>Whether gRPC server reflection is served: <c>Server:Reflection</c>, by default only on a loopback gRPC host.</summary>
    public static bool ReflectionEnabled(IConfiguration configuration, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return TransportOptions.From(configuration).Reflection ?? IsLoopback(server.GrpcHost);
    }

    /// <summary>
    /// Maps the reflection service when <see cref="ReflectionEnabled"/>: it lists every method and message, which
    /// helps tools on a developer's machine and tells a stranger on the network the whole attack surface.
    /// </summary>
    public static WebApplication MapGrpcReflectionIfEnabled(this WebApplication app, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (ReflectionEnabled(app.Configuration, server))
        {
            app.MapGrpcReflectionService();
        }

        return app;
    }

    /// <summary>An IP address setting; a host name is refused naming the setting.</summary>
    internal static IPAddress ParseAddress(string host, string setting) =>
        IPAddress.TryParse(host.Trim().TrimStart('[').TrimEnd(']'), out var address)
            ? address
            : throw new InvalidOperationException($"{setting} must be an IP address (or localhost), not '{host}'");

    /// <summary>
    /// Loads a certificate with its key and any intermediates from PEM files; null when neither file is set. Every way
    /// it can fail throws an <see cref="InvalidOperationException"/> naming the setting (<paramref name="section"/>
    /// <c>:CertificateFile</c> or <c>:KeyFile</c>) and the file.
    /// </summary>
    internal static PemCertificate? LoadPem(PemCertificateOptions options, string section)
    {
        if (!options.IsSet)
        {
            return null;
        }

        var certificateSetting = section + ":CertificateFile";
        var keySetting = section + ":KeyFile";
        if (string.IsNullOrWhiteSpace(options.CertificateFile) || string.IsNullOrWhiteSpace(options.KeyFile))
        {
            var missing = string.IsNullOrWhiteSpace(options.CertificateFile) ? certificateSetting : keySetting;
            throw new InvalidOperationException($"{certificateSetting} and {keySetting} go together: {missing} is not set");
        }

        var certificateText = ReadSetting(options.CertificateFile, certificateSetting);
        var keyText = ReadSetting(options.KeyFile, keySetting);
        var all = ReadCertificates(certificateText, options.CertificateFile, certificateSetting);
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certificateText, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"{keySetting} '{options.KeyFile}' does not hold an unencrypted PEM private key matching the certificate in {certificateSetting}: {ex.Message}", ex);
        }

        var chain = new X509Certificate2Collection();
        foreach (var certificate in all.Skip(1))
        {
            chain.Add(certificate);
        }

        return new PemCertificate(leaf, chain);
    }

    /// <summary>Every certificate in a PEM file (a CA bundle, a chain); at least one, or it throws naming the setting.</summary>
    internal static X509Certificate2Collection ReadCertificateFile(string path, string setting) =>
        ReadCertificates(ReadSetting(path, setting), path, setting);

    private static X509Certificate2Collection ReadCertificates(string text, string path, string setting)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException($"{setting} '{path}' holds a PEM certificate that cannot be read: {ex.Message}", ex);
        }

        return certificates.Count > 0
            ? certificates
            : throw new InvalidOperationException($"{setting} '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    private static string ReadSetting(string path, string setting)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidOperationException($"{setting} '{path}' cannot be read: {ex.Message}", ex);
        }
    }
}

/// <summary>A certificate with its private key, and the intermediates to send with it.</summary>
internal sealed record PemCertificate(X509Certificate2 Leaf, X509Certificate2Collection Chain);
