using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Runtime.Telemetry;
using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// gRPC ingest: checks the batch against the caller's limits and hands it to the <see cref="IngestPipeline"/> (audit,
/// access, mapping, the <see cref="EventIngestor"/>); times each acknowledgement.
/// </summary>
public sealed class IngestGrpcService(
    EventIngestor ingestor,
    EngineSettings settings,
    AccessPolicy access,
    CallerLimits limits,
    IngestPipeline pipeline) : V1.IngestService.IngestServiceBase
{
    public const int MaxBatch = 5_000;

    private static readonly KeyValuePair<string, object?> IngestMethod = new(EngineMetrics.MethodTag, "Ingest");
    private static readonly KeyValuePair<string, object?> BatchIngestMethod = new(EngineMetrics.MethodTag, "BatchIngest");
    private static readonly KeyValuePair<string, object?> IngestOneMethod = new(EngineMetrics.MethodTag, "IngestOne");

    public override async Task Ingest(IAsyncStreamReader<V1.IngestRequest> requestStream, IServerStreamWriter<V1.IngestResponse> responseStream, ServerCallContext context)
    {
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            var read = System.Diagnostics.Stopwatch.GetTimestamp();
            var (results, accepted, duplicates, rejected) = await IngestBatchAsync(context, "Ingest", batch.BatchId, batch.Events);
            var ack = new V1.IngestResponse { BatchId = batch.BatchId, Accepted = accepted, Duplicates = duplicates, Rejected = rejected };
            ack.Results.Add(results);
            await responseStream.WriteAsync(ack, context.CancellationToken);
            EngineMetrics.AckDuration.RecordSince(read, IngestMethod);
        }
    }

    public override async Task<V1.BatchIngestResponse> BatchIngest(V1.BatchIngestRequest request, ServerCallContext context)
    {
        var read = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var (results, accepted, duplicates, rejected) = await IngestBatchAsync(context, "BatchIngest", request.BatchId, request.Events);
            var response = new V1.BatchIngestResponse { BatchId = request.BatchId, Accepted = accepted, Duplicates = duplicates, Rejected = rejected };
            response.Results.Add(results);
            return response;
        }
        finally
        {
            EngineMetrics.AckDuration.RecordSince(read, BatchIngestMethod);
        }
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

        var results = await pipeline.RunAsync(context.Caller(), context.Peer, method, batchId, events, context.CancellationToken);
        var accepted = results.Count(r => r.Status == V1.EventStatus.Accepted);
        var duplicates = results.Count(r => r.Status == V1.EventStatus.Duplicate);
        return (results, accepted, duplicates, results.Length - accepted - duplicates);
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

        if (!await pipeline.AuditAsync(context.Caller(), context.Peer, "IngestOne", "", [ev], context.CancellationToken))
        {
            IngestMetrics.Count(OutcomeCode.Unavailable);
            throw ApiErrors.Unavailable(IngestPipeline.AuditUnavailable);
        }

        if (await access.CheckEventAsync(context.Caller(), ev, new BatchReferences()) is { } refusal)
        {
            IngestPipeline.CountRefusal(refusal.Code);
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
}
