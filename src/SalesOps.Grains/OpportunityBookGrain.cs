using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>
/// A book of deals (ADR 0007): applies their events (last-writer-wins, per deal), journals the accepted ones, and
/// sends the change of each deal's contribution to its reps and its customer through outboxes — one lane per rep
/// book (ADR 0009) and per customer for the whole book — so a failed call is retried in order and never applied twice.
/// </summary>
public sealed class OpportunityBookGrain(
    EngineSettings settings,
    IOptions<EngineOptions> options,
    JournalFactory journals,
    GrainRefs refs,
    [PersistentState(StorageNames.OpportunityBookState, StorageNames.Snapshots)] IPersistentState<OpportunityBookGrainSnapshot> snapshot,
    ILogger<OpportunityBookGrain> logger) : Grain, IOpportunityBookGrain
{
    private readonly Dictionary<string, OpportunityState> _deals = new(StringComparer.Ordinal);
    /// <summary>The current amounts of the book's deals, summed: checked against <see cref="SumBound"/>.</summary>
    private long _amounts;
    /// <summary>Credits for the reps, one lane per rep book (keyed by its number); waiting messages go as one.</summary>
    private readonly Outbox<RepCredits[]> _credits = new(RepCredits.Merge);
    private readonly Outbox<DealOrder> _orders = new();
    private GrainJournal _journal = null!;
    private Courier _courier = null!;
    private SnapshotWriter<OpportunityBookGrainSnapshot, JournalEntry> _snapshots = null!;
    /// <summary>Departures the rep books reported (a departure is final, so it is kept; who is still here is asked each time).</summary>
    private readonly Dictionary<string, Departure> _departed = new(StringComparer.Ordinal);
    private static readonly OpportunityState NoDeal = new("", DedupWindow.Default);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _journal = journals.For(this, StreamKinds.OpportunityBook.Of(this.GetPrimaryKeyLong()));
        _courier = new Courier(
            this,
            _journal,
            logger,
            () => Task.WhenAll(
                _credits.DrainAsync((book, first, seq, credits) =>
                    refs.RepBook(long.Parse(book, System.Globalization.CultureInfo.InvariantCulture)).CreditAsync(_journal.SenderName, first, seq, credits)),
                _orders.DrainAsync((customer, _, seq, o) => refs.Customer(customer).SetOrderAsync(o.OpportunityId, _journal.SenderName, seq, o.Order))),
            () => _credits.HasPending || _orders.HasPending,
            () =>
            {
                _credits.Stop();
                _orders.Stop();
            });
        _snapshots = new SnapshotWriter<OpportunityBookGrainSnapshot, JournalEntry>(snapshot, _journal, options.Value.BookSnapshotEvery, Capture, logger);
        await _snapshots.RecoverAsync(
            cp =>
            {
                _deals.Clear();
                _amounts = 0;
                foreach (var deal in cp.Deals)
                {
                    var state = OpportunityState.FromSnapshot(deal, settings.Dedup);
                    _deals[state.Id] = state;
                    _amounts += state.Amount;
                }

                _credits.Import(cp.Credits);
                _orders.Import(cp.Orders);
            },
            entry => Apply(((EventAccepted)entry).Event, out _, out _),
            cancellationToken);
        _credits.MarkRecovered(); // a rep book may have some of them: they go one by one, never merged
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _courier.CloseAsync(cancellationToken);
        await _snapshots.SaveAsync();
    }

    private OpportunityBookGrainSnapshot Capture() => new()
    {
        Sequence = _journal.Sequence,
        Deals = _deals.Values.Select(d => d.ToSnapshot()).ToList(),
        Credits = _credits.Export(),
        Orders = _orders.Export(),
    };

    public async Task<EventOutcome[]> ApplyAsync(SalesEvent[] events)
    {
        _journal.EnsureUsable();
        var outcomes = new EventOutcome[events.Length];
        var entries = new List<JournalEntry>(events.Length);
        var celebrations = new List<AlertRecord>();
        var duplicate = false;
        await AskDeparturesAsync(events);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            Outcome outcome;
            OpportunityChange? change;
            OpportunityState? deal;
            try
            {
                outcome = (_deals.GetValueOrDefault(EventRouting.Target(e).Id) ?? NoDeal).RefuseForDepartedOwner(e, _departed.GetValueOrDefault) is { } refused
                    ? Refused(refused, out change, out deal)
                    : Apply(e, out change, out deal);
            }
            catch (Exception ex)
            {
                outcomes[i] = EventOutcome.From(Delivery.Fault(logger, _journal.Stream, e.EventId, ex));
                continue;
            }

            outcomes[i] = EventOutcome.From(outcome);
            if (change is null)
            {
                duplicate |= outcome.Code == OutcomeCode.Duplicate;
                continue;
            }

            // Numbered in apply order, and committed together: all of the call's entries or none.
            entries.Add(new EventAccepted(e));
            if (deal!.Celebration(change, settings.BigDealThreshold, settings.Calendar) is { } celebration)
            {
                celebrations.Add(AlertRecord.From(celebration));
            }
        }

        if (entries.Count == 0 && !duplicate)
        {
            return outcomes;
        }

        // A re-sent duplicate also nudges what a first delivery may have left queued before a crash.
        await _journal.WriteAllAsync(entries);
        await _courier.DeliverAsync();
        await _snapshots.MaybeSaveAsync();
        if (celebrations.Count > 0)
        {
            await Delivery.PublishAlertsAsync(refs, celebrations.ToArray(), logger);
        }

        return outcomes;
    }

    public Task RecoverAsync() => _courier.DeliverAsync();

    /// <summary>
    /// Learns whether the reps these events would give a deal or a win to have left, from their rep books, which decide
    /// it: asked on every such call (a leave may be accepted at any time) unless already known to have left.
    /// </summary>
    private async Task AskDeparturesAsync(SalesEvent[] events)
    {
        HashSet<long>? books = null;
        foreach (var e in events)
        {
            if ((_deals.GetValueOrDefault(EventRouting.Target(e).Id) ?? NoDeal).OwnerCredited(e) is { } owner && !_departed.ContainsKey(owner.RepId))
            {
                (books ??= new HashSet<long>()).Add(RepBooks.Of(owner.RepId));
            }
        }

        if (books is null)
        {
            return;
        }

        var answers = await Task.WhenAll(books.Select(b => RejectedCalls.CallAsync((refs, b), static s => s.refs.RepBook(s.b).GetDeparturesAsync())));
        foreach (var departures in answers)
        {
            foreach (var d in departures)
            {
                _departed[d.RepId] = d.ToDomain();
            }
        }
    }

    private static Outcome Refused(Outcome refused, out OpportunityChange? change, out OpportunityState? deal)
    {
        (change, deal) = (null, null);
        return refused;
    }

    public Task<OpenDeal[]> GetOpenDealsOfAsync(string[] repIds)
    {
        var reps = repIds.ToHashSet(StringComparer.Ordinal);
        return Task.FromResult(_deals.Values
            .Where(d => d.IsOpened && settings.Stages.IsOpen(d.StageIndex) && reps.Contains(d.OwnerRepId))
            .Select(d => new OpenDeal(d.Id, d.CustomerId, d.Amount, d.StageIndex, d.OwnerRepId))
            .ToArray());
    }

    public Task<OpportunitySnapshot> GetSnapshotAsync(string opportunityId)
    {
        var s = _deals.GetValueOrDefault(opportunityId) ?? new OpportunityState(opportunityId, settings.Dedup);
        return Task.FromResult(new OpportunitySnapshot(
            s.Id, s.IsOpened, s.OwnerRepId, s.CustomerId, s.Amount, s.ProductLine, s.Channel,
            s.ExpectedClose.DayNumber, s.StageIndex, s.OpenedAt, s.StageAt));
    }

    /// <summary>
    /// Applies an event to its deal and queues its effects; the same path serves live events and replay. Queuing
    /// before the commit is safe here because the book delivers inside the call, after the commit, and nothing else
    /// runs in the grain meanwhile (see <see cref="Courier"/>).
    /// </summary>
    private Outcome Apply(SalesEvent e, out OpportunityChange? change, out OpportunityState? deal)
    {
        var id = EventRouting.Target(e).Id;
        if (!_deals.TryGetValue(id, out deal))
        {
            deal = new OpportunityState(id, settings.Dedup); // kept only once an OpportunityOpened is accepted
        }

        // After de-duplication, like every entity rule: a re-sent event answers DUPLICATE even at the bound.
        if (deal.Recognise(e) == DedupVerdict.New && SumBound.CheckDeal(e, deal, _amounts, _deals.Count) is { } refused)
        {
            change = null;
            return refused;
        }

        var amountBefore = deal.Amount;
        var outcome = deal.Apply(e, settings.Stages, out change);
        if (change is null)
        {
            return outcome;
        }

        _amounts += deal.Amount - amountBefore;
        _deals[id] = deal;
        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            _credits.Enqueue(RepBookLane(repId), [new RepCredits(repId, items.Select(Credit.From).ToArray())]);
        }

        if (change.Before?.Order != change.After.Order)
        {
            _orders.Enqueue(deal.CustomerId, new DealOrder(id, change.After.Order is { } o ? new OrderRow(o.Amount, o.WonAt) : null));
        }

        return outcome;
    }

    /// <summary>The credit lane of each rep book: its number, as text once, not per credited deal.</summary>
    private static readonly string[] RepBookLanes =
        Enumerable.Range(0, RepBooks.Count).Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string RepBookLane(string repId) => RepBookLanes[RepBooks.Of(repId)];
}

/// <summary>A deal's order as its customer should count it (null: not won, or no longer).</summary>
[GenerateSerializer, Immutable, Alias("salesops.DealOrder")]
public sealed record DealOrder([property: Id(0)] string OpportunityId, [property: Id(1)] OrderRow? Order);
