using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SalesOps.Access;

namespace SalesOps.Server.Access;

/// <summary>
/// Checks presented API keys: the bootstrap admin key from configuration, or a key of the store, found by its id and
/// compared by the hash of its secret in constant time. What a server read of a key it trusts for
/// <see cref="AccessOptions.KeyCacheTtl"/> (unknown ids too, so guessing costs the store nothing), so a revocation
/// reaches every server of a cluster within that time.
/// </summary>
public sealed class ApiKeyValidator
{
    /// <summary>The key id the bootstrap admin key goes by in refusals and the audit.</summary>
    public const string BootstrapKeyId = "bootstrap";

    private const int CacheLimit = 100_000;

    private readonly IApiKeyStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly byte[]? _bootstrapHash;
    private readonly ConcurrentDictionary<string, (ApiKeyRecord? Key, long ReadAt)> _cache = new(StringComparer.Ordinal);

    public ApiKeyValidator(IApiKeyStore store, IOptions<AccessOptions> options, TimeProvider time)
    {
        _store = store;
        _time = time;
        _ttl = options.Value.KeyCacheTtl;
        var bootstrap = BootstrapKey(options.Value);
        _bootstrapHash = bootstrap is null ? null : ApiKeySecret.Hash(bootstrap);
    }

    /// <summary>True when a bootstrap admin key is configured.</summary>
    public bool HasBootstrapKey => _bootstrapHash is not null;

    /// <summary>The caller the key stands for; null when it is not a valid, active key.</summary>
    public async ValueTask<Caller?> ValidateAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (_bootstrapHash is not null && ApiKeySecret.Matches(_bootstrapHash, presented))
        {
            return new Caller(CallerKind.ApiKey, BootstrapKeyId, Role.Admin, Domain.RegionState.CompanyId, "", null, KeyLimits.Defaults);
        }

        if (!ApiKeySecret.TryParse(presented, out var keyId, out var secret))
        {
            return null;
        }

        var key = await FindAsync(keyId, cancellationToken);
        if (key is null || !ApiKeySecret.Matches(key.SecretHash, secret) || !key.IsActiveAt(_time.GetUtcNow()))
        {
            return null;
        }

        return CallerOf(key);
    }

    /// <summary>
    /// The caller a stored key stands for, without its secret (a webhook connector acts as its configured key): null
    /// with <c>Known</c> false when there is no such key (yet), null with <c>Known</c> true when it is revoked or expired.
    /// </summary>
    public async ValueTask<(Caller? Caller, bool Known)> CallerOfKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var key = await FindAsync(keyId, cancellationToken);
        return key is null ? (null, false) : (key.IsActiveAt(_time.GetUtcNow()) ? CallerOf(key) : null, true);
    }

    private static Caller CallerOf(ApiKeyRecord key) => new(
        CallerKind.ApiKey, key.KeyId, key.Role, key.RegionId, key.RepId,
        key.EventKinds.Count == 0 ? null : key.EventKinds.ToHashSet(StringComparer.Ordinal), key.Limits);

    /// <summary>Forgets what was read of a key (this server revoked it: no need to wait for the cache).</summary>
    public void Forget(string keyId) => _cache.TryRemove(keyId, out _);

    /// <summary>
    /// The bootstrap admin key of the configuration, from the setting or its file; null when none is set. A key shorter
    /// than 32 characters fails start-up, naming the setting.
    /// </summary>
    public static string? BootstrapKey(AccessOptions options)
    {
        var key = options.BootstrapAdminKey.Trim();
        if (key.Length == 0 && options.BootstrapAdminKeyFile.Length > 0)
        {
            try
            {
                key = File.ReadAllText(options.BootstrapAdminKeyFile).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Auth:BootstrapAdminKeyFile '{options.BootstrapAdminKeyFile}' cannot be read: {ex.Message}", ex);
            }
        }

        if (key.Length is > 0 and < 32)
        {
            throw new InvalidOperationException("Auth:BootstrapAdminKey must be at least 32 characters (for example `openssl rand -base64 32`)");
        }

        return key.Length == 0 ? null : key;
    }

    private async ValueTask<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue(keyId, out var cached) && _time.GetElapsedTime(cached.ReadAt, now) < _ttl)
        {
            return cached.Key;
        }

        var key = await _store.FindAsync(keyId, cancellationToken);
        if (_cache.Count > CacheLimit)
        {
            _cache.Clear();
        }

        _cache[keyId] = (key, now);
        return key;
    }
}

/// <summary>The <c>ApiKey</c> authentication scheme: a valid key becomes the call's <see cref="Caller"/>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyValidator validator,
    CallerLimits limits) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Credentials.ApiKeyOf(Request) is not { } presented)
        {
            return AuthenticateResult.NoResult();
        }

        if (limits.IsThrottled(Context.Connection.RemoteIpAddress))
        {
            // Not even looked up: an address that keeps guessing costs the key store nothing.
            return AuthenticateResult.Fail("the address is throttled");
        }

        var caller = await validator.ValidateAsync(presented, Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("not a valid API key");
        }

        return AccessRegistration.Success(Context, caller, SchemeName);
    }
}
