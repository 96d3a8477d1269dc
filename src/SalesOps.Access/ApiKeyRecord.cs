namespace SalesOps.Access;

/// <summary>An API key as the server keeps it: everything but the secret, of which only a hash is kept.</summary>
/// <param name="KeyId">The public part of the key, unique.</param>
/// <param name="SecretHash">SHA-256 of the secret part (<see cref="ApiKeySecret.Hash"/>).</param>
/// <param name="RegionId">The region subtree the key is limited to (<c>company</c> for all).</param>
/// <param name="RepId">The rep a <see cref="Role.Rep"/> key acts for; empty otherwise.</param>
/// <param name="EventKinds">A connector's event kinds (fields of <c>Event.kind</c>); empty for all.</param>
public sealed record ApiKeyRecord(
    string KeyId,
    byte[] SecretHash,
    Role Role,
    string RegionId,
    string RepId,
    IReadOnlyList<string> EventKinds,
    string Label,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    KeyLimits Limits,
    string CreatedBy)
{
    /// <summary>Neither revoked nor expired at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>Where API keys are kept: in memory, or in PostgreSQL in postgres mode (shared by a cluster's servers).</summary>
public interface IApiKeyStore
{
    /// <summary>Adds a key; its id is new (ids are random, 60 bits).</summary>
    Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>The key with this id, revoked or not; null when there is none.</summary>
    Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Every key, by creation time.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks the key revoked at <paramref name="at"/> unless it already is; the key as it now stands, null when there is none.</summary>
    Task<ApiKeyRecord?> RevokeAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>The keys of a memory-mode server: lost on restart, like the rest of its state.</summary>
public sealed class MemoryApiKeyStore : IApiKeyStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);

    public Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryAdd(key.KeyId, key))
            {
                throw new InvalidOperationException($"a key with id '{key.KeyId}' exists");
            }
        }

        return Task.CompletedTask;
    }

    public Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.GetValueOrDefault(keyId));
        }
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ApiKeyRecord>>(_keys.Values.OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal).ToArray());
        }
    }

    public Task<ApiKeyRecord?> RevokeAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(keyId, out var key))
            {
                return Task.FromResult<ApiKeyRecord?>(null);
            }

            if (key.RevokedAt is null)
            {
                _keys[keyId] = key = key with { RevokedAt = at };
            }

            return Task.FromResult<ApiKeyRecord?>(key);
        }
    }
}
