using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>A rep: applies rep events and opportunity credits, then sends counter deltas and score changes to regions.</summary>
public sealed class RepGrain(EngineSettings settings, IOptions<EngineOptions> options, EngineClock clock) : Grain, IRepGrain
{
    private RepState? _state;
    private IGrainTimer? _paceTimer;

    private RepState State => _state ??= new RepState(this.GetPrimaryKeyString());

    public async Task<EventOutcome> ApplyAsync(EventEnvelope envelope)
    {
        var e = envelope.ToDomain();
        var effects = new RepEffects();
        var outcome = e switch
        {
            RepJoined j => State.Join(j),
            RepMoved m => State.Move(m, effects),
            ActivityLogged a => State.LogActivity(a, settings.Calendar, effects),
            PaymentReceived p => State.ReceivePayment(p, settings.Calendar, effects),
            TargetSet t => State.SetTarget(t, effects),
            _ => Outcome.Invalid("event", $"{e.GetType().Name} is not a rep event"),
        };
        if (!outcome.IsAccepted)
        {
            return EventOutcome.From(outcome);
        }

        var calls = new List<Task> { DispatchAsync(effects) };
        switch (e)
        {
            case ActivityLogged { CustomerId.Length: > 0 } a:
                calls.Add(GrainFactory.GetGrain<ICustomerGrain>(a.CustomerId).ContactedAsync(a.OccurredAt));
                break;
            case PaymentReceived p:
                calls.Add(GrainFactory.GetGrain<ICustomerGrain>(p.CustomerId).AddPaymentAsync(p.EventId, p.Amount));
                break;
            case TargetSet:
                EnsurePaceTimer();
                calls.Add(CheckPaceAsync());
                break;
        }

        await Task.WhenAll(calls);
        return EventOutcome.From(outcome);
    }

    public Task<bool> IsJoinedAsync() => Task.FromResult(State.IsJoined);

    public Task CreditAsync(Credit[] credits)
    {
        var effects = new RepEffects();
        State.Credit(credits.Select(c => c.ToDomain()), settings.Calendar, effects);
        return DispatchAsync(effects);
    }

    public Task<RepSnapshot> GetSnapshotAsync()
    {
        var s = State;
        return Task.FromResult(new RepSnapshot(
            s.Id, s.IsJoined, s.Name, s.RegionId, (byte)s.Role, (byte)s.Style, Counter.From(s.Figures()), TargetRow.From(s.Targets)));
    }

    public Task CheckPaceAsync()
    {
        if (!State.IsJoined || State.Targets.Count == 0)
        {
            return Task.CompletedTask;
        }

        var alerts = State.Pace.Check(State.Id, State.RegionId, false, State.Targets, State.Figures(), settings.Calendar, clock.Now);
        return alerts.Count == 0
            ? Task.CompletedTask
            : GrainFactory.GetGrain<IAlertLogGrain>(0).PublishAsync(alerts.Select(AlertRecord.From).ToArray());
    }

    /// <summary>One roll-up per region, carrying its counter delta and board changes in order.</summary>
    private Task DispatchAsync(RepEffects effects)
    {
        if (effects.IsEmpty)
        {
            return Task.CompletedTask;
        }

        var regions = effects.RegionDeltas.Keys.Union(effects.Boards.Select(b => b.RegionId)).ToList();
        var calls = new Task[regions.Count];
        for (var i = 0; i < regions.Count; i++)
        {
            var region = regions[i];
            var counters = effects.RegionDeltas.TryGetValue(region, out var d) ? Counter.From(d) : [];
            var boards = effects.Boards.Where(b => b.RegionId == region).Select(b => BoardChange.From(b.Update)).ToArray();
            calls[i] = GrainFactory.GetGrain<IRegionGrain>(region).ApplyRollupAsync(new Rollup(counters, boards));
        }

        return Task.WhenAll(calls);
    }

    private void EnsurePaceTimer()
    {
        _paceTimer ??= this.RegisterGrainTimer(
            _ => CheckPaceAsync(),
            new GrainTimerCreationOptions { DueTime = options.Value.PaceCheckInterval, Period = options.Value.PaceCheckInterval, Interleave = false });
    }
}
