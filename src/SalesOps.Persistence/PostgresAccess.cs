using Npgsql;
using NpgsqlTypes;
using SalesOps.Access;

namespace SalesOps.Persistence;

/// <summary>
/// API keys and the audit log in PostgreSQL (schema script 0006), shared by every server of a cluster. A pool of its
/// own, so key look-ups and audit writes never wait behind the journal's group commits.
/// </summary>
public sealed class PostgresAccess : IApiKeyStore, IAuditLog, IAsyncDisposable
{
    /// <summary>Connections key look-ups and audit writes may hold.</summary>
    public const int AccessPool = 6;

    private const string KeyColumns =
        "key_id, secret_hash, role, region_id, rep_id, event_kinds, label, created_at, expires_at, revoked_at, " +
        "events_per_second, watch_streams, max_request_bytes, created_by";

    private const string AuditColumns = "received_at, identity_kind, identity, role, peer, method, batch_id, event_ids, server";

    private readonly NpgsqlDataSource _dataSource;

    public PostgresAccess(string connectionString) =>
        _dataSource = NpgsqlDataSource.Create(PostgresStorage.WithPoolCap(connectionString, AccessPool));

    public async Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            $"INSERT INTO salesops_api_keys ({KeyColumns}) VALUES (@id, @hash, @role, @region, @rep, @kinds, @label, @created, @expires, @revoked, @eps, @watch, @bytes, @by)");
        cmd.Parameters.AddWithValue("id", key.KeyId);
        cmd.Parameters.AddWithValue("hash", key.SecretHash);
        cmd.Parameters.AddWithValue("role", (short)key.Role);
        cmd.Parameters.AddWithValue("region", key.RegionId);
        cmd.Parameters.AddWithValue("rep", key.RepId);
        cmd.Parameters.AddWithValue("kinds", key.EventKinds.ToArray());
        cmd.Parameters.AddWithValue("label", key.Label);
        cmd.Parameters.AddWithValue("created", key.CreatedAt.ToUniversalTime());
        cmd.Parameters.Add(Nullable("expires", NpgsqlDbType.TimestampTz, key.ExpiresAt?.ToUniversalTime()));
        cmd.Parameters.Add(Nullable("revoked", NpgsqlDbType.TimestampTz, key.RevokedAt?.ToUniversalTime()));
        cmd.Parameters.Add(Nullable("eps", NpgsqlDbType.Integer, key.Limits.EventsPerSecond));
        cmd.Parameters.Add(Nullable("watch", NpgsqlDbType.Integer, key.Limits.WatchStreams));
        cmd.Parameters.Add(Nullable("bytes", NpgsqlDbType.Integer, key.Limits.MaxRequestBytes));
        cmd.Parameters.AddWithValue("by", key.CreatedBy);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {KeyColumns} FROM salesops_api_keys WHERE key_id = @id");
        cmd.Parameters.AddWithValue("id", keyId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadKey(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {KeyColumns} FROM salesops_api_keys ORDER BY created_at, key_id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ReadKey(reader));
        }

        return keys;
    }

    public async Task<ApiKeyRecord?> RevokeAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using (var cmd = _dataSource.CreateCommand("UPDATE salesops_api_keys SET revoked_at = @at WHERE key_id = @id AND revoked_at IS NULL"))
        {
            cmd.Parameters.AddWithValue("id", keyId);
            cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        return await FindAsync(keyId, cancellationToken);
    }

    public async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(
            $"INSERT INTO salesops_audit ({AuditColumns}) VALUES (@at, @kind, @identity, @role, @peer, @method, @batch, @ids, @server)");
        cmd.Parameters.AddWithValue("at", entry.ReceivedAt.ToUniversalTime());
        cmd.Parameters.AddWithValue("kind", entry.IdentityKind);
        cmd.Parameters.AddWithValue("identity", entry.Identity);
        cmd.Parameters.AddWithValue("role", (short)entry.Role);
        cmd.Parameters.AddWithValue("peer", entry.Peer);
        cmd.Parameters.AddWithValue("method", entry.Method);
        cmd.Parameters.AddWithValue("batch", entry.BatchId);
        cmd.Parameters.AddWithValue("ids", entry.EventIds.ToArray());
        cmd.Parameters.AddWithValue("server", entry.Server);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? eventId, int limit, CancellationToken cancellationToken = default)
    {
        await using var cmd = _dataSource.CreateCommand(eventId is null
            ? $"SELECT {AuditColumns} FROM salesops_audit WHERE received_at >= @from AND received_at < @to ORDER BY received_at DESC, id DESC LIMIT @limit"
            : $"SELECT {AuditColumns} FROM salesops_audit WHERE event_ids @> ARRAY[@event]::text[] ORDER BY received_at DESC, id DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("from", from.ToUniversalTime());
        cmd.Parameters.AddWithValue("to", to.ToUniversalTime());
        cmd.Parameters.AddWithValue("event", eventId ?? "");
        cmd.Parameters.AddWithValue("limit", limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(
                new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero),
                reader.GetString(1),
                reader.GetString(2),
                (Role)reader.GetInt16(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetFieldValue<string[]>(7),
                reader.GetString(8)));
        }

        return entries;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static ApiKeyRecord ReadKey(NpgsqlDataReader r) => new(
        r.GetString(0),
        r.GetFieldValue<byte[]>(1),
        (Role)r.GetInt16(2),
        r.GetString(3),
        r.GetString(4),
        r.GetFieldValue<string[]>(5),
        r.GetString(6),
        At(r, 7)!.Value,
        At(r, 8),
        At(r, 9),
        new KeyLimits(Int(r, 10), Int(r, 11), Int(r, 12)),
        r.GetString(13));

    private static DateTimeOffset? At(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));

    private static int? Int(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    private static NpgsqlParameter Nullable<T>(string name, NpgsqlDbType type, T? value)
        where T : struct =>
        new(name, type) { Value = value.HasValue ? value.Value : DBNull.Value };
}
