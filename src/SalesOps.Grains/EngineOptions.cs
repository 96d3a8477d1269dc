using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>Engine settings bound from configuration section <c>Engine</c>.</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";

    /// <summary>Company name shown for the root region.</summary>
    public string CompanyName { get; set; } = "Company";

    /// <summary>
    /// ISO 4217 code of the company currency (three capital letters). Every amount in and out of the engine is an
    /// integer of its minor units, and an event whose amount names another currency is refused (ADR 0013).
    /// </summary>
    public string CurrencyCode { get; set; } = "USD";

    /// <summary>IANA or Windows time-zone id that decides which month, quarter and year an event falls in.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>A won deal of at least this amount raises a celebration alert.</summary>
    public long BigDealThreshold { get; set; } = 100_000;

    /// <summary>
    /// A current period's bookings, collections, won count or new customers more than this share below the same period last year to
    /// date is flagged and alerted (0 to 1; 0.2 = more than 20% behind).
    /// </summary>
    public double BehindLastYearShare { get; set; } = 0.2;

    /// <summary>Overtakes are alerted for ranks this good or better on watched boards.</summary>
    public int OvertakeDepth { get; set; } = 10;

    /// <summary>How often a region passes its pending roll-up to its parent and pushes watched boards.</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often reps and regions with targets re-check pace as time passes.</summary>
    public TimeSpan PaceCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Days without stage movement after which an open deal is stalled (docs/semantics.md, "Deals that stall or slip"),
    /// for every stage not in <see cref="StallDaysByStage"/>.
    /// </summary>
    public int StallDays { get; set; } = AtRiskRules.Default.DefaultStallDays;

    /// <summary>Stall days of particular open stages, by stage id (<c>Engine:StallDaysByStage:quote_sent = 14</c>).</summary>
    public Dictionary<string, int> StallDaysByStage { get; set; } = new(StringComparer.Ordinal);

    /// <summary>An open deal pushed out (its expected close moved into a later month) more than this many times is slipping.</summary>
    public int PushLimit { get; set; } = AtRiskRules.Default.PushLimit;

    /// <summary>How often each deal book checks its open deals for the at-risk alerts as time passes.</summary>
    public TimeSpan AtRiskCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most stall days accepted (ten years: a longer one is a mistake).</summary>
    public const int MaxStallDays = 3_650;

    /// <summary>Most pushes the limit may allow.</summary>
    public const int MaxPushLimit = 1_000;

    /// <summary>
    /// Durable mode: a grain writes a snapshot of its state after this many journal entries (and when it is
    /// deactivated), and the entries the snapshot covers are dropped from the journal. Smaller means faster
    /// activation and a smaller journal, at the cost of more snapshot writes.
    /// </summary>
    public int SnapshotEvery { get; set; } = 2_000;

    /// <summary>
    /// The same for a book (ADR 0007, 0009), whose snapshot holds every rep or deal of the book: about 80 reps or
    /// 1,000 deals, so a snapshot costs that many times an entity's. At <see cref="SnapshotEvery"/> the rep books of
    /// the load test wrote a snapshot of all their reps every 2,000 events and spent 182 µs of server CPU per event
    /// instead of 159 (docs/perf.md). A book's replay of this many entries still averages a few hundred per entity.
    /// </summary>
    public int BookSnapshotEvery { get; set; } = 20_000;

    /// <summary>
    /// The most messages a grain may hold undelivered for other grains (roll-ups, credits, orders, touches; a merged
    /// message counts for each one it carries). A grain at the bound refuses new events with UNAVAILABLE and a retry
    /// delay, unapplied, and new messages (the sender keeps them and retries) until delivery catches up: back-pressure
    /// instead of an outbox that grows without end behind a destination that is down (docs/semantics.md, ADR 0015).
    /// </summary>
    public int MaxUndeliveredMessages { get; set; } = 100_000;

    /// <summary>
    /// How far ahead of the engine's clock an event's <c>occurred_at</c> may be; a later one is refused naming
    /// <c>occurred_at</c>. A few minutes covers clients' clock drift.
    /// </summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// De-duplication window, in days of the entity's own event time: each rep, deal and region's targets remember
    /// the ids of their events dated within this many days of their newest (docs/semantics.md, rule 3). An event with
    /// an id not remembered, dated at or before what was forgotten, is refused (FAILED_PRECONDITION, <c>occurred_at</c>).
    /// </summary>
    public int DedupWindowDays { get; set; } = (int)DedupWindow.Default.MaxAge.TotalDays;

    /// <summary>At most this many event ids per rep, deal or region's targets; beyond it the oldest-dated are forgotten.</summary>
    public int DedupWindowCount { get; set; } = DedupWindow.Default.MaxCount;

    /// <summary>Longest de-dup window accepted in days (a century: any longer is a mistake, and overflows date arithmetic sooner).</summary>
    public const int MaxDedupWindowDays = 36_500;

    /// <summary>Most ids per entity accepted (each costs about 100 bytes per rep, deal and region in memory and snapshots).</summary>
    public const int MaxDedupWindowCount = 1_000_000;

    /// <summary>
    /// Forecast cut-off, in days before a period's end (local midnight of its first day after, company time zone): the
    /// submission a period's accuracy is scored on is the last one dated before the cut-off; later ones are kept and
    /// listed but do not count (docs/semantics.md, "Forecast submissions and accuracy"). 0 = the period's end.
    /// </summary>
    public int ForecastCutoffDays { get; set; } = ForecastRules.DefaultCutoffDays;

    /// <summary>Alerts kept for watchers that resume.</summary>
    public int AlertRetention { get; set; } = 10_000;

    /// <summary>The planning funnel's defaults and working calendar (docs/semantics.md, "The planning funnel").</summary>
    public PlanningOptions Planning { get; set; } = new();

    /// <summary>Open stages in process order; empty = the default table from the seeds.</summary>
    public List<StageOption> Stages { get; set; } = new();

    public EngineSettings ToSettings()
    {
        var stages = Stages.Count == 0
            ? StageTable.Default
            : new StageTable(Stages.Select(s => new Stage(s.Id, s.Name ?? s.Id, s.Probability, s.Category)).ToList());
        return Settings(stages);
    }

    private AtRiskRules AtRisk(StageTable stages)
    {
        static int Days(int days, string key) => days is >= 1 and <= MaxStallDays
            ? days
            : throw new InvalidOperationException($"{key} must be a whole number of days from 1 to {MaxStallDays} (it is {days}).");
        var byStage = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (stage, days) in StallDaysByStage)
        {
            byStage[stage] = stages.TryIndexOf(stage, out var index) && stages.IsOpen(index)
                ? Days(days, $"Engine:StallDaysByStage:{stage}")
                : throw new InvalidOperationException(
                    $"Engine:StallDaysByStage names '{stage}', which is not an open stage of the stage table ({string.Join(", ", stages.Stages.Take(stages.OpenCount).Select(s => s.Id))}).");
        }

        return new AtRiskRules(
            Days(StallDays, "Engine:StallDays"),
            byStage,
            PushLimit is >= 0 and <= MaxPushLimit
                ? PushLimit
                : throw new InvalidOperationException($"Engine:PushLimit must be from 0 to {MaxPushLimit} (it is {PushLimit})."));
    }

    private EngineSettings Settings(StageTable stages) => new()
    {
        CompanyName = CompanyName,
        CurrencyCode = CurrencyCode.Length == 3 && CurrencyCode.All(char.IsAsciiLetterUpper)
            ? CurrencyCode
            : throw new InvalidOperationException($"Engine:CurrencyCode '{CurrencyCode}' is not an ISO 4217 code such as USD or EUR."),
        Calendar = Calendar(),
        BigDealThreshold = BigDealThreshold,
        OvertakeDepth = OvertakeDepth,
        BehindLastYearShare = BehindLastYearShare is >= 0 and <= 1
            ? BehindLastYearShare
            : throw new InvalidOperationException($"Engine:BehindLastYearShare must be a share from 0 to 1, such as 0.2 for 20% (it is {BehindLastYearShare})."),
        MaxFutureSkew = MaxFutureSkew >= TimeSpan.Zero
            ? MaxFutureSkew
            : throw new InvalidOperationException($"Engine:MaxFutureSkew must not be negative (it is {MaxFutureSkew})."),
        Dedup = Dedup(),
        Planning = Planning.ToSettings(),
        ForecastCutoffDays = ForecastCutoffDays is >= 0 and <= ForecastRules.MaxCutoffDays
            ? ForecastCutoffDays
            : throw new InvalidOperationException(
                $"Engine:ForecastCutoffDays must be a whole number of days from 0 to {ForecastRules.MaxCutoffDays} (it is {ForecastCutoffDays}); "
                + $"the default is {ForecastRules.DefaultCutoffDays}."),
        Stages = stages,
        AtRisk = AtRisk(stages),
    };

    private DedupWindow Dedup() =>
        DedupWindowDays is < 1 or > MaxDedupWindowDays
            ? throw new InvalidOperationException(
                $"Engine:DedupWindowDays must be a whole number of days from 1 to {MaxDedupWindowDays} (it is {DedupWindowDays}); "
                + $"the default is {(int)DedupWindow.Default.MaxAge.TotalDays}.")
            : DedupWindowCount is < 1 or > MaxDedupWindowCount
                ? throw new InvalidOperationException(
                    $"Engine:DedupWindowCount must be from 1 to {MaxDedupWindowCount} event ids per entity (it is {DedupWindowCount}); "
                    + $"the default is {DedupWindow.Default.MaxCount}.")
                : new DedupWindow(TimeSpan.FromDays(DedupWindowDays), DedupWindowCount);

    private CompanyCalendar Calendar()
    {
        try
        {
            return CompanyCalendar.FromId(TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new InvalidOperationException(
                $"Engine:TimeZone '{TimeZone}' is not a time zone this machine knows; use an IANA id such as Asia/Shanghai (needs tzdata) or UTC.", ex);
        }
    }
}

/// <summary>One configured open stage.</summary>
public sealed class StageOption
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public int Probability { get; set; }
    public ForecastCategory Category { get; set; }
}

/// <summary>Configuration <c>Engine:Planning</c>: the company defaults of the planning funnel and its working calendar.</summary>
public sealed class PlanningOptions
{
    private static readonly PlanningSettings Defaults = new();

    /// <summary>Average new-customer order (minor units) until a scope has its own.</summary>
    public long AverageOrder { get; set; } = Defaults.AverageOrder;

    public decimal ProposalsPerOrder { get; set; } = Defaults.ProposalsPerOrder;
    public decimal VisitsPerProposal { get; set; } = Defaults.VisitsPerProposal;
    public decimal CallsPerVisit { get; set; } = Defaults.CallsPerVisit;

    /// <summary>Own ratios once their denominator counted this many in the last twelve whole months.</summary>
    public int MinHistory { get; set; } = Defaults.MinHistory;

    /// <summary>Working weekdays (English names); empty = Monday to Friday.</summary>
    public List<DayOfWeek> WorkingDays { get; set; } = new();

    /// <summary>Days off that fall on working weekdays (yyyy-MM-dd).</summary>
    public List<DateOnly> Holidays { get; set; } = new();

    public int CallMinutes { get; set; } = Defaults.CallMinutes;
    public int VisitMinutes { get; set; } = Defaults.VisitMinutes;
    public int ProposalMinutes { get; set; } = Defaults.ProposalMinutes;
    public int MinutesPerDay { get; set; } = Defaults.MinutesPerDay;
    public double MaxLoad { get; set; } = Defaults.MaxLoad;

    public PlanningSettings ToSettings()
    {
        const string Ratio = "must be more than 0 and at most 1000";
        static T Check<T>(T value, bool ok, string name, string rule) =>
            ok ? value : throw new InvalidOperationException($"Engine:Planning:{name} {rule} (it is {value}).");

        return new PlanningSettings
        {
            AverageOrder = Check(AverageOrder, AverageOrder >= 1, nameof(AverageOrder), "must be at least 1 minor unit"),
            ProposalsPerOrder = Check(ProposalsPerOrder, ProposalsPerOrder is > 0 and <= PlanningSettings.MaxRatio, nameof(ProposalsPerOrder), Ratio),
            VisitsPerProposal = Check(VisitsPerProposal, VisitsPerProposal is > 0 and <= PlanningSettings.MaxRatio, nameof(VisitsPerProposal), Ratio),
            CallsPerVisit = Check(CallsPerVisit, CallsPerVisit is > 0 and <= PlanningSettings.MaxRatio, nameof(CallsPerVisit), Ratio),
            MinHistory = Check(MinHistory, MinHistory >= 1, nameof(MinHistory), "must be at least 1"),
            Calendar = WorkingDays.Count == 0 && Holidays.Count == 0
                ? WorkingCalendar.MondayToFriday
                : new WorkingCalendar(WorkingDays.Count == 0 ? WorkingCalendar.MondayToFriday.Weekdays : WorkingDays, Holidays),
            CallMinutes = Check(CallMinutes, CallMinutes >= 0, nameof(CallMinutes), "must not be negative"),
            VisitMinutes = Check(VisitMinutes, VisitMinutes >= 0, nameof(VisitMinutes), "must not be negative"),
            ProposalMinutes = Check(ProposalMinutes, ProposalMinutes >= 0, nameof(ProposalMinutes), "must not be negative"),
            MinutesPerDay = Check(MinutesPerDay, MinutesPerDay is >= 1 and <= 1440, nameof(MinutesPerDay), "must be from 1 to 1440"),
            MaxLoad = Check(MaxLoad, MaxLoad is > 0 and <= 1, nameof(MaxLoad), "must be a share above 0 and at most 1, such as 0.7"),
        };
    }
}
