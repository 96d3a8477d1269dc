using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// The one entry point for events (gRPC, demo, tests): validate, check references, apply at the target grain.
/// A batch runs in dependency waves (<see cref="PlanWaves"/>): each wave concurrently, waves in order, so an event
/// that depends on an earlier one in the batch sees it applied.
/// </summary>
public sealed partial class EventIngestor(GrainRefs grains, BookCalls books, KnownEntities known, EngineSettings settings, EngineClock clock, ILogger<EventIngestor> logger)
{
    private readonly SingleCall _single = new(grains);

    public async Task<Outcome> IngestAsync(SalesEvent e) => (await IngestBatchAsync([e]))[0];

    /// <summary>Failures of the cluster rather than of the event: worth a retry.</summary>
    /// <remarks>
    /// A journal that cannot commit (the database is down) is one of them: the event was not acknowledged, and the
    /// grain reloads from the journal before it takes the next one. So is a connection to a silo that has just died
    /// and is not yet declared dead (<c>ConnectionFailedException</c>; the silo-kill differential test met it).
    /// </remarks>
    public static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or ClientNotAvailableException
            or Orleans.Runtime.Messaging.ConnectionFailedException
            or OperationCanceledException or JournalUnavailableException or System.Data.Common.DbException
        || (ex.InnerException is { } inner && IsTransient(inner));

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine fault while processing event {EventId}")]
    private static partial void LogFault(ILogger logger, string eventId, Exception ex);

    public async Task<Outcome[]> IngestBatchAsync(IReadOnlyList<SalesEvent> events)
    {
        var results = new Outcome[events.Count];
        var routes = new Route[events.Count];
        for (var i = 0; i < routes.Length; i++)
        {
            routes[i] = Route.Of(events[i]);
        }

        var waves = new List<List<int>>();
        foreach (var (index, wave) in PlanWaves(events, routes))
        {
            while (waves.Count <= wave)
            {
                waves.Add(new List<int>());
            }

            waves[wave].Add(index);
        }

        foreach (var wave in waves)
        {
            await RunWaveAsync(events, routes, wave, results);
        }

        IngestMetrics.Count(results);
        return results;
    }

    /// <summary>
    /// One wave: every event validated and its references checked, then applied at its target — each opportunity
    /// book gets the wave's events of its deals in one call, each rep book the wave's events of its reps in one call,
    /// every other entity one call per event.
    /// </summary>
    private async Task RunWaveAsync(IReadOnlyList<SalesEvent> events, Route[] routes, List<int> wave, Outcome[] results)
    {
        // Most events name only entities already known to exist: those are checked here, without a task each.
        var ready = new List<int>(wave.Count);
        List<int>? lookups = null;
        var latest = clock.Now + settings.MaxFutureSkew;
        foreach (var i in wave)
        {
            if (EventValidator.Validate(events[i], settings.Stages, latest) is { } invalid)
            {
                results[i] = invalid;
            }
            else if (known.AllKnown(routes[i].References))
            {
                ready.Add(i);
            }
            else
            {
                (lookups ??= new List<int>()).Add(i);
            }
        }

        if (lookups is not null)
        {
            var checks = await Task.WhenAll(lookups.Select(i => Guard(CheckReferencesAsync(routes[i].References), events[i])));
            for (var k = 0; k < lookups.Count; k++)
            {
                if (checks[k] is { } rejected)
                {
                    results[lookups[k]] = rejected;
                }
                else
                {
                    ready.Add(lookups[k]);
                }
            }
        }

        // Each event's target once: deal and rep events grouped per book, every other event on its own.
        var calls = new List<Task>(ready.Count);
        var books = new Dictionary<(EntityKind Kind, long Book), List<int>>();
        foreach (var i in ready)
        {
            var target = routes[i].Target;
            if (target.Kind is EntityKind.Opportunity or EntityKind.Rep)
            {
                var book = (target.Kind, target.Kind == EntityKind.Opportunity ? OpportunityBooks.Of(target.Id) : RepBooks.Of(target.Id));
                if (!books.TryGetValue(book, out var members))
                {
                    members = new List<int>();
                    books[book] = members;
                }

                members.Add(i);
            }
            else
            {
                calls.Add(ApplyOneAsync(i, events[i], results));
            }
        }

        foreach (var (book, members) in books)
        {
            calls.Add(ApplyToBookAsync(book.Kind, book.Book, members, events, results));
        }

        await Task.WhenAll(calls);
    }

    /// <summary>Reference checks of a valid event: the rejection, or null when the event can be applied.</summary>
    private async Task<Outcome?> CheckReferencesAsync(IReadOnlyList<EntityRef> refs)
    {
        var exists = await Task.WhenAll(refs.Select(known.ExistsAsync));
        for (var i = 0; i < refs.Count; i++)
        {
            if (!exists[i])
            {
                return EventRouting.Missing(refs[i]);
            }
        }

        return null;
    }

    private async Task ApplyOneAsync(int index, SalesEvent e, Outcome[] results)
    {
        try
        {
            var outcome = await RejectedCalls.CallAsync(
                (_single, e), static s => s.e.Accept(s._single));
            results[index] = outcome.ToOutcome();
        }
        catch (Exception ex)
        {
            results[index] = Fault(ex, e);
        }
    }

    /// <summary>The wave's events of one opportunity book or one rep book in one call (they are of distinct entities, so they commute).</summary>
    private async Task ApplyToBookAsync(EntityKind kind, long book, List<int> members, IReadOnlyList<SalesEvent> events, Outcome[] results)
    {
        var batch = new SalesEvent[members.Count];
        for (var k = 0; k < batch.Length; k++)
        {
            batch[k] = events[members[k]];
        }

        try
        {
            var outcomes = await RejectedCalls.CallAsync((books, kind, book, batch), static s => s.books.ApplyAsync(s.kind, s.book, s.batch));
            for (var k = 0; k < members.Count; k++)
            {
                results[members[k]] = outcomes[k].ToOutcome();
            }
        }
        catch (Exception ex)
        {
            foreach (var i in members)
            {
                results[i] = Fault(ex, events[i]);
            }
        }
    }

    /// <summary>Runs an event's checks, turning a cluster failure or an engine fault into that event's outcome.</summary>
    private async Task<Outcome?> Guard(Task<Outcome?> step, SalesEvent e)
    {
        try
        {
            return await step;
        }
        catch (Exception ex)
        {
            return Fault(ex, e);
        }
    }

    private Outcome Fault(Exception ex, SalesEvent e)
    {
        if (IsTransient(ex))
        {
            return new Outcome(OutcomeCode.Unavailable, "", $"the engine could not process the event now ({ex.GetType().Name}); re-send it");
        }

        LogFault(logger, e.EventId, ex);
        return new Outcome(OutcomeCode.Internal, "", $"engine fault while processing the event ({ex.GetType().Name}); it has been logged");
    }

    /// <summary>
    /// Puts each event in the first wave after every earlier event it depends on: one that targets or references the
    /// entity it targets, or that targets an entity it references. Events in one wave touch disjoint entities, so
    /// they commute and run concurrently. Opportunity events credit their owner rep without naming it, so the three
    /// rep events that read what was credited or decide what may be credited — a move (checked against it), a rep
    /// target (whose pace check reads it) and a leave (a win of the rep's deal dated after it is refused) — are barriers: they wait for all before them, and all after them wait for them.
    /// </summary>
    private static IEnumerable<(int Index, int Wave)> PlanWaves(IReadOnlyList<SalesEvent> events, Route[] routes)
    {
        var afterTarget = new Dictionary<(EntityKind, string), int>();  // first free wave after events targeting x
        var afterTouch = new Dictionary<(EntityKind, string), int>();   // ... after events targeting or referencing x
        var floor = 0;
        var next = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var t = routes[i].Target;
            var refs = routes[i].References;
            var barrier = e is RepMoved or RepLeft or TargetSet { Scope: TargetScope.Rep };
            var wave = barrier ? Math.Max(floor, next) : floor;
            wave = Math.Max(wave, afterTouch.GetValueOrDefault((t.Kind, t.Id)));
            foreach (var r in refs)
            {
                wave = Math.Max(wave, afterTarget.GetValueOrDefault((r.Kind, r.Id)));
            }

            yield return (i, wave);
            next = Math.Max(next, wave + 1);
            if (barrier)
            {
                floor = wave + 1;
            }

            afterTarget[(t.Kind, t.Id)] = Math.Max(afterTarget.GetValueOrDefault((t.Kind, t.Id)), wave + 1);
            afterTouch[(t.Kind, t.Id)] = Math.Max(afterTouch.GetValueOrDefault((t.Kind, t.Id)), wave + 1);
            foreach (var r in refs)
            {
                afterTouch[(r.Kind, r.Id)] = Math.Max(afterTouch.GetValueOrDefault((r.Kind, r.Id)), wave + 1);
            }
        }
    }

    /// <summary>An event's target and references, worked out once per batch.</summary>
    private readonly record struct Route(EntityRef Target, IReadOnlyList<EntityRef> References)
    {
        public static Route Of(SalesEvent e) => new(EventRouting.Target(e), EventRouting.References(e));
    }

    /// <summary>
    /// The call that applies an event whose target is neither a deal nor a rep (those go to their book in one call per
    /// wave, <see cref="ApplyToBookAsync"/>): region and customer events, one call each.
    /// </summary>
    private sealed class SingleCall(GrainRefs grains) : ISalesEventVisitor<Task<EventOutcome>>
    {
        public Task<EventOutcome> Visit(RegionDefined e) => grains.Region(e.RegionId).DefineAsync(e);

        public Task<EventOutcome> Visit(TargetSet e) => grains.Region(e.ScopeId).SetTargetAsync(e); // a region target: rep targets go to the book

        public Task<EventOutcome> Visit(ForecastSubmitted e) => grains.Region(e.ScopeId).SubmitForecastAsync(e); // a region's: reps' go to the book

        public Task<EventOutcome> Visit(PlanningInputsRecorded e) => grains.Region(e.ScopeId).RecordPlanningInputsAsync(e); // a region's: reps' go to the book

        public Task<EventOutcome> Visit(CustomerRegistered e) => grains.Customer(e.CustomerId).RegisterAsync(e);

        public Task<EventOutcome> Visit(CustomerKeyAccountChanged e) => grains.Customer(e.CustomerId).ChangeKeyAccountAsync(e);

        public Task<EventOutcome> Visit(RepJoined e) => Book(e);

        public Task<EventOutcome> Visit(RepMoved e) => Book(e);

        public Task<EventOutcome> Visit(RepLeft e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityOpened e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityStageChanged e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityAmountChanged e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityReassigned e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityWon e) => Book(e);

        public Task<EventOutcome> Visit(OpportunityLost e) => Book(e);

        public Task<EventOutcome> Visit(ActivityLogged e) => Book(e);

        public Task<EventOutcome> Visit(PaymentReceived e) => Book(e);

        private static Task<EventOutcome> Book(SalesEvent e) =>
            throw new InvalidOperationException($"{e.GetType().Name} is applied by its book, not by a call of its own");
    }
}
