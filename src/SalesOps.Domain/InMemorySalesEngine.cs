namespace SalesOps.Domain;

/// <summary>
/// The whole engine in one process, synchronously: the same aggregates and routing the grains use, without
/// Orleans. It is the reference composition for domain tests and documents the flow of one event:
/// validate → check references → apply at the target entity (de-duplicates) → credit reps → roll up regions →
/// update leaderboards → raise alerts.
/// </summary>
public sealed class InMemorySalesEngine
{
    private readonly Dictionary<string, RegionState> _regions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RepState> _reps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CustomerState> _customers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpportunityState> _opportunities = new(StringComparer.Ordinal);
    private readonly HashSet<(string RegionId, BoardKey Board)> _watched = new();
    private readonly DealActivities _join;
    private readonly Applier _applier;

    public InMemorySalesEngine(EngineSettings settings)
    {
        Settings = settings;
        _applier = new Applier(this);
        _join = new DealActivities();
        var root = new RegionState(RegionState.CompanyId, settings.Dedup);
        root.DefineRoot(settings.CompanyName);
        _regions[root.Id] = root;
    }

    /// <summary>
    /// An engine over existing aggregates, for example restored from snapshots. Maps keep the order given, which is the
    /// order the original engine enumerates them in when taken from its dictionaries.
    /// </summary>
    internal InMemorySalesEngine(
        EngineSettings settings,
        IEnumerable<RegionState> regions,
        IEnumerable<RepState> reps,
        IEnumerable<CustomerState> customers,
        IEnumerable<OpportunityState> opportunities,
        DealActivities? join = null)
    {
        Settings = settings;
        _applier = new Applier(this);
        _join = join ?? new DealActivities();
        foreach (var r in regions)
        {
            _regions.Add(r.Id, r);
        }

        foreach (var r in reps)
        {
            _reps.Add(r.Id, r);
        }

        foreach (var c in customers)
        {
            _customers.Add(c.Id, c);
        }

        foreach (var o in opportunities)
        {
            _opportunities.Add(o.Id, o);
        }

        if (!_regions.ContainsKey(RegionState.CompanyId))
        {
            throw new ArgumentException($"The company root region '{RegionState.CompanyId}' is missing.", nameof(regions));
        }
    }

    /// <summary>Sees every event's rep effects before they are routed (tests compare them between engines).</summary>
    internal Action<SalesEvent, RepEffects>? EffectsObserved { get; set; }

    public EngineSettings Settings { get; }
    public List<Alert> Alerts { get; } = new();
    public IReadOnlyDictionary<string, RegionState> Regions => _regions;
    public IReadOnlyDictionary<string, RepState> Reps => _reps;
    public IReadOnlyDictionary<string, CustomerState> Customers => _customers;
    public IReadOnlyDictionary<string, OpportunityState> Opportunities => _opportunities;

    /// <summary>The activities logged against deals, joined with them (ADR 0023).</summary>
    public DealActivities DealActivities => _join;

    /// <summary>
    /// Marks a leaderboard as watched, so overtakes on it raise alerts (its rank changes are tracked; each rep's best
    /// rank starts from where it stands now). Watching a board already watched changes nothing.
    /// </summary>
    public void Watch(string regionId, BoardKey board)
    {
        _watched.Add((regionId, board));
        if (_regions.TryGetValue(regionId, out var region))
        {
            region.Track(board, Settings.OvertakeDepth);
        }
    }

    /// <summary>Ends a leaderboard's watch: its reps' best ranks are dropped, so a later <see cref="Watch"/> starts them again.</summary>
    public void Unwatch(string regionId, BoardKey board)
    {
        _watched.Remove((regionId, board));
        if (_regions.TryGetValue(regionId, out var region))
        {
            region.Untrack(board);
        }
    }

    public Outcome Apply(SalesEvent e)
    {
        if (EventValidator.Validate(e, Settings.Stages) is { } invalid)
        {
            return invalid;
        }

        foreach (var r in EventRouting.References(e))
        {
            if (!Exists(r))
            {
                return EventRouting.Missing(r);
            }
        }

        var effects = new RepEffects();
        _applier.Effects = effects;
        var outcome = e.Accept(_applier);
        EffectsObserved?.Invoke(e, effects);
        Route(effects, e.OccurredAt);
        return outcome;
    }

    /// <summary>Where each event is applied in this engine; holds the effects of the event being applied.</summary>
    private sealed class Applier(InMemorySalesEngine engine) : ISalesEventVisitor<Outcome>
    {
        public RepEffects Effects { get; set; } = null!;

        public Outcome Visit(RegionDefined e)
        {
            var parent = string.IsNullOrEmpty(e.ParentRegionId) ? RegionState.CompanyId : e.ParentRegionId;
            return engine.Region(e.RegionId).Define(e, parent);
        }

        public Outcome Visit(RepJoined e) => engine.Rep(e.RepId).Join(e, engine.Settings.Calendar, Effects);

        public Outcome Visit(RepMoved e) => engine.Rep(e.RepId).Move(e, engine.Settings.Calendar, Effects);

        public Outcome Visit(RepLeft e) => engine.Rep(e.RepId).Leave(e, engine.Settings.Calendar, Effects);

        public Outcome Visit(CustomerRegistered e) => engine.Customer(e.CustomerId).Register(e);

        public Outcome Visit(CustomerKeyAccountChanged e)
        {
            var outcome = engine.Customer(e.CustomerId).ChangeKeyAccount(e, engine.Settings.Dedup, out var moves);
            engine.CreditAll(moves, Effects);
            return outcome;
        }

        public Outcome Visit(ActivityLogged e)
        {
            var outcome = engine.Rep(e.RepId).LogActivity(e, engine.Settings.Calendar, Effects);
            if (outcome.IsAccepted && e.CustomerId.Length > 0)
            {
                // The customer credits the activity's direction behind the rep's own counters, as the grains deliver it.
                var direction = engine._customers[e.CustomerId].LogActivity(e.RepId, e.OccurredAt, e.DurationMinutes);
                engine._reps[e.RepId].Credit(direction, engine.Settings.Calendar, Effects);
            }

            if (outcome.IsAccepted && e.OpportunityId.Length > 0)
            {
                // The deal's book joins the activity with the deal behind the rep's own counters, as the grains deliver it.
                var deal = engine._opportunities.TryGetValue(e.OpportunityId, out var d) ? DealView.Of(d, engine.Settings.Stages) : null;
                engine.CreditAll(engine._join.Log(e.OpportunityId, e.RepId, e.OccurredAt, e.DurationMinutes, deal), Effects);
            }

            return outcome;
        }

        public Outcome Visit(PaymentReceived e)
        {
            var outcome = engine.Rep(e.RepId).ReceivePayment(e, engine.Settings.Calendar, Effects);
            if (outcome.IsAccepted)
            {
                engine._customers[e.CustomerId].AddPayment(e.RepId, e.EventId, e.Amount);
            }

            return outcome;
        }

        public Outcome Visit(TargetSet e) => e.Scope == TargetScope.Rep
            ? engine.Rep(e.ScopeId).SetTarget(e, Effects)
            : engine._regions.TryGetValue(e.ScopeId, out var region)
                ? engine.SetRegionTarget(region, e)
                : Outcome.NotFound("scope_id", $"region '{e.ScopeId}' is not defined");

        public Outcome Visit(ForecastSubmitted e) => e.Scope == TargetScope.Rep
            ? engine.Rep(e.ScopeId).SubmitForecast(e, Effects)
            : engine._regions.TryGetValue(e.ScopeId, out var region)
                ? region.SubmitForecast(e)
                : Outcome.NotFound("scope_id", $"region '{e.ScopeId}' is not defined");

        public Outcome Visit(PlanningInputsRecorded e) => e.Scope == TargetScope.Rep
            ? engine.Rep(e.ScopeId).RecordPlanningInputs(e)
            : engine._regions.TryGetValue(e.ScopeId, out var region)
                ? region.RecordPlanningInputs(e)
                : Outcome.NotFound("scope_id", $"region '{e.ScopeId}' is not defined");

        public Outcome Visit(OpportunityOpened e) => engine.ApplyToOpportunity(e, Effects);

        public Outcome Visit(OpportunityStageChanged e) => engine.ApplyToOpportunity(e, Effects);

        public Outcome Visit(OpportunityAmountChanged e) => engine.ApplyToOpportunity(e, Effects);

        public Outcome Visit(OpportunityReassigned e) => engine.ApplyToOpportunity(e, Effects);

        public Outcome Visit(OpportunityWon e) => engine.ApplyToOpportunity(e, Effects);

        public Outcome Visit(OpportunityLost e) => engine.ApplyToOpportunity(e, Effects);
    }

    /// <summary>A region's own target; the change of its child-region sum goes to its parent only, not further up.</summary>
    private Outcome SetRegionTarget(RegionState region, TargetSet e)
    {
        var forParent = new FigureSet();
        var outcome = region.SetTarget(e, forParent);
        if (!forParent.IsEmpty)
        {
            _regions[region.ParentId].ApplyDelta(forParent);
        }

        return outcome;
    }

    private void CreditAll(List<(string RepId, CreditItem[] Items)> credits, RepEffects effects)
    {
        foreach (var (repId, items) in credits)
        {
            _reps[repId].Credit(items, Settings.Calendar, effects);
        }
    }

    private Outcome ApplyToOpportunity(SalesEvent e, RepEffects effects)
    {
        var target = EventRouting.Target(e);
        if (!_opportunities.TryGetValue(target.Id, out var opp))
        {
            if (e is not OpportunityOpened)
            {
                return Outcome.NotFound("opportunity_id", $"opportunity '{target.Id}' has not been opened");
            }

            opp = new OpportunityState(target.Id, Settings.Dedup);
            if (opp.RefuseForDepartedOwner(e, DepartureOf) is { } refusedOpening)
            {
                return refusedOpening;
            }

            _opportunities[target.Id] = opp;
        }
        else if (opp.RefuseForDepartedOwner(e, DepartureOf) is { } refused)
        {
            return refused;
        }

        var outcome = opp.Apply(e, Settings.Stages, out var change);
        if (change is null)
        {
            return outcome;
        }

        foreach (var (repId, items) in OpportunityState.Deltas(change))
        {
            _reps[repId].Credit(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items), Settings.Calendar, effects);
        }

        CreditAll(_join.DealChanged(opp.Id, DealView.Of(change.Before, opp.ProductLine), DealView.Of(change.After, opp.ProductLine)), effects);

        // The customer credits its first order's owner after the deal credited the booking, as the grains deliver it.
        foreach (var (repId, items) in _customers[opp.CustomerId].SetOrder(opp.Id, change.After.Order))
        {
            _reps[repId].Credit(items, Settings.Calendar, effects);
        }
        if (opp.Celebration(change, Settings.BigDealThreshold, Settings.Calendar) is { } celebration)
        {
            Alerts.Add(celebration);
        }

        return outcome;
    }

    /// <summary>Open deals whose owner has left the company (docs/semantics.md, "A rep leaves"), ordered by deal id.</summary>
    public IReadOnlyList<OpportunityState> OrphanedOpportunities() =>
        _opportunities.Values
            .Where(o => o.IsOpened && Settings.Stages.IsOpen(o.StageIndex) && DepartureOf(o.OwnerRepId) is not null)
            .OrderBy(o => o.Id, StringComparer.Ordinal)
            .ToList();

    /// <summary>Open deals for which any at-risk condition holds at <paramref name="now"/>, ordered by deal id.</summary>
    public IReadOnlyList<(OpportunityState Deal, DealRisk Risk)> AtRiskOpportunities(DateTimeOffset now)
    {
        var list = new List<(OpportunityState, DealRisk)>();
        var at = RiskInstant.Of(Settings.Calendar, now);
        foreach (var o in _opportunities.Values)
        {
            if (o.Risk(Settings.Stages, Settings.AtRisk, at) is { Conditions: not RiskConditions.None } risk)
            {
                list.Add((o, risk));
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Item1.Id, b.Item1.Id));
        return list;
    }

    /// <summary>Raises the at-risk alerts due at <paramref name="now"/>, in deal id order.</summary>
    public void CheckRisk(DateTimeOffset now)
    {
        var at = RiskInstant.Of(Settings.Calendar, now);
        foreach (var o in _opportunities.Values.OrderBy(o => o.Id, StringComparer.Ordinal))
        {
            if (o.RiskAlerts(Settings.Stages, Settings.AtRisk, at) is { } alerts)
            {
                Alerts.AddRange(alerts);
            }
        }
    }

    private Departure? DepartureOf(string repId) => _reps.GetValueOrDefault(repId)?.Left;

    /// <summary>Evaluates pace, activity plans and the same period last year for every rep and region at <paramref name="now"/>.</summary>
    public void CheckPace(DateTimeOffset now)
    {
        foreach (var rep in _reps.Values.Where(r => r.IsJoined && !r.HasLeft))
        {
            var figures = rep.Figures();
            Alerts.AddRange(rep.Pace.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, Settings.Calendar, now));
            Alerts.AddRange(rep.Plan.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, Settings, now));
            Alerts.AddRange(rep.LastYear.Check(rep.Id, rep.RegionId, false, rep.Historical, Settings.Calendar, now, Settings.BehindLastYearShare));
            Alerts.AddRange(rep.Coverage.Check(rep.Id, rep.RegionId, false, rep.Targets, figures, now));
        }

        foreach (var region in _regions.Values.Where(r => r.IsDefined))
        {
            Alerts.AddRange(region.Pace.Check(region.Id, region.Id, true, region.Targets, region.Figures, Settings.Calendar, now));
            Alerts.AddRange(region.Plan.Check(region.Id, region.Id, true, region.Targets, region.Figures, Settings, now));
            Alerts.AddRange(region.LastYear.Check(region.Id, region.Id, true, region.Figures, Settings.Calendar, now, Settings.BehindLastYearShare));
            Alerts.AddRange(region.Coverage.Check(region.Id, region.Id, true, region.Targets, region.Figures, now));
        }
    }

    /// <summary>
    /// Moves the engine's clock to <paramref name="now"/> for forecasts: every rep scores the periods with submissions
    /// that have ended by then, and the boards get the scores.
    /// </summary>
    public void CloseForecastPeriods(DateTimeOffset now)
    {
        foreach (var rep in _reps.Values.Where(r => r.IsJoined))
        {
            var effects = new RepEffects();
            rep.CloseForecastPeriods(now, Settings.Forecasts, effects);
            Route(effects, now);
        }
    }

    private void Route(RepEffects effects, DateTimeOffset now)
    {
        foreach (var (regionId, delta) in effects.RegionDeltas)
        {
            for (var r = _regions[regionId]; ; r = _regions[r.ParentId])
            {
                r.ApplyDelta(delta);
                if (r.ParentId.Length == 0)
                {
                    break;
                }
            }
        }

        foreach (var (regionId, update) in effects.Boards)
        {
            for (var r = _regions[regionId]; ; r = _regions[r.ParentId])
            {
                // Unwatched boards only stage the change (ranked when read); a watched one ranks it now, per update.
                foreach (var board in r.ApplyBoardUpdate(update) ?? [])
                {
                    if (_watched.Contains((r.Id, board)))
                    {
                        Alerts.AddRange(r.Overtakes(r.TakeRankChanges(board), now));
                    }
                }
                if (r.ParentId.Length == 0)
                {
                    break;
                }
            }
        }
    }

    private bool Exists(EntityRef r) => r.Kind switch
    {
        EntityKind.Region => _regions.TryGetValue(r.Id, out var g) && g.IsDefined,
        EntityKind.Rep => _reps.TryGetValue(r.Id, out var p) && p.IsJoined,
        EntityKind.Customer => _customers.TryGetValue(r.Id, out var c) && c.IsRegistered,
        _ => _opportunities.TryGetValue(r.Id, out var o) && o.IsOpened,
    };

    private RegionState Region(string id)
    {
        if (!_regions.TryGetValue(id, out var r))
        {
            _regions[id] = r = new RegionState(id, Settings.Dedup);
            foreach (var (regionId, board) in _watched)
            {
                if (regionId == id)
                {
                    r.Track(board, Settings.OvertakeDepth);
                }
            }
        }

        return r;
    }

    private RepState Rep(string id) => _reps.TryGetValue(id, out var r) ? r : _reps[id] = new RepState(id, Settings.Dedup);

    private CustomerState Customer(string id) => _customers.TryGetValue(id, out var c) ? c : _customers[id] = new CustomerState(id);
}
