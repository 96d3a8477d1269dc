namespace SalesOps.Grains;

/// <summary>
/// A grain's outgoing messages, delivered to each destination in order and at most once per sequence number: every
/// message gets the next sequence number of its destination's lane; a message whose call failed stays at the head of
/// its lane and is sent again before anything newer; the receiver (<see cref="Inbox"/>) ignores sequence numbers it
/// has already applied, so a retry of a call that did arrive is not counted twice. Only lanes with messages waiting
/// are visited, so a grain that talks to many destinations pays for the ones it is sending to.
/// </summary>
public sealed class Outbox<TMessage>
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly List<(string Destination, Lane Lane)> _busy = new();

    public bool HasPending => _busy.Count > 0;

    public void Enqueue(string destination, TMessage message)
    {
        if (!_lanes.TryGetValue(destination, out var lane))
        {
            lane = new Lane();
            _lanes[destination] = lane;
        }

        if (lane.Pending.Count == 0)
        {
            _busy.Add((destination, lane));
        }

        lane.Pending.Enqueue((++lane.LastSequence, message));
    }

    /// <summary>Sends what is pending, lanes in parallel, each lane in order; throws the first failure after all lanes stop.</summary>
    public Task DrainAsync(Func<string, long, TMessage, Task> send)
    {
        switch (_busy.Count)
        {
            case 0:
                return Task.CompletedTask;
            case 1:
                var (destination, lane) = _busy[0];
                return DrainLaneAsync(destination, lane, send);
            default:
                var busy = _busy.ToArray(); // lanes leave the list as they empty
                var tasks = new Task[busy.Length];
                for (var i = 0; i < tasks.Length; i++)
                {
                    tasks[i] = DrainLaneAsync(busy[i].Destination, busy[i].Lane, send);
                }

                return Task.WhenAll(tasks);
        }
    }

    /// <summary>
    /// Sends one lane in order. Grains are not reentrant and their retry timers do not interleave, so no two drains
    /// of one outbox overlap.
    /// </summary>
    private async Task DrainLaneAsync(string destination, Lane lane, Func<string, long, TMessage, Task> send)
    {
        while (lane.Pending.TryPeek(out var head))
        {
            await send(destination, head.Sequence, head.Message);
            lane.Pending.Dequeue();
        }

        _busy.Remove((destination, lane));
    }

    /// <summary>Every lane's numbering and what it still has to send, for a snapshot.</summary>
    public List<OutboxLane<TMessage>> Export() =>
        _lanes.Select(kv => new OutboxLane<TMessage>(kv.Key, kv.Value.LastSequence, kv.Value.Pending.ToList())).ToList();

    /// <summary>Restores what <see cref="Export"/> returned, into an empty outbox.</summary>
    public void Import(IEnumerable<OutboxLane<TMessage>> lanes)
    {
        foreach (var l in lanes)
        {
            var lane = new Lane { LastSequence = l.LastSequence };
            foreach (var item in l.Pending)
            {
                lane.Pending.Enqueue(item);
            }

            _lanes[l.Destination] = lane;
            if (lane.Pending.Count > 0)
            {
                _busy.Add((l.Destination, lane));
            }
        }
    }

    private sealed class Lane
    {
        public long LastSequence;
        public readonly Queue<(long Sequence, TMessage Message)> Pending = new();
    }
}

/// <summary>One outbox lane in a snapshot: its destination, the last number used and the messages not yet sent.</summary>
[GenerateSerializer, Immutable, Alias("salesops.OutboxLane`1")]
public sealed record OutboxLane<TMessage>(
    [property: Id(0)] string Destination,
    [property: Id(1)] long LastSequence,
    [property: Id(2)] List<(long Sequence, TMessage Message)> Pending);

/// <summary>
/// The receiving end of <see cref="Outbox{TMessage}"/>: remembers the last sequence applied per sender. A message is
/// recorded only once it has been applied, so one whose application failed is applied when the sender retries it.
/// </summary>
public sealed class Inbox
{
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    /// <summary>True when the message is new and should be applied; false for a repeat.</summary>
    public bool IsNew(string sender, long sequence) => !_applied.TryGetValue(sender, out var last) || sequence > last;

    /// <summary>Records that the message has been applied.</summary>
    public void Applied(string sender, long sequence) => _applied[sender] = sequence;

    /// <summary>The last sequence applied per sender, for a snapshot.</summary>
    public Dictionary<string, long> Export() => new(_applied, StringComparer.Ordinal);

    public void Import(Dictionary<string, long> applied)
    {
        foreach (var (sender, sequence) in applied)
        {
            _applied[sender] = sequence;
        }
    }
}

/// <summary>
/// Outgoing messages whose effect is idempotent and order-free at the receiver (a payment de-duplicated by event id,
/// a contact that keeps the latest time): failed sends stay queued and are retried, with no sequence to keep.
/// </summary>
public sealed class RetryQueue<TMessage>
{
    private List<(string Destination, TMessage Message)> _pending = new();

    public bool HasPending => _pending.Count > 0;

    public void Enqueue(string destination, TMessage message) => _pending.Add((destination, message));

    /// <summary>What is still to be sent, for a snapshot.</summary>
    public List<(string Destination, TMessage Message)> Export() => _pending.ToList();

    public void Import(IEnumerable<(string Destination, TMessage Message)> pending) => _pending.AddRange(pending);

    public async Task DrainAsync(Func<string, TMessage, Task> send)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var batch = _pending;
        _pending = new();
        var tasks = batch.Select(p => SendOne(send, p.Destination, p.Message)).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            for (var i = 0; i < tasks.Length; i++)
            {
                if (!tasks[i].IsCompletedSuccessfully)
                {
                    _pending.Add(batch[i]);
                }
            }

            throw;
        }
    }

    /// <summary>Turns a send that throws before it returns a task into a failed task, so it is kept for a retry.</summary>
    private static async Task SendOne(Func<string, TMessage, Task> send, string destination, TMessage message) =>
        await send(destination, message);
}
