using SalesOps.Runtime.Telemetry;

namespace SalesOps.Runtime;

/// <summary>
/// A grain's outgoing messages, delivered to each destination in order and at most once per sequence number: every
/// message gets the outbox's next number (so the numbers a destination sees from it only grow); a message whose call
/// failed stays at the head of its destination's lane and is sent again before anything newer; the receiver
/// (<see cref="Inbox"/>) ignores numbers it has already applied, so a retry of a call that did arrive is not counted
/// twice. Only lanes with messages waiting exist: a lane that empties is dropped, so an outbox holds what it has to
/// send and one number, however many destinations it ever had (a rep book touches thousands of customers).
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
    private long _lastSequence;
    private bool _stopped;
    private bool _released;
    private int _undelivered;

    /// <summary>Messages waiting or in flight (those in flight included until their call succeeds).</summary>
    public bool HasPending => _lanes.Count > 0;

    /// <summary>How many messages are not yet delivered: a merged message counts for each message it carries.</summary>
    public int Undelivered => _undelivered;

    /// <summary>Whether messages to <paramref name="destination"/> are waiting or in flight.</summary>
    public bool Owes(string destination) => _lanes.ContainsKey(destination);

    /// <summary>
    /// The owner is going away: a drain still running sends nothing more and merges nothing. A new activation may be
    /// sending the same messages one by one; merging them now could re-number some it already sent.
    /// </summary>
    public void Stop() => _stopped = true;

    public void Enqueue(string destination, TMessage message)
    {
        if (!_lanes.TryGetValue(destination, out var lane))
        {
            lane = new Lane(destination);
            _lanes[destination] = lane;
        }

        ++_lastSequence;
        lane.Pending.Enqueue(new Waiting(_lastSequence, _lastSequence, 1, message));
        _undelivered++;
        CountDepth(1);
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
        switch (_lanes.Count)
        {
            case 0:
                return Task.CompletedTask;
            case 1:
                foreach (var lane in _lanes.Values)
                {
                    return DrainLaneAsync(lane, send); // the enumeration ends here, before the lane may leave
                }

                return Task.CompletedTask;
            default:
                var busy = _lanes.Values.ToArray(); // lanes leave the dictionary as they empty, some before the loop ends
                var drains = new Task[busy.Length];
                for (var i = 0; i < busy.Length; i++)
                {
                    drains[i] = DrainLaneAsync(busy[i], send);
                }

                return Task.WhenAll(drains);
        }
    }

    /// <summary>
    /// Sends one lane in order. The owner never runs two drains of one outbox at once (grains are not reentrant, and
    /// <see cref="Courier"/> keeps one drain running at a time), so a lane has at most one message in flight.
    /// </summary>
    private async Task DrainLaneAsync(Lane lane, Func<string, long, long, TMessage, Task> send)
    {
        while (lane.Pending.Count > 0)
        {
            if (_stopped)
            {
                return; // the lane stays: this outbox sends nothing more
            }

            if (merge is not null && !lane.HeadSent && lane.Recovered == 0 && lane.Pending.Count > 1)
            {
                Coalesce(lane, merge);
            }

            var head = lane.Pending.Peek();
            lane.HeadSent = true;
            await send(lane.Destination, head.First, head.Last, head.Message);
            lane.Pending.Dequeue();
            lane.HeadSent = false;
            _undelivered -= head.Count;
            CountDepth(-head.Count);
            if (lane.Recovered > 0)
            {
                lane.Recovered--;
            }
        }

        _lanes.Remove(lane.Destination);
    }

    /// <summary>Replaces the lane's waiting messages (none of them sent yet) by one, carrying their first and last number.</summary>
    private static void Coalesce(Lane lane, Func<IReadOnlyList<TMessage>, TMessage> merge)
    {
        var messages = new List<TMessage>(lane.Pending.Count);
        var first = lane.Pending.Peek().First;
        long last = 0;
        var count = 0;
        foreach (var waiting in lane.Pending)
        {
            messages.Add(waiting.Message);
            last = waiting.Last;
            count += waiting.Count;
        }

        var merged = merge(messages); // before the queue changes: a merge that throws loses nothing
        lane.Pending.Clear();
        lane.Pending.Enqueue(new Waiting(first, last, count, merged));
    }

    /// <summary>
    /// What every lane still has to send, each with the outbox's last number, for a snapshot; an outbox with nothing to
    /// send exports one lane without a destination, which carries the number alone.
    /// </summary>
    public List<OutboxLane<TMessage>> Export()
    {
        if (_lanes.Count == 0)
        {
            return _lastSequence == 0 ? [] : [new OutboxLane<TMessage>("", _lastSequence, [])];
        }

        return _lanes.Values.Select(lane => new OutboxLane<TMessage>(
                lane.Destination,
                _lastSequence,
                lane.Pending.Select(p => (p.Last, p.Message)).ToList(),
                MergedFirsts(lane)))
            .ToList();
    }

    private static Dictionary<long, long>? MergedFirsts(Lane lane)
    {
        Dictionary<long, long>? firsts = null;
        foreach (var waiting in lane.Pending)
        {
            if (waiting.First != waiting.Last)
            {
                (firsts ??= new Dictionary<long, long>())[waiting.Last] = waiting.First;
            }
        }

        return firsts;
    }

    /// <summary>
    /// Restores what <see cref="Export"/> returned, into an empty outbox. Snapshots of earlier builds numbered each lane
    /// on its own: the outbox goes on from the highest, so every destination still sees its numbers grow.
    /// </summary>
    public void Import(IEnumerable<OutboxLane<TMessage>> lanes)
    {
        ArgumentNullException.ThrowIfNull(lanes);
        foreach (var l in lanes)
        {
            _lastSequence = Math.Max(_lastSequence, l.LastSequence);
            if (l.Pending.Count == 0)
            {
                continue;
            }

            var lane = new Lane(l.Destination);
            foreach (var (sequence, message) in l.Pending)
            {
                var first = l.MergedFirsts is { } firsts && firsts.TryGetValue(sequence, out var f) ? f : sequence;
                lane.Pending.Enqueue(new Waiting(first, sequence, 1, message)); // a merged one counts once: what it carried is not known
                _undelivered++;
                CountDepth(1);
            }

            _lanes[l.Destination] = lane;
        }
    }

    /// <summary>
    /// The owner's activation is gone: what it still holds leaves this process's outbox depth (a new activation that
    /// restores it counts it again). Nothing is counted after this.
    /// </summary>
    public void Release()
    {
        if (!_released)
        {
            CountDepth(-_undelivered);
            _released = true;
        }
    }

    private void CountDepth(long delta)
    {
        if (!_released)
        {
            EngineMetrics.AddOutboxDepth(delta);
        }
    }

    /// <summary>A message waiting in a lane: its first and last number, how many messages it carries, and itself.</summary>
    private readonly record struct Waiting(long First, long Last, int Count, TMessage Message);

    private sealed class Lane(string destination)
    {
        public readonly string Destination = destination;
        public readonly Queue<Waiting> Pending = new();

        /// <summary>The head has been sent (its call may have arrived), so it goes again exactly as it was.</summary>
        public bool HeadSent;

        /// <summary>How many messages at the head were restored and must go one by one.</summary>
        public int Recovered;
    }
}

/// <summary>
/// One outbox lane in a snapshot: its destination, the outbox's last number and the messages not yet sent, each under
/// its last number; <see cref="MergedFirsts"/> gives the first number of those that were merged (absent: not merged).
/// Snapshots of earlier builds kept a lane per destination ever used, with that lane's own last number.
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
/// <remarks>
/// Its memory is bounded by the number of sending grains, not of their activations. A durable sender is named by its
/// journal stream and numbers across activations. A memory-mode sender is named <c>stream#activation</c> and numbers
/// from 1 in each activation (its predecessor's state, numbering included, died with it); the first message of a new
/// activation replaces its predecessor's entry, whose name is kept in a short list of superseded activations so that a
/// message of the predecessor still in flight is recognised as one of a lost activation and ignored: it may be a
/// re-send of one already applied, and in memory mode what a lost activation had not yet delivered is lost with its
/// state anyway.
/// </remarks>
/// <param name="activations">
/// True when the senders are memory-mode grains, named <c>stream#activation</c>; false when they are durable, named by
/// their stream alone. An entity id may contain '#', so a durable name is never split.
/// </param>
public sealed class Inbox(bool activations = true)
{
    /// <summary>Superseded activations remembered per sender grain.</summary>
    private const int SupersededKept = 4;

    /// <summary>One entry per sending grain, keyed by its stream name; looked up by a span of the sender's name.</summary>
    private readonly Dictionary<string, Sender> _senders = new(StringComparer.Ordinal);

    /// <summary>
    /// True when none of the message's numbers has been applied, so it should be applied; false for a repeat.
    /// <paramref name="first"/> is the message's first number (a merged message has several; record its last with
    /// <see cref="Applied"/>). A merged message that overlaps what was applied comes from an activation of the sender
    /// that is going away while its successor re-sends the same messages one by one: it is a repeat, and those re-sends
    /// bring the rest.
    /// </summary>
    public bool IsNew(string sender, long first)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var grain = SendingGrain(sender, activations, out var activation);
        if (!_senders.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(grain, out var known))
        {
            return true;
        }

        if (activation.SequenceEqual(known.Activation))
        {
            return first > known.Applied;
        }

        return !known.WasSuperseded(activation); // a successor's first message is new
    }

    /// <summary>Records that the message, up to its last number <paramref name="sequence"/>, has been applied.</summary>
    public void Applied(string sender, long sequence)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var grain = SendingGrain(sender, activations, out var activation);
        if (!_senders.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(grain, out var known))
        {
            _senders[grain.ToString()] = new Sender(activation.ToString(), sequence);
            return;
        }

        if (!activation.SequenceEqual(known.Activation))
        {
            known.Supersede(activation.ToString(), SupersededKept);
        }

        known.Applied = sequence;
    }

    /// <summary>The stream name (<c>kind/key</c>) of the grain that sent as <paramref name="sender"/>.</summary>
    public ReadOnlySpan<char> GrainOf(string sender) => SendingGrain(sender, activations, out _);

    /// <summary>How many sending grains the inbox remembers.</summary>
    public int Count => _senders.Count;

    /// <summary>The last sequence applied per sender, for a snapshot.</summary>
    public Dictionary<string, long> Export()
    {
        var export = new Dictionary<string, long>(_senders.Count, StringComparer.Ordinal);
        foreach (var (grain, known) in _senders)
        {
            export[known.Activation.Length == 0 ? grain : grain + "#" + known.Activation] = known.Applied;
        }

        return export;
    }

    public void Import(Dictionary<string, long> applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        foreach (var (sender, sequence) in applied)
        {
            Applied(sender, sequence);
        }
    }

    /// <summary>
    /// The sending grain's stream name (<c>kind/key</c>), and its activation: for a memory-mode sender
    /// (<paramref name="activations"/>) what follows the last '#' (a Guid, which has none; the key may have some), for a
    /// durable one nothing.
    /// </summary>
    public static ReadOnlySpan<char> SendingGrain(string sender, bool activations, out ReadOnlySpan<char> activation)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var hash = activations ? sender.LastIndexOf('#') : -1;
        activation = hash < 0 ? ReadOnlySpan<char>.Empty : sender.AsSpan(hash + 1);
        return hash < 0 ? sender.AsSpan() : sender.AsSpan(0, hash);
    }

    private sealed class Sender(string activation, long applied)
    {
        private List<string>? _superseded;

        public string Activation { get; private set; } = activation;

        public long Applied { get; set; } = applied;

        public bool WasSuperseded(ReadOnlySpan<char> activation)
        {
            if (_superseded is null)
            {
                return false;
            }

            foreach (var old in _superseded)
            {
                if (activation.SequenceEqual(old))
                {
                    return true;
                }
            }

            return false;
        }

        public void Supersede(string successor, int kept)
        {
            _superseded ??= new List<string>(1);
            if (_superseded.Count == kept)
            {
                _superseded.RemoveAt(0);
            }

            _superseded.Add(Activation);
            Activation = successor;
        }
    }
}
