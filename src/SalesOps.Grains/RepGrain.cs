using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// A rep: applies rep events and opportunity credits, then sends counter deltas and score changes to regions and
/// contacts and payments to customers, through outboxes (in order, retried, never applied twice).
/// </summary>
public sealed class RepGrain(EngineSettings settings, IOptions<EngineOptions> options, EngineClock clock, ILogger<RepGrain> logger) : Grain, IRepGrain
{
    private readonly Inbox _credits = new();
    private readonly Outbox<Rollup> _rollups = new();
    private readonly RetryQueue<CustomerTouch> _customers = new();
    private RepState? _state;
    private IGrainTimer? _paceTimer;
    private Courier? _courier;

    /// <summary>Names this activation as a sender: a re-created activation numbers its messages from 1 again.</summary>
    private readonly string _sender = "rep#" + Guid.NewGuid().ToString("N");

    private RepState State => _state ??= new RepState(this.GetPrimaryKeyString());

    private Courier Courier => _courier ??= new Courier(
        this,
        State.Id,
        logger,
        () => Task.WhenAll(
            _rollups.DrainAsync((region, seq, rollup) => GrainFactory.GetGrain<IRegionGrain>(region).ApplyRollupAsync(_sender, seq, rollup)),
            _customers.DrainAsync((customer, touch) => touch.ApplyAsync(GrainFactory.GetGrain<ICustomerGrain>(customer)))),
        () => _rollups.HasPending || _customers.HasPending);

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
            JoinedOrLeave();
            return EventOutcome.From(outcome);
        }

        Enqueue(effects);
        switch (e)
        {
            case ActivityLogged { CustomerId.Length: > 0 } a:
                _customers.Enqueue(a.CustomerId, new CustomerTouch("", "", 0, a.OccurredAt));
                break;
            case PaymentReceived p:
                _customers.Enqueue(p.CustomerId, new CustomerTouch(p.RepId, p.EventId, p.Amount, null));
                break;
        }

        if (e is TargetSet)
        {
            _paceTimer ??= this.RegisterGrainTimer(
                _ => CheckPaceAsync(),
                new GrainTimerCreationOptions(options.Value.PaceCheckInterval, options.Value.PaceCheckInterval) { Interleave = false });
        }

        await Courier.DeliverAsync();
        if (e is TargetSet)
        {
            await CheckPaceAsync();
        }

        return EventOutcome.From(outcome);
    }

    public Task<bool> IsJoinedAsync() => Task.FromResult(JoinedOrLeave());

    public async Task CreditAsync(string sender, long sequence, Credit[] credits)
    {
        if (_credits.IsNew(sender, sequence))
        {
            var effects = new RepEffects();
            State.Credit(credits.Select(c => c.ToDomain()), settings.Calendar, effects);
            Enqueue(effects);
            _credits.Applied(sender, sequence);
        }

        await Courier.DeliverAsync();
    }

    public Task<RepSnapshot> GetSnapshotAsync()
    {
        JoinedOrLeave();
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
        return Delivery.PublishAlertsAsync(GrainFactory, alerts.Select(AlertRecord.From).ToArray(), logger);
    }

    /// <summary>A rep that never joined holds nothing: let its activation go instead of keeping it forever.</summary>
    private bool JoinedOrLeave()
    {
        if (!State.IsJoined)
        {
            DeactivateOnIdle();
        }

        return State.IsJoined;
    }

    /// <summary>One roll-up per region, carrying its counter delta and board changes in order.</summary>
    private void Enqueue(RepEffects effects)
    {
        if (effects.IsEmpty)
        {
            return;
        }

        foreach (var region in effects.RegionDeltas.Keys.Union(effects.Boards.Select(b => b.RegionId)))
        {
            var counters = effects.RegionDeltas.TryGetValue(region, out var d) ? Counter.From(d) : [];
            var boards = effects.Boards.Where(b => b.RegionId == region).Select(b => BoardChange.From(b.Update)).ToArray();
            _rollups.Enqueue(region, new Rollup(counters, boards));
        }
    }

    /// <summary>What a rep tells a customer: a payment (de-duplicated there by event id) or a contact (a maximum).</summary>
    private sealed record CustomerTouch(string RepId, string PaymentEventId, long Amount, DateTimeOffset? ContactAt)
    {
        public Task ApplyAsync(ICustomerGrain customer) =>
            ContactAt is { } at ? customer.ContactedAsync(at) : customer.AddPaymentAsync(RepId, PaymentEventId, Amount);
    }
}
