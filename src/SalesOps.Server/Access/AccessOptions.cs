namespace SalesOps.Server.Access;

/// <summary>Who may call the server. Section <c>Auth</c> (README, "Access").</summary>
public sealed class AccessOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// Every call must carry credentials. When false (the default), a call without credentials acts as the local
    /// development identity (an admin) — allowed only while the gRPC endpoint is bound to loopback; a server bound to
    /// any other address with this false refuses to start.
    /// </summary>
    public bool Required { get; set; }

    /// <summary>
    /// An admin API key given through configuration (at least 32 characters, e.g. <c>openssl rand -base64 32</c>):
    /// the first admin of a deployment, which then creates the other keys. Prefer <see cref="BootstrapAdminKeyFile"/>.
    /// </summary>
    public string BootstrapAdminKey { get; set; } = "";

    /// <summary>A file holding the bootstrap admin key (a Docker or Kubernetes secret).</summary>
    public string BootstrapAdminKeyFile { get; set; } = "";

    /// <summary>How long a server trusts what it read of a key: a revocation reaches every server within this.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Company-wide leaderboards are visible to every role that reads boards, whatever its region.</summary>
    public bool CompanyBoardsVisibleToAll { get; set; }

    /// <summary>Audit entries a memory-mode server keeps (postgres mode keeps them all).</summary>
    public int AuditMemoryCapacity { get; set; } = 100_000;

    public JwtOptions Jwt { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();
}

/// <summary>
/// What one identity may take, and the server's own caps. Section <c>Auth:Limits</c>; a key's own limits
/// (<c>KeyLimits</c>) replace the per-identity defaults. The development identity has no per-identity limits.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Events a second one identity may ingest; a burst of one second's worth, or of one full batch, passes at once.</summary>
    public int EventsPerSecond { get; set; } = 20_000;

    /// <summary>Watch streams one identity may hold open at once.</summary>
    public int WatchStreams { get; set; } = 50;

    /// <summary>Largest request of one identity, in bytes (never above the server's 16 MB).</summary>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Watch streams this server holds open at once, all identities together.</summary>
    public int MaxWatchers { get; set; } = 10_000;

    /// <summary>Calls with bad credentials one address may make a minute; beyond, its calls are refused until the minute ends.</summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 30;
}

/// <summary>Bearer JWTs for people and front-end apps. Section <c>Auth:Jwt</c>; configured when it names signing keys.</summary>
public sealed class JwtOptions
{
    /// <summary>Accepted <c>iss</c> values (at least one).</summary>
    public string[] Issuers { get; set; } = [];

    /// <summary>Accepted <c>aud</c> values (at least one).</summary>
    public string[] Audiences { get; set; } = [];

    /// <summary>A JSON Web Key Set file with the signing keys (re-read every <see cref="KeysRefresh"/>).</summary>
    public string JwksFile { get; set; } = "";

    /// <summary>A JSON Web Key Set URL (https, or http on loopback) with the signing keys.</summary>
    public string JwksUrl { get; set; } = "";

    /// <summary>How often the key set is read again (key rotation).</summary>
    public TimeSpan KeysRefresh { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The claim naming the role (<c>connector</c>, <c>screen</c>, <c>rep</c>, <c>manager</c>, <c>admin</c>).</summary>
    public string RoleClaim { get; set; } = "salesops_role";

    /// <summary>The claim naming the region subtree (a region id; <c>company</c> for all).</summary>
    public string RegionClaim { get; set; } = "salesops_region";

    /// <summary>The claim naming the rep a <c>rep</c> token acts for.</summary>
    public string RepClaim { get; set; } = "salesops_rep";

    /// <summary>Tolerance for the clocks of the issuer and this server (<c>exp</c>, <c>nbf</c>).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => JwksFile.Length > 0 || JwksUrl.Length > 0;
}
