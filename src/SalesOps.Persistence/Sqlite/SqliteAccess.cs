using System.Text.Json;
using Microsoft.Data.Sqlite;
using SalesOps.Access;

namespace SalesOps.Persistence;

/// <summary>
/// API keys and the audit log in the embedded store (tables <c>salesops_api_keys</c>, <c>salesops_audit</c> and its
/// event index <c>salesops_audit_events</c>). Times are kept as Unix milliseconds, lists as JSON arrays. Audit entries
/// join the store's group commit, so an ingest call's entry costs no commit of its own.
/// </summary>
public sealed class SqliteAccess(SqliteDatabase database) : IApiKeyStore, IAuditLog
{
    private const string KeyColumns =
        "key_id, secret_hash, role, region_id, rep_id, event_kinds, label, created_at, expires_at, revoked_at, " +
        "events_per_second, watch_streams, max_request_bytes, created_by";

    private const string AuditColumns = "received_at, identity_kind, identity, role, peer, method, batch_id, event_ids, server";

    public Task AddAsync(ApiKeyRecord key, CancellationToken cancellationToken = default) =>
        database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO salesops_api_keys ({KeyColumns}) VALUES ($id, $hash, $role, $region, $rep, $kinds, $label, $created, $expires, $revoked, $eps, $watch, $bytes, $by)";
            command.Parameters.AddWithValue("$id", key.KeyId);
            command.Parameters.AddWithValue("$hash", key.SecretHash);
            command.Parameters.AddWithValue("$role", (int)key.Role);
            command.Parameters.AddWithValue("$region", key.RegionId);
            command.Parameters.AddWithValue("$rep", key.RepId);
            command.Parameters.AddWithValue("$kinds", JsonSerializer.Serialize(key.EventKinds));
            command.Parameters.AddWithValue("$label", key.Label);
            command.Parameters.AddWithValue("$created", key.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$expires", (object?)key.ExpiresAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$revoked", (object?)key.RevokedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$eps", (object?)key.Limits.EventsPerSecond ?? DBNull.Value);
            command.Parameters.AddWithValue("$watch", (object?)key.Limits.WatchStreams ?? DBNull.Value);
            command.Parameters.AddWithValue("$bytes", (object?)key.Limits.MaxRequestBytes ?? DBNull.Value);
            command.Parameters.AddWithValue("$by", key.CreatedBy);
            return command.ExecuteNonQuery();
        });

    public Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection => Find(connection, keyId), cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<ApiKeyRecord>>(
            connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"SELECT {KeyColumns} FROM salesops_api_keys ORDER BY created_at, key_id";
                using var reader = command.ExecuteReader();
                var keys = new List<ApiKeyRecord>();
                while (reader.Read())
                {
                    keys.Add(ReadKey(reader));
                }

                return keys;
            },
            cancellationToken);

    public Task<ApiKeyRecord?> RevokeAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        database.WriteAsync(connection =>
        {
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "UPDATE salesops_api_keys SET revoked_at = $at WHERE key_id = $id AND revoked_at IS NULL";
                command.Parameters.AddWithValue("$id", keyId);
                command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
                command.ExecuteNonQuery();
            }

            return Find(connection, keyId);
        });

    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default) =>
        database.WriteAsync(connection =>
        {
            long id;
            using (var command = connection.CreateCommand())
            {
                command.CommandText = $"INSERT INTO salesops_audit ({AuditColumns}) VALUES ($at, $kind, $identity, $role, $peer, $method, $batch, $ids, $server) RETURNING id";
                command.Parameters.AddWithValue("$at", entry.ReceivedAt.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$kind", entry.IdentityKind);
                command.Parameters.AddWithValue("$identity", entry.Identity);
                command.Parameters.AddWithValue("$role", (int)entry.Role);
                command.Parameters.AddWithValue("$peer", entry.Peer);
                command.Parameters.AddWithValue("$method", entry.Method);
                command.Parameters.AddWithValue("$batch", entry.BatchId);
                command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(entry.EventIds));
                command.Parameters.AddWithValue("$server", entry.Server);
                id = (long)command.ExecuteScalar()!;
            }

            using var index = connection.CreateCommand();
            index.CommandText = "INSERT OR IGNORE INTO salesops_audit_events (event_id, audit_id) VALUES ($event, $audit)";
            var eventParameter = index.Parameters.Add("$event", SqliteType.Text);
            index.Parameters.AddWithValue("$audit", id);
            foreach (var eventId in entry.EventIds)
            {
                eventParameter.Value = eventId;
                index.ExecuteNonQuery();
            }

            return id;
        });

    public Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? eventId, int limit, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<AuditEntry>>(
            connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = eventId is null
                    ? $"SELECT {AuditColumns} FROM salesops_audit WHERE received_at >= $from AND received_at < $to ORDER BY received_at DESC, id DESC LIMIT $limit"
                    : $"SELECT {AuditColumns} FROM salesops_audit WHERE id IN (SELECT audit_id FROM salesops_audit_events WHERE event_id = $event) ORDER BY received_at DESC, id DESC LIMIT $limit";
                command.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$event", eventId ?? "");
                command.Parameters.AddWithValue("$limit", limit);
                using var reader = command.ExecuteReader();
                var entries = new List<AuditEntry>();
                while (reader.Read())
                {
                    entries.Add(new AuditEntry(
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                        reader.GetString(1),
                        reader.GetString(2),
                        (Role)reader.GetInt32(3),
                        reader.GetString(4),
                        reader.GetString(5),
                        reader.GetString(6),
                        JsonSerializer.Deserialize<string[]>(reader.GetString(7)) ?? [],
                        reader.GetString(8)));
                }

                return entries;
            },
            cancellationToken);

    private static ApiKeyRecord? Find(SqliteConnection connection, string keyId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {KeyColumns} FROM salesops_api_keys WHERE key_id = $id";
        command.Parameters.AddWithValue("$id", keyId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadKey(reader) : null;
    }

    private static ApiKeyRecord ReadKey(SqliteDataReader r) => new(
        r.GetString(0),
        (byte[])r.GetValue(1),
        (Role)r.GetInt32(2),
        r.GetString(3),
        r.GetString(4),
        JsonSerializer.Deserialize<string[]>(r.GetString(5)) ?? [],
        r.GetString(6),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        At(r, 8),
        At(r, 9),
        new KeyLimits(Int(r, 10), Int(r, 11), Int(r, 12)),
        r.GetString(13));

    private static DateTimeOffset? At(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static int? Int(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
}
