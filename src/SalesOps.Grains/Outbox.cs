namespace SalesOps.Grains;

/// <summary>
/// A grain's outgoing messages, delivered to each destination in order and at most once per sequence number: every
/// message gets the next sequence number of its destination's lane; a message whose call failed stays at the head of
/// its lane and is sent again before anything newer; the receiver (<see cref="Inbox"/>) ignores sequence numbers it
/// has already applied, so a retry of a call that did arrive is not counted twice.
/// </summary>
public sealed class Outbox<TMessage>
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public bool HasPending => _lanes.Values.Any(l => l.Pending.Count > 0);

    public void Enqueue(string destination, TMessage message)
    {
        if (!_lanes.TryGetValue(destination, out var lane))
        {
            lane = new Lane();
            _lanes[destination] = lane;
        }

        lane.Pending.Enqueue((++lane.LastSequence, message));
    }

    /// <summary>Sends what is pending, lanes in parallel, each lane in order; throws the first failure after all lanes stop.</summary>
    public async Task DrainAsync(Func<string, long, TMessage, Task> send)
    {
        var busy = _lanes.Where(l => l.Value.Pending.Count > 0).ToList();
        if (busy.Count == 0)
        {
            return;
        }

        var tasks = new Task[busy.Count];
        for (var i = 0; i < busy.Count; i++)
        {
            var (destination, lane) = busy[i];
            tasks[i] = DrainLaneAsync(destination, lane, send);
        }

        await Task.WhenAll(tasks);
    }

    private static async Task DrainLaneAsync(string destination, Lane lane, Func<string, long, TMessage, Task> send)
    {
        while (lane.Pending.TryPeek(out var head))
        {
            await send(destination, head.Sequence, head.Message);
            lane.Pending.Dequeue();
        }
    }

    private sealed class Lane
    {
        public long LastSequence;
        public readonly Queue<(long Sequence, TMessage Message)> Pending = new();
    }
}

/// <summary>The receiving end of <see cref="Outbox{TMessage}"/>: remembers the last sequence applied per sender.</summary>
public sealed class Inbox
{
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    /// <summary>True when the message is new and should be applied; false for a repeat.</summary>
    public bool Accept(string sender, long sequence)
    {
        if (_applied.TryGetValue(sender, out var last) && sequence <= last)
        {
            return false;
        }

        _applied[sender] = sequence;
        return true;
    }
}
