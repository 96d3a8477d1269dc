using Grpc.Core;
using SalesOps.Access;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Runtime.Telemetry;
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

    private static readonly KeyValuePair<string, object?> IngestMethod = new(EngineMetrics.MethodTag, "Ingest");
    private static readonly KeyValuePair<string, object?> IngestOneMethod = new(EngineMetrics.MethodTag, "IngestOne");

    public override async Task Ingest(IAsyncStreamReader<V1.IngestRequest> requestStream, IServerStreamWriter<V1.IngestResponse> responseStream, ServerCallContext context)
    {
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var read = System.Diagnostics.Stopwatch.GetTimestamp();
            if (batch.Events.Count > MaxBatch)
            {
                throw RequestGuard.Invalid("events", $"batch {Echo.Quote(batch.BatchId)} has {batch.Events.Count} events; at most {MaxBatch} are allowed");
            }

            if (limits.TakeIngest(context.Caller(), batch.Events.Count) is { } overLimit)
            {
                throw overLimit;
            }

            V1.EventResult[] results;
            if (await AuditAsync(context, "Ingest", batch.BatchId, batch.Events))
            {
                results = await IngestBatchAsync(context.Caller(), batch.Events);
            }
            else
            {
                results = batch.Events.Select(e => ProtoMapper.ToResult(e.EventId, new Outcome(OutcomeCode.Unavailable, "", AuditUnavailable))).ToArray();
                EngineMetrics.EventsIngested.Add(results.Length, IngestMetrics.Tag(OutcomeCode.Unavailable));
            }

            var ack = new V1.IngestResponse { BatchId = batch.BatchId };
            ack.Results.Add(results);
            foreach (var r in results)
            {
                switch (r.Status)
                {
                    case V1.EventStatus.Accepted:
                        ack.Accepted++;
                        break;
                    case V1.EventStatus.Duplicate:
                        ack.Duplicates++;
                        break;
                    default:
                        ack.Rejected++;
                        break;
                }
            }

            await responseStream.WriteAsync(ack, context.CancellationToken);
            EngineMetrics.AckDuration.RecordSince(read, IngestMethod);
        }
    }

    public override async Task<V1.IngestOneResponse> IngestOne(V1.IngestOneRequest request, ServerCallContext context)
    {
        var read = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await IngestOneAsync(request, context);
        }
        finally
        {
            EngineMetrics.AckDuration.RecordSince(read, IngestOneMethod);
        }
    }

    private async Task<V1.IngestOneResponse> IngestOneAsync(V1.IngestOneRequest request, ServerCallContext context)
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
            IngestMetrics.Count(OutcomeCode.Unavailable);
            throw ApiErrors.Unavailable(AuditUnavailable);
        }

        if (await access.CheckEventAsync(context.Caller(), ev, new BatchReferences()) is { } refusal)
        {
            CountRefusal(refusal.Code);
            throw ApiErrors.Of(refusal.Code, refusal.Field, refusal.Message).ToRpcException();
        }

        var e = ProtoMapper.ToDomain(ev, settings.CurrencyCode, out var error);
        if (error is not null)
        {
            IngestMetrics.Count(error.Code); // the engine counts the events it is given
        }

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

    private async Task<V1.EventResult[]> IngestBatchAsync(Caller caller, Google.Protobuf.Collections.RepeatedField<V1.Event> events)
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
                CountRefusal(refusal.Code);
                continue;
            }

            var e = ProtoMapper.ToDomain(events[i], settings.CurrencyCode, out var error);
            if (e is null)
            {
                results[i] = ProtoMapper.ToResult(events[i].EventId, error!);
                IngestMetrics.Count(error!.Code);
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

    /// <summary>Counts an event the access policy refused before the engine saw it (the engine counts the rest).</summary>
    private static void CountRefusal(StatusCode code) =>
        EngineMetrics.EventsIngested.Add(1, code == StatusCode.NotFound ? IngestMetrics.Tag(OutcomeCode.NotFound) : IngestMetrics.PermissionDenied);

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit log could not record an {Method} call of {Caller}; its events were answered UNAVAILABLE: {Error}")]
    private static partial void LogAuditFailed(ILogger logger, string method, string caller, string error);
}
