using SalesOps.Access;
using SalesOps.Domain;
using Grpc.Core;
using SalesOps.Grains;
using SalesOps.Runtime.Telemetry;
using SalesOps.Server.Access;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>
/// What every way in does with a batch of events, gRPC or webhook alike: records who sent what (the audit log, before
/// anything is applied), lets through the events the caller may send (<see cref="AccessPolicy"/>), maps them and hands
/// them to the <see cref="EventIngestor"/>; one result per event, in order.
/// </summary>
public sealed partial class IngestPipeline(
    EventIngestor ingestor,
    EngineSettings settings,
    AccessPolicy access,
    IAuditLog audit,
    TimeProvider time,
    ILogger<IngestPipeline> logger)
{
    public const string AuditUnavailable = "the audit log cannot be written now, so nothing was applied; retry";

    /// <summary>Audits, then applies the events the caller may send; all UNAVAILABLE when the audit cannot be written.</summary>
    public async Task<V1.EventResult[]> RunAsync(Caller caller, string peer, string method, string batchId, IList<V1.Event> events, CancellationToken cancellationToken)
    {
        if (await AuditAsync(caller, peer, method, batchId, events, cancellationToken))
        {
            return await ApplyBatchAsync(caller, events);
        }

        EngineMetrics.EventsIngested.Add(events.Count, IngestMetrics.Tag(OutcomeCode.Unavailable));
        return events.Select(e => ProtoMapper.ToResult(e.EventId, new Outcome(OutcomeCode.Unavailable, "", AuditUnavailable))).ToArray();
    }

    /// <summary>Counts an event the access policy refused before the engine saw it (the engine counts the rest).</summary>
    public static void CountRefusal(StatusCode code) =>
        EngineMetrics.EventsIngested.Add(1, code == StatusCode.NotFound ? IngestMetrics.Tag(OutcomeCode.NotFound) : IngestMetrics.PermissionDenied);

    /// <summary>
    /// Records the call in the audit log before any of its events is applied; false when it cannot be recorded (then
    /// nothing is applied and the events are answered UNAVAILABLE).
    /// </summary>
    public async Task<bool> AuditAsync(Caller caller, string peer, string method, string batchId, IList<V1.Event> events, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry(
            time.GetUtcNow(), caller.KindName, caller.Id, caller.Role, peer, method, batchId,
            events.Select(e => e.EventId).ToArray(), Environment.MachineName);
        try
        {
            await audit.AppendAsync(entry, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            LogAuditFailed(logger, method, caller.Id, ex.Message);
            return false;
        }
    }

    private async Task<V1.EventResult[]> ApplyBatchAsync(Caller caller, IList<V1.Event> events)
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

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit log could not record an {Method} call of {Caller}; its events were answered UNAVAILABLE: {Error}")]
    private static partial void LogAuditFailed(ILogger logger, string method, string caller, string error);
}
