using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// The one entry point for events (gRPC, demo, tests): validate, check references, apply at the target grain.
/// A batch is cut into waves of events that do not touch each other's entities; each wave runs concurrently and
/// waves run in order, so an event that depends on an earlier one in the batch sees it applied.
/// </summary>
public sealed partial class EventIngestor(IGrainFactory grains, EngineSettings settings, ILogger<EventIngestor> logger)
{
    public async Task<Outcome> IngestAsync(SalesEvent e)
    {
        if (EventValidator.Validate(e, settings.Stages) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var refs = EventRouting.References(e);
            if (refs.Count > 0)
            {
                var exists = await Task.WhenAll(refs.Select(ExistsAsync));
                for (var i = 0; i < refs.Count; i++)
                {
                    if (!exists[i])
                    {
                        return EventRouting.Missing(refs[i]);
                    }
                }
            }

            var result = await ApplyAsync(e, EventEnvelope.From(e));
            return new Outcome(result.OutcomeCode, result.Field, result.Message);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            return new Outcome(OutcomeCode.Unavailable, "", $"the engine could not process the event now ({ex.GetType().Name}); re-send it");
        }
        catch (Exception ex)
        {
            LogFault(logger, e.EventId, ex);
            return new Outcome(OutcomeCode.Internal, "", $"engine fault while processing the event ({ex.GetType().Name}); it has been logged");
        }
    }

    /// <summary>Failures of the cluster rather than of the event: worth a retry.</summary>
    public static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or ClientNotAvailableException
            or OperationCanceledException;

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine fault while processing event {EventId}")]
    private static partial void LogFault(ILogger logger, string eventId, Exception ex);

    public async Task<Outcome[]> IngestBatchAsync(IReadOnlyList<SalesEvent> events)
    {
        var results = new Outcome[events.Count];
        var wave = new List<int>();
        var targets = new HashSet<(EntityKind, string)>();
        var touched = new HashSet<(EntityKind, string)>();
        for (var i = 0; i < events.Count; i++)
        {
            // A move is checked against everything already credited to the rep, including credits that
            // opportunity events send it; so a move waits for all before it and goes before all after it.
            var barrier = events[i] is RepMoved || (i > 0 && events[i - 1] is RepMoved);
            if (wave.Count > 0 && (barrier || Conflicts(events[i], targets, touched)))
            {
                await RunWaveAsync(events, wave, results);
                wave.Clear();
                targets.Clear();
                touched.Clear();
            }

            wave.Add(i);
            Track(events[i], targets, touched);
        }

        await RunWaveAsync(events, wave, results);
        return results;
    }

    private async Task RunWaveAsync(IReadOnlyList<SalesEvent> events, List<int> wave, Outcome[] results)
    {
        var tasks = wave.Select(i => IngestAsync(events[i])).ToArray();
        var outcomes = await Task.WhenAll(tasks);
        for (var k = 0; k < wave.Count; k++)
        {
            results[wave[k]] = outcomes[k];
        }
    }

    private static bool Conflicts(SalesEvent e, HashSet<(EntityKind, string)> targets, HashSet<(EntityKind, string)> touched)
    {
        if (!TryTarget(e, out var t))
        {
            return false;
        }

        if (touched.Contains((t.Kind, t.Id)))
        {
            return true;
        }

        return EventRouting.References(e).Any(r => targets.Contains((r.Kind, r.Id)));
    }

    private static void Track(SalesEvent e, HashSet<(EntityKind, string)> targets, HashSet<(EntityKind, string)> touched)
    {
        if (!TryTarget(e, out var t))
        {
            return;
        }

        targets.Add((t.Kind, t.Id));
        touched.Add((t.Kind, t.Id));
        foreach (var r in EventRouting.References(e))
        {
            touched.Add((r.Kind, r.Id));
        }
    }

    private static bool TryTarget(SalesEvent e, out EntityRef target)
    {
        try
        {
            target = EventRouting.Target(e);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            target = default;
            return false;
        }
    }

    private Task<EventOutcome> ApplyAsync(SalesEvent e, EventEnvelope envelope) => e switch
    {
        RegionDefined r => grains.GetGrain<IRegionGrain>(r.RegionId).DefineAsync(envelope),
        TargetSet { Scope: TargetScope.Region } t => grains.GetGrain<IRegionGrain>(t.ScopeId).SetTargetAsync(envelope),
        CustomerRegistered c => grains.GetGrain<ICustomerGrain>(c.CustomerId).RegisterAsync(envelope),
        _ when EventRouting.Target(e) is { Kind: EntityKind.Rep } rep => grains.GetGrain<IRepGrain>(rep.Id).ApplyAsync(envelope),
        _ => grains.GetGrain<IOpportunityGrain>(EventRouting.Target(e).Id).ApplyAsync(envelope),
    };

    private Task<bool> ExistsAsync(EntityRef r) => r.Kind switch
    {
        EntityKind.Region => grains.GetGrain<IRegionGrain>(r.Id).IsDefinedAsync(),
        EntityKind.Rep => grains.GetGrain<IRepGrain>(r.Id).IsJoinedAsync(),
        EntityKind.Customer => grains.GetGrain<ICustomerGrain>(r.Id).IsRegisteredAsync(),
        _ => Task.FromResult(false),
    };
}
