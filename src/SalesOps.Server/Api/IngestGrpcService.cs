using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Grains;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>gRPC ingest: maps events and hands them to the <see cref="EventIngestor"/>.</summary>
public sealed class IngestGrpcService(EventIngestor ingestor, EngineSettings settings) : V1.IngestService.IngestServiceBase
{
    public const int MaxBatch = 5_000;

    public override async Task Ingest(IAsyncStreamReader<V1.IngestRequest> requestStream, IServerStreamWriter<V1.IngestResponse> responseStream, ServerCallContext context)
    {
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (batch.Events.Count > MaxBatch)
            {
                throw RequestGuard.Invalid("events", $"batch {Echo.Quote(batch.BatchId)} has {batch.Events.Count} events; at most {MaxBatch} are allowed");
            }

            var results = await IngestBatchAsync(batch.Events);
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
        }
    }

    public override async Task<V1.IngestOneResponse> IngestOne(V1.IngestOneRequest request, ServerCallContext context)
    {
        if (request.Event is not { } ev)
        {
            throw RequestGuard.Invalid("event", "event is required");
        }

        var e = ProtoMapper.ToDomain(ev, settings.CurrencyCode, out var error);
        var outcome = error ?? await ingestor.IngestAsync(e!);
        if (outcome.Code is OutcomeCode.Accepted or OutcomeCode.Duplicate)
        {
            return new V1.IngestOneResponse { Result = ProtoMapper.ToResult(ev.EventId, outcome) };
        }

        throw ApiErrors.Of(outcome).ToRpcException();
    }

    private async Task<V1.EventResult[]> IngestBatchAsync(Google.Protobuf.Collections.RepeatedField<V1.Event> events)
    {
        var results = new V1.EventResult[events.Count];
        var mapped = new List<SalesEvent>(events.Count);
        var positions = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
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
}
