using System.Globalization;
using Orleans.Storage;
using SalesOps.Runtime;

namespace SalesOps.Persistence;

/// <summary>
/// Grain snapshots in the embedded store (table <c>salesops_snapshots</c>), in the same stored format as on PostgreSQL
/// (<see cref="SnapshotFormat"/>: a header naming the type and version, then Orleans' binary form). The etag is a
/// version number; a write with a stale one fails with <see cref="InconsistentStateException"/>, as the ADO.NET
/// provider's does.
/// </summary>
public sealed class SqliteSnapshots(SqliteDatabase database, SnapshotFormat format) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        var row = await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT version, payload FROM salesops_snapshots WHERE state_name = $name AND grain_id = $id";
            command.Parameters.AddWithValue("$name", stateName);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (Version: reader.GetInt64(0), Payload: (byte[])reader.GetValue(1)) : ((long Version, byte[] Payload)?)null;
        });
        if (row is not { } found)
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = format.Deserialize<T>(new BinaryData(found.Payload));
        grainState.ETag = found.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        var payload = format.Serialize(grainState.State).ToArray();
        var expected = grainState.ETag;
        var (written, stored) = await database.WriteAsync(connection =>
        {
            var current = CurrentVersion(connection, stateName, id);
            if (current?.ToString(CultureInfo.InvariantCulture) != expected)
            {
                return (false, current);
            }

            var next = (current ?? 0) + 1;
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO salesops_snapshots (state_name, grain_id, version, payload) VALUES ($name, $id, $version, $payload) " +
                "ON CONFLICT (state_name, grain_id) DO UPDATE SET version = excluded.version, payload = excluded.payload";
            command.Parameters.AddWithValue("$name", stateName);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$version", next);
            command.Parameters.AddWithValue("$payload", payload);
            command.ExecuteNonQuery();
            return (true, next);
        });
        if (!written)
        {
            throw Inconsistent(stateName, id, stored, expected);
        }

        grainState.ETag = stored!.Value.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = grainId.ToString();
        var expected = grainState.ETag;
        var (cleared, stored) = await database.WriteAsync(connection =>
        {
            var current = CurrentVersion(connection, stateName, id);
            if (current is not null && current.Value.ToString(CultureInfo.InvariantCulture) != expected)
            {
                return (false, current);
            }

            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM salesops_snapshots WHERE state_name = $name AND grain_id = $id";
            command.Parameters.AddWithValue("$name", stateName);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
            return (true, (long?)null);
        });
        if (!cleared)
        {
            throw Inconsistent(stateName, id, stored, expected);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private static long? CurrentVersion(Microsoft.Data.Sqlite.SqliteConnection connection, string stateName, string id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM salesops_snapshots WHERE state_name = $name AND grain_id = $id";
        command.Parameters.AddWithValue("$name", stateName);
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() is long version ? version : null;
    }

    private static InconsistentStateException Inconsistent(string stateName, string id, long? stored, string? expected) =>
        new($"snapshot {stateName} of {id}: stored version {stored?.ToString(CultureInfo.InvariantCulture) ?? "none"}, this activation expected {expected ?? "none"}",
            stored?.ToString(CultureInfo.InvariantCulture) ?? "", expected ?? "");
}
