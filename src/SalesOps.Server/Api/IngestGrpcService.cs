using Grpc.Core;
using SalesOps.Access;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// gRPC ingest: records who sent what (the audit log, before anything is applied), lets through the events the
/// caller may send (<see cref="AccessPolicy"/>), maps them and hands them to the <see cref="EventIngestor"/>.
/// </summary>
public sealed partial class IngestGrpcService(
    EventIngestor ingestor,
    EngineSettings settings,
    AccessPolicy access,
    CallerLimits limits,
    IAuditLog audit,
    TimeProvider time,
    ILogger<IngestGrpcService> logger) : V1.IngestService.IngestServiceBase
{
    public const int MaxBatch = 5_000;

    public override async Task Ingest(IAsyncStreamReader<V1.IngestRequest> requestStream, IServerStreamWriter<V1.IngestResponse> responseStream, ServerCallContext context)
    {
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var (results, accepted, duplicates, rejected) = await IngestBatchAsync(context, "Ingest", batch.BatchId, batch.Events);
            var ack = new V1.IngestResponse { BatchId = batch.BatchId, Accepted = accepted, Duplicates = duplicates, Rejected = rejected };
            ack.Results.Add(results);
            await responseStream.WriteAsync(ack, context.CancellationToken);
        }
    }

    public override async Task<V1.BatchIngestResponse> BatchIngest(V1.BatchIngestRequest request, ServerCallContext context)
    {
        var (results, accepted, duplicates, rejected) = await IngestBatchAsync(context, "BatchIngest", request.BatchId, request.Events);
        var response = new V1.BatchIngestResponse { BatchId = request.BatchId, Accepted = accepted, Duplicates = duplicates, Rejected = rejected };
        response.Results.Add(results);
        return response;
    }

    /// <summary>One batch, of the stream or of <c>BatchIngest</c>: checked against the caller's limits, audited, then applied.</summary>
    private async Task<(V1.EventResult[] Results, int Accepted, int Duplicates, int Rejected)> IngestBatchAsync(
        ServerCallContext context, string method, string batchId, Google.Protobuf.Collections.RepeatedField<V1.Event> events)
    {
        if (events.Count > MaxBatch)
        {
            throw RequestGuard.Invalid("events", $"batch {Echo.Quote(batchId)} has {events.Count} events; at most {MaxBatch} are allowed");
        }

        if (limits.TakeIngest(context.Caller(), events.Count) is { } overLimit)
        {
            throw overLimit;
        }

        var results = await AuditAsync(context, method, batchId, events)
            ? await ApplyBatchAsync(context.Caller(), events)
            : events.Select(e => ProtoMapper.ToResult(e.EventId, new Outcome(OutcomeCode.Unavailable, "", AuditUnavailable))).ToArray();
        var accepted = results.Count(r => r.Status == V1.EventStatus.Accepted);
        var duplicates = results.Count(r => r.Status == V1.EventStatus.Duplicate);
        return (results, accepted, duplicates, results.Length - accepted - duplicates);
    }

    public override async Task<V1.IngestOneResponse> IngestOne(V1.IngestOneRequest request, ServerCallContext context)
    {
        if (request.Event is not { } ev)
        {
            throw RequestGuard.Invalid("event", "event is required");
        }

        if (limits.TakeIngest(context.Caller(), 1) is { } overLimit)
        {
            throw overLimit;
        }

        if (!await AuditAsync(context, "IngestOne", "", [ev]))
        {
            throw ApiErrors.Unavailable(AuditUnavailable);
        }

        if (await access.CheckEventAsync(context.Caller(), ev, new BatchReferences()) is { } refusal)
        {
            throw ApiErrors.Of(refusal.Code, refusal.Field, refusal.Message).ToRpcException();
        }

        var e = ProtoMapper.ToDomain(ev, settings.CurrencyCode, out var error);
        var outcome = error ?? await ingestor.IngestAsync(e!);
        if (outcome.Code is OutcomeCode.Accepted or OutcomeCode.Duplicate)
        {
            return new V1.IngestOneResponse { Result = ProtoMapper.ToResult(ev.EventId, outcome) };
        }

        throw ApiErrors.Of(outcome).ToRpcException();
    }

    private const string AuditUnavailable = "the audit log cannot be written now, so nothing was applied; retry";

    /// <summary>
    /// Records the call in the audit log before any of its events is applied; false when it cannot be recorded (then
    /// nothing is applied and the events are answered UNAVAILABLE).
    /// </summary>
    private async Task<bool> AuditAsync(ServerCallContext context, string method, string batchId, IList<V1.Event> events)
    {
        var caller = context.Caller();
        var entry = new AuditEntry(
            time.GetUtcNow(), caller.KindName, caller.Id, caller.Role, context.Peer, method, batchId,
            events.Select(e => e.EventId).ToArray(), Environment.MachineName);
        try
        {
            await audit.AppendAsync(entry, context.CancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogAuditFailed(logger, method, caller.Id, ex.Message);
            return false;
        }
    }

    private async Task<V1.EventResult[]> ApplyBatchAsync(Caller caller, Google.Protobuf.Collections.RepeatedField<V1.Event> events)
    {
        var results = new V1.EventResult[events.Count];
        var mapped = new List<SalesEvent>(events.Count);
        var positions = new List<int>(events.Count);
        var references = new BatchReferences();
        for (var i = 0; i < events.Count; i++)
        {
            if (await access.CheckEventAsync(caller, events[i], references) is { } refusal)
            {
                results[i] = ProtoMapper.ToResult(events[i].EventId, refusal.Code, ApiErrors.Of(refusal.Code, refusal.Field, refusal.Message));
                continue;
            }

            var e = ProtoMapper.ToDomain(events[i], settings.CurrencyCode, out var error);
            if (e is null)
            {
                results[i] = ProtoMapper.ToResult(events[i].EventId, error!);
                continue;
            }

            mapped.Add(e);
            positions.Add(i);
        }

        var outcomes = await ingestor.IngestBatchAsync(mapped);
        for (var k = 0; k < outcomes.Length; k++)
        {
            results[positions[k]] = ProtoMapper.ToResult(mapped[k].EventId, outcomes[k]);
        }

        return results;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit log could not record an {Method} call of {Caller}; its events were answered UNAVAILABLE: {Error}")]
    private static partial void LogAuditFailed(ILogger logger, string method, string caller, string error);
}
