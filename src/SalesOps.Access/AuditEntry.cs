namespace SalesOps.Access;

/// <summary>One ingest call as it arrived, recorded before any of its events is applied.</summary>
/// <param name="IdentityKind"><c>api-key</c>, <c>jwt</c> or <c>development</c>.</param>
/// <param name="Identity">The key id, the token's subject, or <c>local-development</c>.</param>
/// <param name="Peer">The caller's address.</param>
/// <param name="Method"><c>Ingest</c> or <c>IngestOne</c>.</param>
/// <param name="Server">The server that received the call.</param>
public sealed record AuditEntry(
    DateTimeOffset ReceivedAt,
    string IdentityKind,
    string Identity,
    Role Role,
    string Peer,
    string Method,
    string BatchId,
    IReadOnlyList<string> EventIds,
    string Server);

/// <summary>Where audit entries are kept: PostgreSQL in postgres mode (durable, shared by a cluster), else memory.</summary>
public interface IAuditLog
{
    /// <summary>Returns once the entry is kept (in postgres mode: committed).</summary>
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entries that carried <paramref name="eventId"/> when it is given, else those received in
    /// [<paramref name="from"/>, <paramref name="to"/>); newest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? eventId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>The audit log of a memory-mode server: the newest <c>capacity</c> entries, lost on restart.</summary>
public sealed class MemoryAuditLog(int capacity) : IAuditLog
{
    private readonly Lock _lock = new();
    private readonly LinkedList<AuditEntry> _entries = new();

    public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _entries.AddLast(entry);
            while (_entries.Count > capacity)
            {
                _entries.RemoveFirst();
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? eventId, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var matching = eventId is null
                ? _entries.Where(e => e.ReceivedAt >= from && e.ReceivedAt < to)
                : _entries.Where(e => e.EventIds.Contains(eventId, StringComparer.Ordinal));
            return Task.FromResult<IReadOnlyList<AuditEntry>>(matching.Reverse().Take(limit).ToArray());
        }
    }
}
