namespace SalesOps.Runtime;

/// <summary>
/// A grain's outgoing messages, delivered to each destination in order and at most once per sequence number: every
/// message gets the next sequence number of its destination's lane; a message whose call failed stays at the head of
/// its lane and is sent again before anything newer; the receiver (<see cref="Inbox"/>) ignores sequence numbers it
/// has already applied, so a retry of a call that did arrive is not counted twice. Only lanes with messages waiting
/// are visited, so a grain that talks to many destinations pays for the ones it is sending to.
/// <para>
/// With a merge function, messages that queued up behind a send in flight go as one: the lane's waiting messages are
/// merged into a single message that carries the first and the last of their numbers, so a destination that is slower
/// than its senders gets fewer, larger messages instead of a growing queue. Only messages never sent are merged: a
/// message that was sent (its call may have arrived) is sent again as it was, and messages restored from a snapshot or
/// a journal replay (<see cref="MarkRecovered"/>) go one by one, because the destination may already have some of them.
/// The receiver applies a message only if it has none of its numbers (<see cref="Inbox.IsNew"/>):
/// a merged message still in flight from an activation that is going away, arriving after the new activation's
/// one-by-one re-sends have begun, is then a repeat rather than a second count of what those re-sends delivered.
/// </para>
/// </summary>
public sealed class Outbox<TMessage>(Func<IReadOnlyList<TMessage>, TMessage>? merge = null)
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly List<(string Destination, Lane Lane)> _busy = new();
    private bool _stopped;

    public bool HasPending => _busy.Count > 0;

    /// <summary>
    /// The owner is going away: a drain still running sends nothing more and merges nothing. A new activation may be
    /// sending the same messages one by one; merging them now could re-number some it already sent.
    /// </summary>
    public void Stop() => _stopped = true;

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

        ++lane.LastSequence;
        lane.Pending.Enqueue((lane.LastSequence, lane.LastSequence, message));
    }

    /// <summary>
    /// Marks every waiting message as restored (from a snapshot or a journal replay): each is sent on its own, never
    /// merged, since the destination may have applied some of them before the grain was lost.
    /// </summary>
    public void MarkRecovered()
    {
        foreach (var lane in _lanes.Values)
        {
            lane.Recovered = lane.Pending.Count;
        }
    }

    /// <summary>
    /// Sends what is pending, lanes in parallel, each lane in order; throws the first failure after all lanes stop.
    /// <paramref name="send"/> gets the destination, the message's first and last number (equal unless it was merged)
    /// and the message.
    /// </summary>
    public Task DrainAsync(Func<string, long, long, TMessage, Task> send)
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
    /// Sends one lane in order. The owner never runs two drains of one outbox at once (grains are not reentrant, and
    /// <see cref="Courier"/> keeps one drain running at a time), so a lane has at most one message in flight.
    /// </summary>
    private async Task DrainLaneAsync(string destination, Lane lane, Func<string, long, long, TMessage, Task> send)
    {
        while (lane.Pending.Count > 0)
        {
            if (_stopped)
            {
                return; // the lane stays busy: this outbox sends nothing more
            }

            if (merge is not null && !lane.HeadSent && lane.Recovered == 0 && lane.Pending.Count > 1)
            {
                Coalesce(lane, merge);
            }

            var head = lane.Pending.Peek();
            lane.HeadSent = true;
            await send(destination, head.First, head.Last, head.Message);
            lane.Pending.Dequeue();
            lane.HeadSent = false;
            if (lane.Recovered > 0)
            {
                lane.Recovered--;
            }
        }

        _busy.Remove((destination, lane));
    }

    /// <summary>Replaces the lane's waiting messages (none of them sent yet) by one, carrying their first and last number.</summary>
    private static void Coalesce(Lane lane, Func<IReadOnlyList<TMessage>, TMessage> merge)
    {
        var messages = new List<TMessage>(lane.Pending.Count);
        var first = lane.Pending.Peek().First;
        long last = 0;
        foreach (var (_, number, message) in lane.Pending)
        {
            messages.Add(message);
            last = number;
        }

        var merged = merge(messages); // before the queue changes: a merge that throws loses nothing
        lane.Pending.Clear();
        lane.Pending.Enqueue((first, last, merged));
    }

    /// <summary>Every lane's numbering and what it still has to send, for a snapshot.</summary>
    public List<OutboxLane<TMessage>> Export() =>
        _lanes.Select(kv => new OutboxLane<TMessage>(
                kv.Key,
                kv.Value.LastSequence,
                kv.Value.Pending.Select(p => (p.Last, p.Message)).ToList(),
                MergedFirsts(kv.Value)))
            .ToList();

    private static Dictionary<long, long>? MergedFirsts(Lane lane)
    {
        Dictionary<long, long>? firsts = null;
        foreach (var (first, last, _) in lane.Pending)
        {
            if (first != last)
            {
                (firsts ??= new Dictionary<long, long>())[last] = first;
            }
        }

        return firsts;
    }

    /// <summary>Restores what <see cref="Export"/> returned, into an empty outbox.</summary>
    public void Import(IEnumerable<OutboxLane<TMessage>> lanes)
    {
        foreach (var l in lanes)
        {
            var lane = new Lane { LastSequence = l.LastSequence };
            foreach (var (sequence, message) in l.Pending)
            {
                var first = l.MergedFirsts is { } firsts && firsts.TryGetValue(sequence, out var f) ? f : sequence;
                lane.Pending.Enqueue((first, sequence, message));
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
        public readonly Queue<(long First, long Last, TMessage Message)> Pending = new();

        /// <summary>The head has been sent (its call may have arrived), so it goes again exactly as it was.</summary>
        public bool HeadSent;

        /// <summary>How many messages at the head were restored and must go one by one.</summary>
        public int Recovered;
    }
}

/// <summary>
/// One outbox lane in a snapshot: its destination, the last number used and the messages not yet sent, each under its
/// last number; <see cref="MergedFirsts"/> gives the first number of those that were merged (absent: not merged).
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.OutboxLane`1")]
public sealed record OutboxLane<TMessage>(
    [property: Id(0)] string Destination,
    [property: Id(1)] long LastSequence,
    [property: Id(2)] List<(long Sequence, TMessage Message)> Pending,
    [property: Id(3)] Dictionary<long, long>? MergedFirsts = null);

/// <summary>
/// The receiving end of <see cref="Outbox{TMessage}"/>: remembers the last sequence applied per sender. A message is
/// recorded only once it has been applied, so one whose application failed is applied when the sender retries it.
/// </summary>
public sealed class Inbox
{
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    /// <summary>
    /// True when none of the message's numbers has been applied, so it should be applied; false for a repeat.
    /// <paramref name="first"/> is the message's first number (a merged message has several; record its last with
    /// <see cref="Applied"/>). A merged message that overlaps what was applied comes from an activation of the sender
    /// that is going away while its successor re-sends the same messages one by one: it is a repeat, and those re-sends
    /// bring the rest.
    /// </summary>
    public bool IsNew(string sender, long first) => !_applied.TryGetValue(sender, out var applied) || first > applied;

    /// <summary>Records that the message, up to its last number <paramref name="sequence"/>, has been applied.</summary>
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
    private List<(string Destination, TMessage Message)> _inFlight = new();

    /// <summary>Messages waiting for a drain (not those being sent).</summary>
    public bool HasPending => _pending.Count > 0;

    /// <summary>Messages not yet known to be delivered: waiting or being sent.</summary>
    public bool HasUnsent => _pending.Count > 0 || _inFlight.Count > 0;

    public void Enqueue(string destination, TMessage message) => _pending.Add((destination, message));

    /// <summary>What is not yet known to be delivered, those being sent included, for a snapshot.</summary>
    public List<(string Destination, TMessage Message)> Export() => _inFlight.Concat(_pending).ToList();

    public void Import(IEnumerable<(string Destination, TMessage Message)> pending) => _pending.AddRange(pending);

    public async Task DrainAsync(Func<string, TMessage, Task> send)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var batch = _pending;
        _pending = new();
        _inFlight = batch;
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
        finally
        {
            _inFlight = new();
        }
    }

    /// <summary>Turns a send that throws before it returns a task into a failed task, so it is kept for a retry.</summary>
    private static async Task SendOne(Func<string, TMessage, Task> send, string destination, TMessage message) =>
        await send(destination, message);
}
