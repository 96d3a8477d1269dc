using Google.Protobuf.WellKnownTypes;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// The simulated company: a run root region under the company, areas below it, leaf regions below those, reps in
/// the leaves, customers shared by all. Every id carries the run's tag, so runs against the same server never
/// collide. Everything is a pure function of the settings: the baselines rebuild the very same events.
/// </summary>
public sealed class Company
{
    public Company(WorkloadSettings settings)
    {
        Settings = settings;
        Tag = settings.Tag;
        RootRegion = Tag;
        var leaves = Math.Max(1, (settings.Reps + settings.RepsPerRegion - 1) / settings.RepsPerRegion);
        var areas = Math.Max(1, (leaves + settings.RegionFanout - 1) / settings.RegionFanout);
        Areas = Enumerable.Range(0, areas).Select(i => $"{Tag}a{i}").ToArray();
        Leaves = Enumerable.Range(0, leaves).Select(i => $"{Tag}l{i}").ToArray();
        LeafArea = Enumerable.Range(0, leaves).Select(i => i % areas).ToArray();
        RepIds = Enumerable.Range(0, settings.Reps).Select(i => $"{Tag}r{i}").ToArray();
        CustomerIds = Enumerable.Range(0, settings.Customers).Select(i => $"{Tag}c{i}").ToArray();
    }

    public WorkloadSettings Settings { get; }
    public string Tag { get; }
    public string RootRegion { get; }
    public string[] Areas { get; }
    public string[] Leaves { get; }

    /// <summary>The area index of each leaf.</summary>
    public int[] LeafArea { get; }
    public string[] RepIds { get; }
    public string[] CustomerIds { get; }

    /// <summary>
    /// The boards the run's screens watch, one per screen: mostly activity boards (the busiest, and the ones latency is
    /// measured on), every fourth a bookings board, spread over the run root, the areas and the leaves in turn (so a
    /// board repeats once there are more screens than regions).
    /// </summary>
    public IEnumerable<(string Region, bool Bookings)> ScreenBoards(int screens)
    {
        var scopes = new[] { RootRegion }.Concat(Areas).Concat(Leaves).ToArray();
        return Enumerable.Range(0, screens).Select(i => (scopes[i % scopes.Length], i % 4 == 3));
    }

    /// <summary>Every tenth customer is registered as a key account (docs/semantics.md, "Activity direction and quality").</summary>
    public static bool IsKeyAccount(int customer) => customer % 10 == 0;

    /// <summary>The index of a rep id of this run, or null for another run's rep.</summary>
    public int? RepIndex(string repId) =>
        repId.Length > Tag.Length + 1 && repId.StartsWith(Tag, StringComparison.Ordinal) && repId[Tag.Length] == 'r' &&
        int.TryParse(repId.AsSpan(Tag.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < RepIds.Length
            ? i
            : null;

    public int LeafOf(int rep) => rep / Settings.RepsPerRegion;

    public int AreaOf(int rep) => LeafArea[LeafOf(rep)];

    /// <summary>The stream (CRM connector) that owns a rep and all of its deals.</summary>
    public int StreamOf(int rep) => rep % Settings.Streams;

    /// <summary>The reps in a region's subtree (the run root, an area or a leaf).</summary>
    public bool InScope(string region, int rep) =>
        region == RootRegion || region == Areas[AreaOf(rep)] || region == Leaves[LeafOf(rep)];

    /// <summary>Regions, reps and customers: what must exist before any deal or activity.</summary>
    public IEnumerable<V1.Event[]> StructureBatches(EventClock clock)
    {
        var seq = 0;
        string Id() => $"{Tag}s{seq++}";

        var regions = new List<V1.Event>
        {
            new() { EventId = Id(), OccurredAt = clock.Next(), RegionDefined = new V1.RegionDefined { RegionId = RootRegion, Name = $"Load run {Tag}" } },
        };
        regions.AddRange(Areas.Select((a, i) => new V1.Event
        {
            EventId = Id(), OccurredAt = clock.Next(),
            RegionDefined = new V1.RegionDefined { RegionId = a, Name = $"Area {i}", ParentRegionId = RootRegion },
        }));
        regions.AddRange(Leaves.Select((l, i) => new V1.Event
        {
            EventId = Id(), OccurredAt = clock.Next(),
            RegionDefined = new V1.RegionDefined { RegionId = l, Name = $"Territory {i}", ParentRegionId = Areas[LeafArea[i]] },
        }));
        foreach (var chunk in regions.Chunk(MaxBatch))
        {
            yield return chunk;
        }

        var people = RepIds.Select((r, i) => new V1.Event
        {
            EventId = Id(), OccurredAt = clock.Next(),
            RepJoined = new V1.RepJoined
            {
                RepId = r, Name = $"Rep {i}", RegionId = Leaves[LeafOf(i)],
                Role = i % 5 == 0 ? V1.RepRole.Channel : V1.RepRole.Direct,
                Style = i % 3 == 0 ? V1.RepStyle.Farmer : V1.RepStyle.Hunter,
            },
        }).Concat(CustomerIds.Select((c, i) => new V1.Event
        {
            EventId = Id(), OccurredAt = clock.Next(),
            CustomerRegistered = new V1.CustomerRegistered { CustomerId = c, Name = $"Customer {i}", KeyAccount = IsKeyAccount(i) },
        }));
        foreach (var chunk in people.Chunk(MaxBatch))
        {
            yield return chunk;
        }
    }

    public const int MaxBatch = 5_000;
}

/// <summary>What the simulated company and its event stream look like.</summary>
public sealed record WorkloadSettings
{
    public required string Tag { get; init; }
    public int Seed { get; init; } = 42;
    public int Reps { get; init; } = 5_000;
    public int RepsPerRegion { get; init; } = 50;
    public int RegionFanout { get; init; } = 10;
    public int Customers { get; init; } = 20_000;

    /// <summary>Deals each rep opens before the measured phase.</summary>
    public int OpenPerRep { get; init; } = 4;
    public int Streams { get; init; } = 8;
    public int BatchSize { get; init; } = 500;

    /// <summary>Share of the measured phase's events that are new deals (the rest keeps the pipeline moving).</summary>
    public EventMix Mix { get; init; } = EventMix.Standard;
}

/// <summary>The measured phase's event mix, in parts per thousand.</summary>
public sealed record EventMix(int Activity, int Opened, int StageChanged, int AmountChanged, int Won, int Lost, int Payment, int Target, int Forecast, int Inputs = 0)
{
    /// <summary>
    /// A forecast submission is a rep's weekly call: 2 per thousand events, taken from activities; a planner's reference
    /// variables for next year's target (PlanningInputsRecorded) are rarer still, 1 per thousand.
    /// </summary>
    public static EventMix Standard { get; } = new(Activity: 557, Opened: 100, StageChanged: 150, AmountChanged: 30, Won: 60, Lost: 40, Payment: 59, Target: 1, Forecast: 2, Inputs: 1);

    public static EventMix OpensOnly { get; } = new(0, 1000, 0, 0, 0, 0, 0, 0, 0);

    public int Total => Activity + Opened + StageChanged + AmountChanged + Won + Lost + Payment + Target + Forecast + Inputs;

    public override string ToString() =>
        $"activities {Activity / 10.0}%, opened {Opened / 10.0}%, stage changes {StageChanged / 10.0}%, amount changes {AmountChanged / 10.0}%, " +
        $"won {Won / 10.0}%, lost {Lost / 10.0}%, payments {Payment / 10.0}%, targets {Target / 10.0}%, forecasts {Forecast / 10.0}%, planning inputs {Inputs / 10.0}%";
}

/// <summary>
/// Event timestamps: strictly increasing per stream, starting at the run's base time, one microsecond apart, so
/// last-writer-wins order within a deal is the order the stream sent it in and every run is reproducible.
/// </summary>
public sealed class EventClock(DateTime baseUtc, int stream)
{
    private long _ticks = baseUtc.Ticks + stream; // streams interleave, never collide

    public Timestamp Next()
    {
        _ticks += 10 * 64; // 64 µs apart per stream: 2^20 events span about a minute
        return new Timestamp { Seconds = (_ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond, Nanos = (int)((_ticks - DateTime.UnixEpoch.Ticks) % TimeSpan.TicksPerSecond * 100) };
    }

    /// <summary>
    /// A base time in the current month that leaves the run room before the month ends (figures are read for the
    /// base time's month).
    /// </summary>
    public static DateTime BaseFor(DateTime nowUtc)
    {
        var monthStart = new DateTime(nowUtc.Year, nowUtc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        return monthStart.AddMonths(1) - nowUtc < TimeSpan.FromHours(6) ? monthStart.AddHours(1) : nowUtc;
    }
}

/// <summary>What one accepted event changes in the figures the load test checks (see <see cref="Expected"/>).</summary>
/// <param name="Customer">A win's customer (index into <see cref="Company.CustomerIds"/>); -1 otherwise.</param>
/// <param name="WonAt">A win's <c>occurred_at</c> in ticks: unique across streams (<see cref="EventClock"/>).</param>
/// <param name="Inputs">Recorded planning inputs (<see cref="EffectKind.Inputs"/>); null otherwise.</param>
/// <param name="Margin">A win's gross margin (amount − cost), or null for a deal without a cost.</param>
/// <param name="Software">A win of a deal of the "software" product line.</param>
/// <param name="InMonth">A deal event of a deal expected to close in the run's month (its pipeline over time is checked).</param>
/// <param name="ProductLine">An activity logged against a deal: the deal's product line (ADR 0023).</param>
/// <param name="Load">A close: the activities logged against the deal before it (every one is, stream clocks only go forward).</param>
public readonly record struct Effect(
    EffectKind Kind, int Rep, long Amount, long OpenAmountDelta, int Customer = -1, long WonAt = 0, RecordedInputs? Inputs = null, long? Margin = null,
    bool Software = false, bool InMonth = false, string? ProductLine = null, int Load = 0);

/// <summary>A rep's reference variables for next year's bookings target, as the load test records them.</summary>
public sealed record RecordedInputs(long LastYear, long Plan, int GrowthBasisPoints, long NewPoints)
{
    /// <summary>The target they suggest (docs/semantics.md, "Suggested target"), computed here on its own.</summary>
    public long Suggested => Math.Max((long)Math.Floor(LastYear * (10_000m + GrowthBasisPoints) / 10_000m), Plan) + NewPoints;
}

public enum EffectKind : byte
{
    None,
    Activity,
    Opened,
    AmountChanged,
    Won,
    Lost,
    Payment,
    Forecast,

    /// <summary>A rep's bookings target for the run's month (its must-achieve).</summary>
    Target,

    /// <summary>A rep's reference variables for next year's bookings target.</summary>
    Inputs,

    /// <summary>A rep's month target for bookings of the "software" product line (a target by dimension).</summary>
    SoftwareTarget,
}

/// <summary>
/// One CRM connector's event stream: the reps it owns, their open deals, and a deterministic mix of events. The
/// generator assumes every event it made is accepted (as it is, against a correct server); the effects it returns
/// let the caller count only what the server acknowledged.
/// </summary>
public sealed class StreamWorkload
{
    private readonly Company _company;
    private readonly int _stream;
    private readonly Random _random;
    private readonly int[] _reps;
    private readonly List<OpenDeal> _open = new();
    private readonly EventClock _clock;
    private readonly EventMix _mix;
    private long _seq;
    private long _deals;
    private readonly string _period;
    private readonly DateTime _base;
    private static readonly string[] OpenStages = ["lead", "needs_research", "quote_sent", "contract_negotiation", "first_review_passed", "signing_steps_agreed"];
    private static readonly string[] LossReasons = ["price", "competitor", "no decision", "timing"];

    public StreamWorkload(Company company, int stream, DateTime baseUtc, EventMix mix)
    {
        _company = company;
        _stream = stream;
        _random = new Random(unchecked((company.Settings.Seed * 7919) + stream)); // HashCode.Combine differs per process
        _reps = Enumerable.Range(0, company.Settings.Reps).Where(r => company.StreamOf(r) == stream).ToArray();
        _clock = new EventClock(baseUtc, stream);
        _mix = mix;
        _period = $"{baseUtc:yyyy-MM}";
        _base = baseUtc;
    }

    public int OwnedReps => _reps.Length;

    /// <summary>Every owned rep's bookings target for the run's month, then its first deals.</summary>
    public IEnumerable<(V1.Event[] Events, Effect[] Effects)> SetupBatches()
    {
        var batch = new List<(V1.Event, Effect)>();
        foreach (var rep in _reps)
        {
            batch.Add(Target(rep));
            batch.Add(SoftwareTarget(rep));
        }

        // The run root's own target for the month, so that its reps' targets are shown against it (target_coverage).
        if (_stream == 0)
        {
            var root = NewEvent();
            var must = 100_000L * 10 * _company.RepIds.Length;
            root.TargetSet = new V1.TargetSet
            {
                Scope = V1.TargetScope.Region, ScopeId = _company.RootRegion, Period = _period, Metric = V1.TargetMetric.Bookings, MustAchieve = must, Stretch = must,
            };
            batch.Add((root, new Effect(EffectKind.None, 0, 0, 0)));
        }

        foreach (var rep in _reps)
        {
            for (var i = 0; i < _company.Settings.OpenPerRep; i++)
            {
                batch.Add(Open(rep));
            }
        }

        foreach (var chunk in batch.Chunk(_company.Settings.BatchSize))
        {
            yield return (chunk.Select(c => c.Item1).ToArray(), chunk.Select(c => c.Item2).ToArray());
        }
    }

    /// <summary>The next batch of the measured phase.</summary>
    public (V1.Event[] Events, Effect[] Effects) NextBatch(int size)
    {
        var events = new V1.Event[size];
        var effects = new Effect[size];
        for (var i = 0; i < size; i++)
        {
            (events[i], effects[i]) = Next();
        }

        return (events, effects);
    }

    private (V1.Event, Effect) Next()
    {
        if (_reps.Length == 0)
        {
            throw new InvalidOperationException($"stream {_stream} owns no reps: use fewer streams than reps");
        }

        var roll = _random.Next(_mix.Total);
        if ((roll -= _mix.Activity) < 0)
        {
            return Activity();
        }

        if ((roll -= _mix.Opened) < 0 || _open.Count == 0)
        {
            return Open(_reps[_random.Next(_reps.Length)]);
        }

        if ((roll -= _mix.StageChanged) < 0)
        {
            return StageChange();
        }

        if ((roll -= _mix.AmountChanged) < 0)
        {
            return AmountChange();
        }

        if ((roll -= _mix.Won) < 0)
        {
            return Close(won: true);
        }

        if ((roll -= _mix.Lost) < 0)
        {
            return Close(won: false);
        }

        if ((roll -= _mix.Payment) < 0)
        {
            return Payment();
        }

        if ((roll -= _mix.Target) < 0)
        {
            return Target(_reps[_random.Next(_reps.Length)]);
        }

        if ((roll -= _mix.Inputs) < 0)
        {
            return Inputs();
        }

        return Forecast();
    }

    private V1.Event NewEvent() => new() { EventId = $"{_company.Tag}e{_stream}.{_seq++}", OccurredAt = _clock.Next() };

    private string Customer() => _company.CustomerIds[_random.Next(_company.CustomerIds.Length)];

    private (V1.Event, Effect) Activity()
    {
        var rep = _reps[_random.Next(_reps.Length)];
        var e = NewEvent();
        var customer = _random.Next(2) == 0 ? _random.Next(_company.CustomerIds.Length) : -1;
        var minutes = 5 + _random.Next(120);
        e.ActivityLogged = new V1.ActivityLogged
        {
            RepId = _company.RepIds[rep],
            CustomerId = customer < 0 ? "" : _company.CustomerIds[customer],
            Type = (V1.ActivityType)(1 + _random.Next(5)),
            DurationMinutes = minutes,
            TimeCategory = (V1.TimeCategory)(1 + _random.Next(5)),
        };

        // One activity in three is logged against an open deal of the stream (by any of its reps): it counts for the
        // deal's product line and in the deal's activity load when it closes (ADR 0023).
        if (_open.Count > 0 && _random.Next(3) == 0)
        {
            var deal = _open[_random.Next(_open.Count)];
            e.ActivityLogged.OpportunityId = deal.Id;
            deal.Activities++;
            return (e, new Effect(EffectKind.Activity, rep, minutes, 0, Customer: customer, ProductLine: deal.ProductLine));
        }

        return (e, new Effect(EffectKind.Activity, rep, minutes, 0, Customer: customer));
    }

    private (V1.Event, Effect) Open(int rep)
    {
        var amount = 1_000L * (1 + _random.Next(150));
        var deal = new OpenDeal($"{_company.Tag}o{_stream}.{_deals++}", rep, amount, _random.Next(2))
        {
            // Three deals in four carry a cost from the start (gross margin = amount − cost).
            Cost = _random.Next(4) == 0 ? null : amount * (40 + _random.Next(50)) / 100,
        };
        _open.Add(deal);
        var e = NewEvent();
        var close = _base.AddDays(_random.Next(120));
        deal.InMonth = close.Year == _base.Year && close.Month == _base.Month;
        e.OpportunityOpened = new V1.OpportunityOpened
        {
            OpportunityId = deal.Id,
            OwnerRepId = _company.RepIds[rep],
            CustomerId = _company.CustomerIds[deal.Customer = _random.Next(_company.CustomerIds.Length)],
            Amount = Money(amount),
            ProductLine = deal.ProductLine = (_random.Next(3)) switch { 0 => "software", 1 => "services", _ => "hardware" },
            Cost = deal.Cost is { } cost ? Money(cost) : null,
            Channel = _random.Next(4) == 0 ? "partner" : "direct",
            ExpectedClose = new Google.Type.Date { Year = close.Year, Month = close.Month, Day = close.Day },
            StageId = OpenStages[deal.Stage],
        };
        return (e, new Effect(EffectKind.Opened, rep, amount, amount, InMonth: deal.InMonth));
    }

    private (V1.Event, Effect) StageChange()
    {
        var deal = _open[_random.Next(_open.Count)];
        deal.Stage = deal.Stage + 1 < OpenStages.Length ? deal.Stage + 1 : deal.Stage - 1;
        var e = NewEvent();
        e.OpportunityStageChanged = new V1.OpportunityStageChanged { OpportunityId = deal.Id, StageId = OpenStages[deal.Stage] };
        return (e, new Effect(EffectKind.None, deal.Rep, 0, 0));
    }

    private (V1.Event, Effect) AmountChange()
    {
        var deal = _open[_random.Next(_open.Count)];
        var amount = Math.Max(1_000, deal.Amount + (1_000L * (_random.Next(21) - 10)));
        var delta = amount - deal.Amount;
        deal.Amount = amount;
        var e = NewEvent();
        e.OpportunityAmountChanged = new V1.OpportunityAmountChanged { OpportunityId = deal.Id, Amount = Money(amount) };
        if (_random.Next(4) == 0)
        {
            deal.Cost = amount * 6 / 10; // a new cost with the new amount
            e.OpportunityAmountChanged.Cost = Money(deal.Cost.Value);
        }

        return (e, new Effect(EffectKind.AmountChanged, deal.Rep, amount, delta, InMonth: deal.InMonth));
    }

    private (V1.Event, Effect) Close(bool won)
    {
        var index = _random.Next(_open.Count);
        var deal = _open[index];
        _open[index] = _open[^1];
        _open.RemoveAt(_open.Count - 1);
        var e = NewEvent();
        if (won)
        {
            // A win without an amount keeps the deal's amount; half the wins say it explicitly.
            e.OpportunityWon = new V1.OpportunityWon { OpportunityId = deal.Id, Amount = _random.Next(2) == 0 ? null : Money(deal.Amount) };
            if (deal.Cost is null && _random.Next(3) == 0)
            {
                deal.Cost = deal.Amount / 2; // the cost first known at the win
                e.OpportunityWon.Cost = Money(deal.Cost.Value);
            }

            return (e, new Effect(
                EffectKind.Won, deal.Rep, deal.Amount, -deal.Amount, deal.Customer, e.OccurredAt.ToDateTime().Ticks, Margin: deal.Amount - deal.Cost, Software: deal.ProductLine == "software", InMonth: deal.InMonth,
                Load: deal.Activities));
        }

        e.OpportunityLost = new V1.OpportunityLost { OpportunityId = deal.Id, Reason = LossReasons[_random.Next(LossReasons.Length)] };
        return (e, new Effect(EffectKind.Lost, deal.Rep, deal.Amount, -deal.Amount, InMonth: deal.InMonth, Load: deal.Activities));
    }

    private (V1.Event, Effect) Payment()
    {
        var rep = _reps[_random.Next(_reps.Length)];
        var amount = 100L * (1 + _random.Next(500));
        var e = NewEvent();
        e.PaymentReceived = new V1.PaymentReceived { RepId = _company.RepIds[rep], CustomerId = Customer(), Amount = Money(amount) };
        return (e, new Effect(EffectKind.Payment, rep, amount, 0));
    }

    /// <summary>
    /// An amount in the company currency. The server's default (Engine:CurrencyCode) is USD and bench.sh starts it
    /// with that; a server configured otherwise refuses these events naming amount.currency_code.
    /// </summary>
    private static V1.Money Money(long minorUnits) => new() { CurrencyCode = "USD", MinorUnits = minorUnits };

    private (V1.Event, Effect) Target(int rep)
    {
        var must = 100_000L * (5 + _random.Next(20));
        var e = NewEvent();
        e.TargetSet = new V1.TargetSet
        {
            Scope = V1.TargetScope.Rep, ScopeId = _company.RepIds[rep], Period = _period,
            Metric = V1.TargetMetric.Bookings, MustAchieve = must, Stretch = must * 5 / 4,
        };
        return (e, new Effect(EffectKind.Target, rep, must, 0));
    }

    /// <summary>A rep's bookings target for the "software" product line in the run's month (a target by dimension).</summary>
    private (V1.Event, Effect) SoftwareTarget(int rep)
    {
        var must = 50_000L * (5 + _random.Next(20));
        var e = NewEvent();
        e.TargetSet = new V1.TargetSet
        {
            Scope = V1.TargetScope.Rep, ScopeId = _company.RepIds[rep], Period = _period,
            Metric = V1.TargetMetric.Bookings, MustAchieve = must, Stretch = must,
            Dimension = new V1.TargetDimension { Kind = V1.TargetDimensionKind.ProductLine, Value = "software" },
        };
        return (e, new Effect(EffectKind.SoftwareTarget, rep, 0, 0));
    }

    /// <summary>A rep's reference variables for next year's bookings target; the latest acknowledged is the one shown.</summary>
    private (V1.Event, Effect) Inputs()
    {
        var rep = _reps[_random.Next(_reps.Length)];
        var inputs = new RecordedInputs(100_000L * _random.Next(0, 200), 100_000L * _random.Next(0, 200), _random.Next(-2_000, 3_000), 10_000L * _random.Next(0, 100));
        var e = NewEvent();
        e.PlanningInputsRecorded = new V1.PlanningInputsRecorded
        {
            Scope = V1.TargetScope.Rep, ScopeId = _company.RepIds[rep], Year = NextYear, Metric = V1.TargetMetric.Bookings,
            LastYearActual = inputs.LastYear, LongTermPlan = inputs.Plan, IndustryGrowthBp = inputs.GrowthBasisPoints, NewGrowthPoints = inputs.NewPoints,
        };
        return (e, new Effect(EffectKind.Inputs, rep, 0, 0, Inputs: inputs));
    }

    /// <summary>The year after the run's month: what the planning inputs are recorded for.</summary>
    public string NextYear => $"{_base.Year + 1:D4}";

    /// <summary>
    /// A rep's forecast call for the run's month. A stream's events are dated in the order it sends them and a rep
    /// belongs to one stream, so the last one acknowledged is the latest the server must show.
    /// </summary>
    private (V1.Event, Effect) Forecast()
    {
        var rep = _reps[_random.Next(_reps.Length)];
        var commit = 10_000L * _random.Next(0, 100);
        var e = NewEvent();
        e.ForecastSubmitted = new V1.ForecastSubmitted
        {
            Scope = V1.TargetScope.Rep, ScopeId = _company.RepIds[rep], Period = _period,
            Commit = Money(commit), BestCase = Money(commit + (10_000L * _random.Next(0, 50))), SubmittedBy = _company.RepIds[rep],
        };
        return (e, new Effect(EffectKind.Forecast, rep, commit, 0));
    }

    private sealed class OpenDeal(string id, int rep, long amount, int stage)
    {
        public string Id { get; } = id;
        public int Rep { get; } = rep;
        public long Amount { get; set; } = amount;
        public int Stage { get; set; } = stage;

        /// <summary>The customer's index in <see cref="Company.CustomerIds"/>.</summary>
        public int Customer { get; set; }

        public string ProductLine { get; set; } = "";

        /// <summary>The deal's cost as last sent, or null while none was.</summary>
        public long? Cost { get; set; }

        /// <summary>Expected to close in the run's month (the expected close is never changed here).</summary>
        public bool InMonth { get; set; }

        /// <summary>Activities logged against the deal so far.</summary>
        public int Activities { get; set; }
    }
}
