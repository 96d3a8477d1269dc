using System.Collections.Concurrent;
using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>What ingest calls of one batch suffer: nothing but transparent rejections, failures before they apply, or after.</summary>
public enum IngestFaultMode
{
    /// <summary>Calls may be rejected unapplied (Orleans does so for an activation going away); the ingestor calls again.</summary>
    RejectOnly,

    /// <summary>Calls may time out before the grain applies them: the event answers UNAVAILABLE and was not applied.</summary>
    FailBefore,

    /// <summary>Calls may time out after the grain applied them: the event answers UNAVAILABLE and was applied.</summary>
    FailAfter,
}

/// <summary>
/// The fault layer the grain differential test drives the engine through. The harness only needs these five things,
/// so a later runtime's own fault injection (delivery faults inside the runtime, activations killed mid-delivery)
/// can stand in for <see cref="CallFilterFaults"/> by implementing this interface.
/// </summary>
public interface IFaultInjector
{
    /// <summary>Runs one ingest call of <paramref name="sequence"/> with ingest faults of <paramref name="mode"/>.</summary>
    Task<T> IngestAsync<T>(string sequence, IngestFaultMode mode, Func<Task<T>> ingest);

    /// <summary>How many ingest calls of <paramref name="sequence"/> were made to fail so far.</summary>
    int IngestFaults(string sequence);

    /// <summary>
    /// Whether an ingest call carrying <paramref name="e"/> was made to fail: its UNAVAILABLE is the injected one, applied
    /// or not as the batch's mode says. Otherwise something else failed the call (a call timing out on a loaded machine
    /// beside it), and it may or may not have been applied (docs/semantics.md).
    /// </summary>
    bool Explains(string sequence, SalesEvent e);

    /// <summary>A mark of every fault injected so far, for <see cref="WaitResolvedAsync"/>.</summary>
    long Mark();

    /// <summary>
    /// Waits until every call made to fail up to <paramref name="mark"/> was made again and succeeded (the sender's
    /// retry arrived); false if <paramref name="timeout"/> passes first.
    /// </summary>
    Task<bool> WaitResolvedAsync(long mark, TimeSpan timeout);

    /// <summary>Faults injected so far, by kind and by method.</summary>
    IReadOnlyDictionary<string, long> Counts { get; }

    /// <summary>The calls made to fail up to <paramref name="mark"/> whose retry has not succeeded yet, for failure messages.</summary>
    IEnumerable<string> Unresolved(long mark);

    /// <summary>
    /// Whether a message <paramref name="method"/> to <paramref name="target"/> (a grain id) was made to fail and its
    /// retry had not yet succeeded at some moment since <paramref name="since"/>: its effect was late there.
    /// </summary>
    bool Lagged(string method, string target, DateTime since);
}

/// <summary>
/// Fault injection as a real Orleans incoming-call filter, at random: messages between grains (credits, roll-ups,
/// customer contacts) fail before or after they apply, are rejected unapplied, are delivered twice, or are held up
/// for a while; ingest calls suffer what the batch's <see cref="IngestFaultMode"/> allows. A failed message is remembered
/// by (method, target, sender) until the same sender's same call to the same target succeeds: that is the retry, and
/// <see cref="WaitResolvedAsync"/> waits for it instead of guessing how long retries take.
/// </summary>
public sealed class CallFilterFaults : IFaultInjector
{
    internal const string SequenceKey = "diff-sequence";

    /// <summary>Request-context key <see cref="ActivationKills"/> sets on a send of an activation it killed.</summary>
    internal const string OrphanKey = "diff-orphan";
    private const string ModeKey = "diff-ingest-faults";

    /// <summary>Messages between grains: every one is the runtime's delivery, retried by the sender's outbox.</summary>
    internal static readonly HashSet<string> Messages = new(StringComparer.Ordinal)
    {
        "CreditAsync", "ApplyRollupAsync", "ApplyRollupsAsync", "SetOrderAsync", "TouchAsync",
    };

    /// <summary>Calls the ingestor makes to apply events.</summary>
    /// <summary>
    /// Who owes the retry of a failed call. A carrier's batch (roll-ups of many rep books) is sent again by the carrier of
    /// whichever silo hosts its senders by then, after a kill possibly another silo's, so its source is "the carrier",
    /// not the silo's client that sent the failed batch.
    /// </summary>
    internal static string SourceOf(string method, GrainId? source) =>
        method == nameof(SalesOps.Abstractions.IRegionGrain.ApplyRollupsAsync) ? "carrier" : source?.ToString() ?? "client";

    /// <summary>
    /// The senders a call's retry is owed by. A carrier's call (durable mode: roll-ups to a region, credits to a rep
    /// book) carries many senders' messages, and each sender sends its own again, in whichever later batch: one fault
    /// per sender, resolved when a call carrying that sender's message succeeds, so another sender's batch does not
    /// settle it. Any other call has one sender (<see cref="SourceOf"/>).
    /// </summary>
    internal static IEnumerable<(string Method, string Target, string Source)> CallsOf(string method, string target, GrainId? source, object? argument) =>
        argument switch
        {
            Abstractions.RollupItem[] { Length: > 0 } rollups => rollups.Select(r => (method, target, "carried from " + r.Sender)),
            // Carried credits come from the silo's hosted client (the carrier's loop runs outside any grain); a grain's
            // own call with an array of one is memory mode's direct send.
            Abstractions.CreditsItem[] { Length: > 0 } credits when source is not { } from || GrainTypePrefix.IsClient(from) =>
                credits.Select(c => (method, target, "carried from " + c.Sender)),
            _ => [(method, target, SourceOf(method, source))],
        };

    internal static readonly HashSet<string> Ingest = new(StringComparer.Ordinal) { "ApplyAsync", "DefineAsync", "RegisterAsync", "SetTargetAsync", "SubmitForecastAsync", "RecordPlanningInputsAsync", "ChangeKeyAccountAsync" };

    private readonly ConcurrentDictionary<(string Method, string Target, string Source), Lag> _unresolved = new();
    private readonly ConcurrentDictionary<(string Method, string Target, string Source), Lag> _orphaned = new();
    private readonly ConcurrentQueue<Lag> _lags = new();
    private readonly ConcurrentDictionary<string, int> _ingestFaults = new(StringComparer.Ordinal);
    /// <summary>Per sequence, the events its current batch carried in calls made to fail (a sequence sends one batch at a time).</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(Type Kind, string EventId), bool>> _failedEvents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _injected;

    /// <param name="messageRate">Chance that a message between grains goes wrong (split over the kinds).</param>
    /// <param name="ingestRate">Chance that an ingest call goes wrong in the way its batch allows.</param>
    public CallFilterFaults(double messageRate, double ingestRate)
    {
        MessageRate = messageRate;
        IngestRate = ingestRate;
    }

    public double MessageRate { get; }
    public double IngestRate { get; }

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public async Task<T> IngestAsync<T>(string sequence, IngestFaultMode mode, Func<Task<T>> ingest)
    {
        // Request context flows from the client's call into the grain call and the filter reads it there.
        // What failed in the sequence's previous batch explains nothing in this one (an event re-sent in a later batch
        // may time out there after it applied).
        _failedEvents.TryRemove(sequence, out _);
        RequestContext.Set(SequenceKey, sequence);
        RequestContext.Set(ModeKey, mode.ToString());
        try
        {
            return await ingest();
        }
        finally
        {
            RequestContext.Remove(SequenceKey);
            RequestContext.Remove(ModeKey);
        }
    }

    public IEnumerable<string> Unresolved(long mark) =>
        _unresolved.Where(kv => kv.Value.Mark <= mark).Select(kv => $"{kv.Key.Method} on {kv.Key.Target} from {kv.Key.Source} (fault #{kv.Value.Mark}: {kv.Value.Kind}, {kv.Value.FailedAt:HH:mm:ss.fff})");

    public bool Lagged(string method, string target, DateTime since) =>
        _lags.Any(l => l.Method == method && l.Target == target && (l.ResolvedAt is not { } resolved || resolved >= since));

    public int IngestFaults(string sequence) => _ingestFaults.GetValueOrDefault(sequence);

    public bool Explains(string sequence, SalesEvent e) =>
        _failedEvents.TryGetValue(sequence, out var failed) && failed.ContainsKey((e.GetType(), e.EventId));

    public long Mark() => Interlocked.Read(ref _injected);

    public async Task<bool> WaitResolvedAsync(long mark, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_unresolved.Values.Any(v => v.Mark <= mark))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    /// <summary>The filter's body: decides the call's fate and carries it out.</summary>
    public async Task InvokeAsync(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name ?? "";
        var isMessage = Messages.Contains(method);
        var mode = Ingest.Contains(method) && RequestContext.Get(ModeKey) is string m ? Enum.Parse<IngestFaultMode>(m) : (IngestFaultMode?)null;
        if (!isMessage && mode is null)
        {
            await context.Invoke();
            return;
        }

        var calls = CallsOf(method, context.TargetId.ToString(), context.SourceId, context.Request.GetArgumentCount() > 0 ? context.Request.GetArgument(0) : null)
            .Distinct()
            .ToArray();
        var call = calls[0];
        var orphan = RequestContext.Get(OrphanKey) is true;
        var roll = Random.Shared.NextDouble();
        var fault = isMessage ? MessageFault(roll) : IngestFault(roll, mode!.Value);
        if (fault is not null)
        {
            _counts.AddOrUpdate(fault, 1, (_, n) => n + 1);
            _counts.AddOrUpdate($"{fault} {method}", 1, (_, n) => n + 1);
            if (call.Item3.StartsWith("carried from ", StringComparison.Ordinal))
            {
                _counts.AddOrUpdate($"{fault} {method}, carried", 1, (_, n) => n + 1);
                _counts.AddOrUpdate($"senders of carried {method} faults", calls.Length, (_, n) => n + calls.Length);
            }
        }

        switch (fault)
        {
            case "fail before":
                Failed(calls, mode, fault, orphan, context);
                throw new TimeoutException($"injected: {method} on {call.Item2} failed before it applied");
            case "reject":
                Failed(calls, mode, fault, orphan, context);
                throw Rejection($"injected: {method} on {call.Item2} rejected");
            case "fail after":
                await context.Invoke();
                Failed(calls, mode, fault, orphan, context);
                throw new TimeoutException($"injected: {method} on {call.Item2} failed after it applied");
            case "duplicate":
                // The same message arrives twice; the sender sees the first answer.
                await context.Invoke();
                var first = context.Result;
                await context.Invoke();
                context.Result = first;
                break;
            case "delay":
                await Task.Delay(Random.Shared.Next(1, 40));
                await context.Invoke();
                break;
            default:
                await context.Invoke();
                break;
        }

        // A rep book at its bound refuses some of a carried batch's credits (their places answered): their senders still owe them.
        var refused = context.Result is int[] { Length: > 0 } places && context.Request.GetArgument(0) is Abstractions.CreditsItem[] items
            ? places.SelectMany(i => CallsOf(method, call.Item2, context.SourceId, new[] { items[i] })).ToHashSet()
            : null;
        foreach (var settled in calls)
        {
            if (refused?.Contains(settled) == true)
            {
                continue;
            }

            if (_unresolved.TryRemove(settled, out var lag))
            {
                lag.ResolvedAt = DateTime.UtcNow;
            }

            if (_orphaned.TryRemove(settled, out var orphaned))
            {
                orphaned.ResolvedAt = DateTime.UtcNow;
            }
        }
    }

    private string? MessageFault(double roll) => (roll / MessageRate) switch
    {
        < 0.2 => "fail before",
        < 0.4 => "fail after",
        < 0.6 => "reject",
        < 0.8 => "duplicate",
        < 1.0 => "delay",
        _ => null,
    };

    private string? IngestFault(double roll, IngestFaultMode mode) => roll >= IngestRate ? null : mode switch
    {
        IngestFaultMode.FailBefore => "fail before",
        IngestFaultMode.FailAfter => "fail after",
        _ => "reject",
    };

    private void Failed((string, string, string)[] calls, IngestFaultMode? mode, string fault, bool orphan, IIncomingGrainCallContext context)
    {
        if (mode is null && orphan)
        {
            // A killed activation's send: its outbox is gone, and the next activation may have delivered the message
            // before this send arrived, so no retry is owed for it (a lost message would show in the state). Its
            // effect may still be late at the target until that activation sends it.
            _counts.AddOrUpdate("failed send of a killed activation", 1, (_, n) => n + 1);
            foreach (var call in calls)
            {
                var lag = new Lag(call.Item1, call.Item2, 0, DateTime.UtcNow, fault);
                if (_orphaned.TryAdd(call, lag))
                {
                    _lags.Enqueue(lag);
                }
            }
        }
        else if (mode is null)
        {
            // A message: each of its senders' outboxes must send its part again.
            var mark = Interlocked.Increment(ref _injected);
            foreach (var call in calls)
            {
                var lag = new Lag(call.Item1, call.Item2, mark, DateTime.UtcNow, fault);
                if (_unresolved.TryAdd(call, lag))
                {
                    _lags.Enqueue(lag);
                }
            }
        }
        else if (RequestContext.Get(SequenceKey) is string sequence)
        {
            // An ingest call: the harness sees UNAVAILABLE (or the ingestor calls again) and re-sends before going on.
            _ingestFaults.AddOrUpdate(sequence, 1, (_, n) => n + 1);
            // A rejected call is called again by the ingestor: only a timeout's UNAVAILABLE is the injected one.
            SalesEvent[] carried = fault == "reject" ? [] : context.Request.GetArgument(0) switch
            {
                SalesEvent[] events => events,
                SalesEvent one => [one],
                _ => [],
            };
            // After it applied, an event the grain itself answered UNAVAILABLE (a backlog behind it) was not applied:
            // its UNAVAILABLE is not the injected one, and the harness learns its fate by re-sending it.
            var answers = fault == "fail after" ? context.Result switch
            {
                Abstractions.EventOutcome[] many => many,
                Abstractions.EventOutcome one => [one],
                _ => null,
            } : null;
            for (var k = 0; k < carried.Length; k++)
            {
                if (answers is not null && k < answers.Length && answers[k].OutcomeCode == OutcomeCode.Unavailable)
                {
                    _counts.AddOrUpdate("fail after a call that answered UNAVAILABLE", 1, (_, n) => n + 1);
                    continue;
                }

                _failedEvents.GetOrAdd(sequence, _ => new())[(carried[k].GetType(), carried[k].EventId)] = true;
            }
        }
    }

    private static Exception Rejection(string message) =>
        // Its constructors are internal: Orleans alone raises it.
        (Exception)Activator.CreateInstance(
            typeof(OrleansMessageRejectionException),
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
            null,
            [message],
            CultureInfo.InvariantCulture)!;
}

/// <summary>A message made to fail, until its sender's retry succeeds.</summary>
internal sealed class Lag(string method, string target, long mark, DateTime failedAt, string kind = "")
{
    /// <summary>What made it fail, for failure messages.</summary>
    public string Kind => kind;

    public string Method => method;
    public string Target => target;
    public long Mark => mark;
    public DateTime FailedAt => failedAt;
    public DateTime? ResolvedAt { get; set; }
}

/// <summary>The Orleans filter that hands every incoming call to the silo's <see cref="CallFilterFaults"/>.</summary>
public sealed class CallFilterFaultsFilter(CallFilterFaults faults) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context) => faults.InvokeAsync(context);
}
