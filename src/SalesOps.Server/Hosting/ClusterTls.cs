using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace SalesOps.Server.Hosting;

/// <summary>
/// Mutual TLS between silos (and for Orleans clients that reach a gateway), section <c>Cluster:Tls</c>; postgres
/// mode only, as memory mode is one process. Every silo presents its certificate and accepts a peer whose certificate
/// is the same one (one certificate shared by the cluster), or, with <see cref="CaFile"/>, one issued by that CA.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string Section = "Cluster:Tls";

    /// <summary>This silo's certificate, PEM; it must allow server and client authentication (or name no usage).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key, PEM, unencrypted.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// CA certificates (PEM) a peer's certificate must chain to; use a CA that issues certificates for this cluster
    /// only, since any certificate it issued is let in. Unset: a peer must present this silo's own certificate.
    /// </summary>
    public string? CaFile { get; set; }

    public static ClusterTlsOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();
}

/// <summary>Wires <see cref="ClusterTlsOptions"/> into the silo through Orleans' TLS connection middleware.</summary>
public static class ClusterTls
{
    /// <summary>
    /// Turns on mutual TLS on the silo-to-silo and gateway connections when <c>Cluster:Tls:CertificateFile</c> and
    /// <c>KeyFile</c> are set; files that cannot be used fail here, naming the setting.
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var options = ClusterTlsOptions.From(configuration);
        var own = Endpoints.LoadPem(new PemCertificateOptions { CertificateFile = options.CertificateFile, KeyFile = options.KeyFile }, ClusterTlsOptions.Section);
        if (own is null)
        {
            return string.IsNullOrWhiteSpace(options.CaFile)
                ? silo
                : throw new InvalidOperationException($"{ClusterTlsOptions.Section}:CaFile is set but {ClusterTlsOptions.Section}:CertificateFile and KeyFile are not");
        }

        var authorities = string.IsNullOrWhiteSpace(options.CaFile)
            ? null
            : Endpoints.ReadCertificateFile(options.CaFile, ClusterTlsOptions.Section + ":CaFile");
        silo.UseTls(own.Leaf, tls =>
        {
            // Both ends present a certificate and check the other's: a silo is both server and client.
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (peer, presented, _) => IsClusterPeer(peer, presented, own.Leaf, authorities);
        });
        return silo;
    }

    /// <summary>
    /// Whether a peer belongs to the cluster. Silos dial each other by IP address, so the host name is not checked:
    /// the peer is identified by its certificate, which is this silo's own (no CA file) or chains to the CA file.
    /// </summary>
    public static bool IsClusterPeer(X509Certificate2 peer, X509Chain? presented, X509Certificate2 own, X509Certificate2Collection? authorities)
    {
        if (authorities is null)
        {
            var now = DateTime.Now;
            return peer.RawDataMemory.Span.SequenceEqual(own.RawDataMemory.Span) && peer.NotBefore <= now && now <= peer.NotAfter;
        }

        using var chain = new X509Chain();
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate); // intermediates the peer sent
            }
        }

        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(peer);
    }
}
