using Grpc.Core;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// What a CRM connector does, with the book-keeping the durability tests need: every event acknowledged
/// (ACCEPTED or DUPLICATE), every event whose fate is unknown (UNAVAILABLE, or the connection broke before the ack),
/// and every event sent, in order.
/// </summary>
public sealed class IngestClient
{
    public List<SalesEvent> Sent { get; } = new();
    public List<SalesEvent> Acknowledged { get; } = new();

    /// <summary>Acknowledged.Count, readable from another thread while a load runs.</summary>
    public int AcknowledgedCount;
    public List<SalesEvent> Unknown { get; } = new();
    private int _unavailable;
    private string? _lastUnavailable;

    public int UnavailableAnswers => Volatile.Read(ref _unavailable);

    /// <summary>Sends one batch on its own stream; returns the results, or null when the call failed.</summary>
    public static async Task<IReadOnlyList<V1.EventResult>?> SendAsync(ServerProcess server, IReadOnlyList<SalesEvent> batch, TimeSpan timeout)
    {
        try
        {
            using var call = server.Ingest.Ingest(deadline: DateTime.UtcNow + timeout);
            var request = new V1.IngestRequest { BatchId = Guid.NewGuid().ToString("N") };
            request.Events.Add(batch.Select(e => e.ToProto()));
            await call.RequestStream.WriteAsync(request);
            await call.RequestStream.CompleteAsync();
            if (!await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                return null;
            }

            return call.ResponseStream.Current.Results;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends a batch and records each event's fate. Returns false when the call failed as a whole (the server died):
    /// the whole batch is then unknown.
    /// </summary>
    public async Task<bool> SendRecordingAsync(ServerProcess server, IReadOnlyList<SalesEvent> batch)
    {
        Sent.AddRange(batch);
        var results = await SendAsync(server, batch, TimeSpan.FromSeconds(30));
        if (results is null)
        {
            Unknown.AddRange(batch);
            return false;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            switch (results[i].Status)
            {
                case V1.EventStatus.Accepted or V1.EventStatus.Duplicate:
                    Acknowledged.Add(batch[i]);
                    Interlocked.Increment(ref AcknowledgedCount);
                    break;
                case V1.EventStatus.Unavailable:
                    Interlocked.Increment(ref _unavailable);
                    _lastUnavailable = $"{batch[i].EventId}: {results[i].Error?.Message}";
                    Unknown.Add(batch[i]);
                    break;
                default:
                    throw new InvalidOperationException(
                        $"event {batch[i]} was rejected: {results[i].Status} {results[i].Error?.Message} " +
                        $"({Unknown.Count} events unknown so far; last UNAVAILABLE: {_lastUnavailable ?? "none"})");
            }
        }

        return true;
    }

    /// <summary>
    /// Re-sends the unknown events until each is acknowledged (ACCEPTED if it had been lost, DUPLICATE if it had been
    /// applied), in their original order.
    /// </summary>
    public async Task SettleUnknownAsync(ServerProcess server, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Unknown.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{Unknown.Count} events still unacknowledged after {timeout}:\n{server.Log}");
            }

            var pending = Unknown.ToList();
            Unknown.Clear();
            var results = await SendAsync(server, pending, TimeSpan.FromSeconds(30));
            if (results is null)
            {
                Unknown.AddRange(pending);
                await Task.Delay(500);
                continue;
            }

            for (var i = 0; i < pending.Count; i++)
            {
                if (results[i].Status is V1.EventStatus.Accepted or V1.EventStatus.Duplicate)
                {
                    Acknowledged.Add(pending[i]);
                    Interlocked.Increment(ref AcknowledgedCount);
                }
                else if (results[i].Status == V1.EventStatus.Unavailable)
                {
                    Interlocked.Increment(ref _unavailable);
                    Unknown.Add(pending[i]);
                }
                else
                {
                    Assert.Fail($"re-sent event {pending[i]} was rejected: {results[i].Status} {results[i].Error?.Message}");
                }
            }

            if (Unknown.Count > 0)
            {
                await Task.Delay(500);
            }
        }
    }
}
