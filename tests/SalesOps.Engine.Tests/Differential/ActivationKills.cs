using System.Collections.Concurrent;
using SalesOps.Domain;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// Activations killed mid-delivery, on top of another <see cref="IFaultInjector"/> (the call faults), for the grain
/// differential test in postgres mode. At random, with Orleans' own deactivation (<see cref="IGrainContext.Deactivate"/>):
/// <list type="bullet">
/// <item>a <b>sender</b> is killed while its message to another grain is in flight (an outgoing-call filter, so the
/// kill lands between the send and its acknowledgment): the message applied and its answer lost, or not sent at all
/// and left in the killed activation's outbox, or sent late — after the activation is gone, so it may arrive beside
/// what the next activation sends again;</item>
/// <item>a <b>receiver</b> is killed right after it applied a message, before it answers: its next activation must
/// remember the message's number and ignore the sender's retry;</item>
/// <item>a book is killed right after it applied an ingest call and answered it, while it delivers (or has queued)
/// the call's effects.</item>
/// </list>
/// Half the kills are graceful (the deactivation may deliver and write its snapshot); the other half ask the
/// deactivation to finish promptly (a cancelled token: Orleans stops waiting for <c>OnDeactivateAsync</c>, as when
/// <c>DeactivationTimeout</c> expires), so what the grain had queued is left to its journal and the next activation.
/// </summary>
/// <remarks>
/// Memory mode keeps state only in activations and never collects them (README, "Storage modes"): a killed activation
/// loses its state by design, so kills are for postgres mode only. A call made to fail by a kill is tracked as the
/// call faults track theirs — unresolved until the same sender's same call to the same target succeeds (for an answer
/// lost, another send than the one whose answer was lost) — so the harness's settle step waits for the retry instead
/// of guessing.
/// </remarks>
public sealed class ActivationKills(IFaultInjector inner, double rate) : IFaultInjector
{
    /// <summary>Request-context key of the failure number an "answer lost" send carries to its receiver.</summary>
    private const string AttemptKey = "diff-kill-attempt";

    private readonly ConcurrentDictionary<(string Method, string Target, string Source), Lag> _unresolved = new();
    private readonly ConcurrentDictionary<(string Method, string Target, string Source), Lag> _orphaned = new();
    private readonly ConcurrentQueue<Lag> _lags = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ActivationId, GrainId> _killed = new();
    private readonly ConcurrentDictionary<GrainId, ActivationId> _awaitingReturn = new();
    private readonly ConcurrentDictionary<long, (long Inner, long Own)> _marks = new();
    private long _injected;
    private long _kills;
    private long _lastMark;

    /// <summary>Chance that a message between grains, or an ingest call to a book, gets its activation killed.</summary>
    public double Rate => rate;

    public IReadOnlyDictionary<string, long> Counts =>
        inner.Counts.Concat(_counts).GroupBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal);

    /// <summary>Kill kinds a long run must have produced, or it proves nothing about kills.</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        "kill sender, answer lost", "kill sender, not sent", "kill sender, sent late", "kill receiver after apply", "kill book after ingest",
        "kill prompt", "kill graceful", "activations killed", "killed grains active again",
    ];

    public Task<T> IngestAsync<T>(string sequence, IngestFaultMode mode, Func<Task<T>> ingest) => inner.IngestAsync(sequence, mode, ingest);

    /// <summary>
    /// The call faults of the sequence, plus every kill so far: books and regions are shared by the sequences running at
    /// once, so a kill anywhere may make an ingest call of any of them time out on an activation going away. The harness
    /// then settles the event's UNAVAILABLE by re-sending it.
    /// </summary>
    public int IngestFaults(string sequence) => inner.IngestFaults(sequence) + (int)Interlocked.Read(ref _kills);

    public bool Explains(string sequence, SalesEvent e) => inner.Explains(sequence, e);

    public long Mark()
    {
        var mark = Interlocked.Increment(ref _lastMark);
        _marks[mark] = (inner.Mark(), Interlocked.Read(ref _injected));
        return mark;
    }

    public async Task<bool> WaitResolvedAsync(long mark, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var (innerMark, own) = _marks[mark];
        while (_unresolved.Values.Any(v => v.Mark <= own))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return await inner.WaitResolvedAsync(innerMark, deadline - DateTime.UtcNow);
    }

    /// <summary>
    /// Grains killed and not seen active since. One killed with messages queued sends them only once something wakes
    /// it (its next call, or the recovery sweep's five-minute reminder), so the harness wakes these while it waits.
    /// </summary>
    public IReadOnlyList<GrainId> Dormant => _awaitingReturn.Keys.ToList();

    public IEnumerable<string> Unresolved(long mark)
    {
        var (innerMark, own) = _marks[mark];
        return _unresolved.Where(kv => kv.Value.Mark <= own)
            .Select(kv => $"{kv.Key.Method} on {kv.Key.Target} from {kv.Key.Source} (kill #{kv.Value.Mark}: {kv.Value.Kind}, {kv.Value.FailedAt:HH:mm:ss.fff})")
            .Concat(inner.Unresolved(innerMark));
    }

    public bool Lagged(string method, string target, DateTime since) =>
        inner.Lagged(method, target, since)
        || _lags.Any(l => l.Method == method && l.Target == target && (l.ResolvedAt is not { } resolved || resolved >= since));

    /// <summary>The sender's side of a message: may kill the sender while the message is in flight.</summary>
    public async Task OutgoingAsync(IOutgoingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name ?? "";
        if (!CallFilterFaults.Messages.Contains(method) || context.SourceContext is not { GrainInstance: not null } sender)
        {
            await context.Invoke();
            return;
        }

        Returned(sender);
        var call = (method, context.TargetId.ToString(), sender.GrainId.ToString());
        var kind = Random.Shared.NextDouble() >= rate ? null : Random.Shared.Next(3) switch
        {
            0 => "kill sender, answer lost",
            1 => "kill sender, not sent",
            _ => "kill sender, sent late",
        };
        if (kind is not null && !Kill(sender, kind, method))
        {
            kind = null;
        }

        // A send of an activation already killed (this one, or one whose drain outlived its kill) is an orphan: if it
        // fails, nothing retries it but the next activation, which re-sends from its journal only what it does not know
        // to be delivered, and may have delivered it already. Whether it arrived at all is the state comparison's job.
        var orphan = _killed.ContainsKey(sender.ActivationId);
        if (orphan)
        {
            RequestContext.Set(CallFilterFaults.OrphanKey, true);
        }

        try
        {
            await SendAsync(context, sender, method, call, kind);
        }
        finally
        {
            if (orphan)
            {
                RequestContext.Remove(CallFilterFaults.OrphanKey);
            }
        }
    }

    private async Task SendAsync(IOutgoingGrainCallContext context, IGrainContext sender, string method, (string, string, string) call, string? kind)
    {
        switch (kind)
        {
            case "kill sender, answer lost":
                // Counted as failed before it goes out, not when its answer comes back: Orleans does not wait for a
                // drain running behind an answer, so the grain's next activation may send the message again, and have
                // it applied, while this answer is still on its way. That retry resolves it; this send's own arrival,
                // which carries the failure's number, does not.
                var attempt = Failed(call, kind);
                RequestContext.Set(AttemptKey, attempt);
                try
                {
                    await context.Invoke();
                }
                finally
                {
                    RequestContext.Remove(AttemptKey);
                }

                throw new TimeoutException($"injected: {sender.GrainId} killed while sending {method}; the answer is lost");
            case "kill sender, not sent":
                Failed(call, kind);
                throw new TimeoutException($"injected: {sender.GrainId} killed before {method} went out");
            case "kill sender, sent late":
                // In flight past the sender's end: the next activation may send the same numbers meanwhile.
                Failed(call, kind);
                await Task.Delay(Random.Shared.Next(5, 80));
                await context.Invoke();
                break;
            default:
                await context.Invoke();
                break;
        }

        Resolved(call);
    }

    /// <summary>The receiver's side: may kill a grain right after it applied a message or an ingest call.</summary>
    public async Task IncomingAsync(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name ?? "";
        var isMessage = CallFilterFaults.Messages.Contains(method);
        // Ingest calls of the harness only (they carry its sequence); books only: they are the ones that deliver.
        var isIngest = method == "ApplyAsync" && RequestContext.Get(CallFilterFaults.SequenceKey) is string;
        var receiver = context.TargetContext;
        Returned(receiver);
        if (!isMessage && !isIngest)
        {
            await context.Invoke();
            return;
        }

        var call = (method, context.TargetId.ToString(), CallFilterFaults.SourceOf(method, context.SourceId));
        var attempt = RequestContext.Get(AttemptKey) as long?;
        var orphan = RequestContext.Get(CallFilterFaults.OrphanKey) is true;
        // The marks are the sender's: what the receiver sends while it handles this call is not the killed sender's.
        RequestContext.Remove(AttemptKey);
        RequestContext.Remove(CallFilterFaults.OrphanKey);
        var kind = Random.Shared.NextDouble() >= rate ? null : isMessage ? "kill receiver after apply" : "kill book after ingest";
        await context.Invoke();
        if (kind is null || !Kill(receiver, kind, method))
        {
            // Arrived and applied: the retry of a call a kill made to fail (senders that are not grains, such as the
            // silo's roll-up carrier, are seen only here).
            Resolved(call, attempt);
            return;
        }

        if (isMessage)
        {
            // From a killed sender's activation, nothing retries it but the next activation, which may have delivered it
            // already: the failure is recorded for Lagged only.
            Failed(call, kind, owed: !orphan);
            throw new TimeoutException($"injected: {receiver.GrainId} killed after it applied {method}; the answer is lost");
        }

        // An ingest call is answered: the kill only cuts short what the book delivers behind its answer.
    }

    private bool Kill(IGrainContext activation, string kind, string method)
    {
        if (!_killed.TryAdd(activation.ActivationId, activation.GrainId))
        {
            return false; // already going away
        }

        Interlocked.Increment(ref _kills);
        var prompt = Random.Shared.Next(2) == 0;
        Count(kind);
        Count($"{kind} {method}");
        Count(prompt ? "kill prompt" : "kill graceful");
        _awaitingReturn[activation.GrainId] = activation.ActivationId;
        activation.Deactivate(
            new DeactivationReason(DeactivationReasonCode.ApplicationRequested, $"injected: {kind} ({method})"),
            prompt ? new CancellationToken(canceled: true) : CancellationToken.None);
        // Counted when Orleans has taken the activation down, so a run cannot claim kills that never happened.
        _ = activation.Deactivated.ContinueWith(_ => Count("activations killed"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }

    /// <summary>A killed grain seen working again in a new activation: the kill took and the grain came back.</summary>
    private void Returned(IGrainContext activation)
    {
        if (_awaitingReturn.TryGetValue(activation.GrainId, out var killed) && killed != activation.ActivationId
            && _awaitingReturn.TryRemove(KeyValuePair.Create(activation.GrainId, killed)))
        {
            Count("killed grains active again");
        }
    }

    /// <summary>Records a call made to fail until its sender sends it again; returns the failure's number.</summary>
    private long Failed((string, string, string) call, string kind, bool owed = true)
    {
        var lag = new Lag(call.Item1, call.Item2, Interlocked.Increment(ref _injected), DateTime.UtcNow, kind);
        if ((owed ? _unresolved : _orphaned).TryAdd(call, lag))
        {
            _lags.Enqueue(lag);
        }

        return lag.Mark;
    }

    /// <summary>
    /// The call arrived and applied: it resolves the failure recorded for it, unless it is the very send that failure
    /// is about (<paramref name="attempt"/>, the number an "answer lost" send carries).
    /// </summary>
    private void Resolved((string, string, string) call, long? attempt = null)
    {
        if (_unresolved.TryGetValue(call, out var lag) && lag.Mark != attempt && _unresolved.TryRemove(KeyValuePair.Create(call, lag)))
        {
            lag.ResolvedAt = DateTime.UtcNow;
        }

        if (_orphaned.TryRemove(call, out var orphan))
        {
            orphan.ResolvedAt = DateTime.UtcNow;
        }
    }

    private void Count(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);
}

/// <summary>Hands the silo's outgoing grain calls to <see cref="ActivationKills"/>.</summary>
public sealed class ActivationKillsOutgoingFilter(ActivationKills kills) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context) => kills.OutgoingAsync(context);
}

/// <summary>Hands the silo's incoming grain calls to <see cref="ActivationKills"/>.</summary>
public sealed class ActivationKillsIncomingFilter(ActivationKills kills) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context) => kills.IncomingAsync(context);
}
