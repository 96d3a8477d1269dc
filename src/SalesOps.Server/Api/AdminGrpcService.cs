using Grpc.Core;
using SalesOps.Access;
using SalesOps.Domain;
using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>gRPC administration: API keys and the audit log (admins only, by <see cref="AccessPolicy"/>).</summary>
public sealed class AdminGrpcService(IApiKeyStore keys, IAuditLog audit, ApiKeyValidator validator, TimeProvider time) : V1.AdminService.AdminServiceBase
{
    public const int MaxLabel = 200;

    public override async Task<V1.CreateApiKeyResponse> CreateApiKey(V1.CreateApiKeyRequest request, ServerCallContext context)
    {
        var (record, response) = ApiKeyRequests.Issue(request, time.GetUtcNow(), context.Caller().Id);
        await keys.AddAsync(record, context.CancellationToken);
        return response;
    }

    public override async Task<V1.ListApiKeysResponse> ListApiKeys(V1.ListApiKeysRequest request, ServerCallContext context)
    {
        var now = time.GetUtcNow();
        var response = new V1.ListApiKeysResponse();
        response.Keys.Add((await keys.ListAsync(context.CancellationToken)).Where(k => request.IncludeInactive || k.IsActiveAt(now)).Select(ToWire));
        return response;
    }

    public override async Task<V1.RevokeApiKeyResponse> RevokeApiKey(V1.RevokeApiKeyRequest request, ServerCallContext context)
    {
        var id = RequestGuard.Id(request.KeyId, "key_id");
        var key = await keys.RevokeAsync(id, time.GetUtcNow(), context.CancellationToken)
            ?? throw RequestGuard.NotFound("key_id", $"no key has id {Echo.Quote(id)}");
        validator.Forget(id);
        return new V1.RevokeApiKeyResponse { Key = ToWire(key) };
    }

    public override async Task<V1.ListAuditRecordsResponse> ListAuditRecords(V1.ListAuditRecordsRequest request, ServerCallContext context)
    {
        var now = time.GetUtcNow();
        var to = request.ToTime?.ToDateTimeOffset() ?? now;
        var from = request.FromTime?.ToDateTimeOffset() ?? to.AddDays(-1);
        var limit = RequestGuard.Bounded(request.Limit, 100, 1_000, "limit");
        if (from > to)
        {
            throw RequestGuard.Invalid("from_time", "from_time must not be later than to_time");
        }

        var entries = await audit.ListAsync(from, to, string.IsNullOrEmpty(request.EventId) ? null : request.EventId, limit, context.CancellationToken);
        var response = new V1.ListAuditRecordsResponse();
        foreach (var e in entries)
        {
            var record = new V1.AuditRecord
            {
                ReceivedAt = ProtoMapper.ToTimestamp(e.ReceivedAt),
                IdentityKind = e.IdentityKind,
                Identity = e.Identity,
                Role = (V1.Role)e.Role,
                Peer = e.Peer,
                Method = e.Method,
                BatchId = e.BatchId,
                Server = e.Server,
            };
            record.EventIds.Add(e.EventIds);
            response.Records.Add(record);
        }

        return response;
    }

    public static V1.ApiKey ToWire(ApiKeyRecord k)
    {
        var wire = new V1.ApiKey
        {
            KeyId = k.KeyId,
            Role = (V1.Role)k.Role,
            RegionId = k.RegionId,
            RepId = k.RepId,
            Label = k.Label,
            CreatedAt = ProtoMapper.ToTimestamp(k.CreatedAt),
            ExpiresAt = ProtoMapper.ToTimestamp(k.ExpiresAt),
            RevokedAt = ProtoMapper.ToTimestamp(k.RevokedAt),
            CreatedBy = k.CreatedBy,
            Limits = new V1.KeyLimits(),
        };
        wire.EventKinds.Add(k.EventKinds);
        if (k.Limits.EventsPerSecond is { } eps)
        {
            wire.Limits.EventsPerSecond = eps;
        }

        if (k.Limits.WatchStreams is { } ws)
        {
            wire.Limits.WatchStreams = ws;
        }

        if (k.Limits.MaxRequestBytes is { } mb)
        {
            wire.Limits.MaxRequestBytes = mb;
        }

        return wire;
    }
}

/// <summary>Checks a key request field by field; the record it gives has no id or hash yet.</summary>
public static class ApiKeyRequests
{
    /// <summary>A new key for a checked request: the record to keep (secret hashed) and the answer that shows the key once.</summary>
    public static (ApiKeyRecord Record, V1.CreateApiKeyResponse Response) Issue(V1.CreateApiKeyRequest request, DateTimeOffset now, string createdBy)
    {
        var (keyId, apiKey, hash) = ApiKeySecret.Generate();
        var record = Validate(request, now, createdBy) with { KeyId = keyId, SecretHash = hash };
        return (record, new V1.CreateApiKeyResponse { Key = AdminGrpcService.ToWire(record), ApiKey = apiKey });
    }

    public static ApiKeyRecord Validate(V1.CreateApiKeyRequest r, DateTimeOffset now, string createdBy)
    {
        if (r.Role == V1.Role.Unspecified || !Enum.IsDefined((Role)r.Role))
        {
            throw RequestGuard.Invalid("role", r.Role == V1.Role.Unspecified ? "role is required" : "role has an unknown value");
        }

        var role = (Role)r.Role;
        var label = r.Label?.Trim() ?? "";
        if (label.Length == 0)
        {
            throw RequestGuard.Invalid("label", "label is required: say what the key is for");
        }

        if (label.Length > AdminGrpcService.MaxLabel)
        {
            throw RequestGuard.Invalid("label", $"label must be at most {AdminGrpcService.MaxLabel} characters");
        }

        var region = string.IsNullOrEmpty(r.RegionId) ? RegionState.CompanyId : RequestGuard.Id(r.RegionId, "region_id");
        var rep = r.RepId ?? "";
        if (role == Role.Rep)
        {
            rep = RequestGuard.Id(rep, "rep_id");
            if (!string.IsNullOrEmpty(r.RegionId))
            {
                throw RequestGuard.Invalid("region_id", "a rep key takes the rep's current region; leave region_id empty");
            }

            region = "";
        }
        else if (rep.Length > 0)
        {
            throw RequestGuard.Invalid("rep_id", "rep_id is for ROLE_REP keys only");
        }

        if (role == Role.Admin && region != RegionState.CompanyId)
        {
            throw RequestGuard.Invalid("region_id", "an admin key is company-wide; leave region_id empty");
        }

        if (r.EventKinds.Count > 0 && role != Role.Connector)
        {
            throw RequestGuard.Invalid("event_kinds", "event_kinds is for ROLE_CONNECTOR keys only");
        }

        foreach (var kind in r.EventKinds)
        {
            if (!AccessPolicy.EventKindNames.Contains(kind))
            {
                throw RequestGuard.Invalid("event_kinds", $"{Echo.Quote(kind)} is not an event kind (the fields of Event.kind: {string.Join(", ", AccessPolicy.EventKindNames.Order(StringComparer.Ordinal))})");
            }
        }

        DateTimeOffset? expires = r.ExpiresAt is { } e ? e.ToDateTimeOffset() : null;
        if (expires <= now)
        {
            throw RequestGuard.Invalid("expires_at", "expires_at must lie in the future");
        }

        var limits = r.Limits ?? new V1.KeyLimits();
        return new ApiKeyRecord(
            "", [], role, region, rep, r.EventKinds.Distinct(StringComparer.Ordinal).ToArray(), label, now, expires, null,
            new KeyLimits(
                limits.HasEventsPerSecond ? Positive(limits.EventsPerSecond, "limits.events_per_second") : null,
                limits.HasWatchStreams ? Positive(limits.WatchStreams, "limits.watch_streams") : null,
                limits.HasMaxRequestBytes ? Positive(limits.MaxRequestBytes, "limits.max_request_bytes") : null),
            createdBy);
    }

    private static int Positive(int value, string field) =>
        value > 0 ? value : throw RequestGuard.Invalid(field, $"{field} must be positive");
}
