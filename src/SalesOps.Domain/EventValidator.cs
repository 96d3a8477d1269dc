namespace SalesOps.Domain;

/// <summary>
/// Field-level checks that need no state. Field names are the protobuf field names, so a client can find them.
/// </summary>
public static class EventValidator
{
    public const int MaxIdLength = 128;

    /// <summary>
    /// The largest amount one event may carry (a deal's amount, a payment, a target). With the engine's sum bound
    /// (docs/semantics.md, "Limits") it keeps every figure far from the 64-bit range.
    /// </summary>
    public const long MaxAmount = 1_000_000_000_000_000;

    /// <summary>Earliest and latest year of any date or instant an event carries (the calendar's range).</summary>
    public const int MinYear = 1900, MaxYear = 9000;

    /// <summary>Returns null when the event is well-formed, otherwise the first problem.</summary>
    /// <param name="latestOccurredAt">
    /// The latest <c>occurred_at</c> accepted: the engine's clock plus its allowed skew. An event dated later would
    /// win every last-writer-wins register of its deal and block its rep's moves until that time; null = no check.
    /// </param>
    public static Outcome? Validate(SalesEvent e, StageTable stages, DateTimeOffset? latestOccurredAt = null)
    {
        if (Id(e.EventId, "event_id") is { } bad)
        {
            return bad;
        }

        if (e.OccurredAt == default)
        {
            return Outcome.Invalid("occurred_at", "occurred_at is required");
        }

        if (e.OccurredAt.UtcDateTime.Year is < MinYear or > MaxYear)
        {
            return Outcome.Invalid("occurred_at", $"occurred_at {Instant(e.OccurredAt)} is outside the years {MinYear} to {MaxYear}");
        }

        if (e.OccurredAt > latestOccurredAt)
        {
            return Outcome.Invalid(
                "occurred_at",
                $"occurred_at {Instant(e.OccurredAt)} is in the future: the engine accepts events dated up to {Instant(latestOccurredAt.Value)} (its clock plus Engine:MaxFutureSkew)");
        }

        return e.Accept(Checks.For(stages));
    }

    /// <summary>The checks of each event type; one instance per stage table in use.</summary>
    private sealed class Checks(StageTable stages) : ISalesEventVisitor<Outcome?>
    {
        private static Checks? _last;

        public static Checks For(StageTable stages) =>
            _last is { } last && ReferenceEquals(last._stages, stages) ? last : _last = new Checks(stages);

        private readonly StageTable _stages = stages;

        public Outcome? Visit(RegionDefined r) => Id(r.RegionId, "region_id") ?? Text(r.Name, "name")
            ?? (r.RegionId == r.ParentRegionId ? Outcome.Invalid("parent_region_id", "a region cannot be its own parent") : null)
            ?? (r.ParentRegionId.Length > MaxIdLength ? Outcome.Invalid("parent_region_id", $"parent_region_id is longer than {MaxIdLength}") : null);

        public Outcome? Visit(RepJoined r) => Id(r.RepId, "rep_id") ?? Text(r.Name, "name") ?? Id(r.RegionId, "region_id")
            ?? Enum(r.Role, "role") ?? Enum(r.Style, "style") ?? PhotoUrl(r.PhotoUrl, "photo_url");

        public Outcome? Visit(RepMoved r) => Id(r.RepId, "rep_id") ?? Id(r.RegionId, "region_id");

        public Outcome? Visit(RepLeft r) => Id(r.RepId, "rep_id")
            ?? (r.Reason?.Length > 256 ? Outcome.Invalid("reason", "reason is longer than 256 characters") : null);

        public Outcome? Visit(CustomerRegistered c) => Id(c.CustomerId, "customer_id") ?? Text(c.Name, "name");

        public Outcome? Visit(CustomerKeyAccountChanged c) => Id(c.CustomerId, "customer_id");

        public Outcome? Visit(OpportunityOpened o) => Id(o.OpportunityId, "opportunity_id") ?? Id(o.OwnerRepId, "owner_rep_id")
            ?? Id(o.CustomerId, "customer_id") ?? Amount(o.Amount, "amount", allowZero: false)
            ?? Date(o.ExpectedClose, "expected_close") ?? OpenStage(o.StageId, _stages)
            ?? Longest(o.ProductLine, "product_line") ?? Longest(o.Channel, "channel") ?? Cost(o.Cost);

        public Outcome? Visit(OpportunityStageChanged s) => Id(s.OpportunityId, "opportunity_id") ?? OpenStage(s.StageId, _stages)
            ?? (s.ExpectedClose is { } d ? Date(d, "expected_close") : null);

        public Outcome? Visit(OpportunityAmountChanged a) => Id(a.OpportunityId, "opportunity_id") ?? Amount(a.Amount, "amount", allowZero: false) ?? Cost(a.Cost);

        public Outcome? Visit(OpportunityReassigned r) => Id(r.OpportunityId, "opportunity_id") ?? Id(r.NewOwnerRepId, "new_owner_rep_id");

        public Outcome? Visit(OpportunityWon w) => Id(w.OpportunityId, "opportunity_id") ?? Amount(w.Amount, "amount", allowZero: true) ?? Cost(w.Cost);

        public Outcome? Visit(OpportunityLost l) => Id(l.OpportunityId, "opportunity_id");

        public Outcome? Visit(ActivityLogged a) => Id(a.RepId, "rep_id") ?? OptionalId(a.CustomerId, "customer_id") ?? Enum(a.Type, "type")
            ?? Enum(a.TimeCategory, "time_category")
            ?? (a.DurationMinutes is < 0 or > 24 * 60 ? Outcome.Invalid("duration_minutes", "duration_minutes must be between 0 and 1440") : null)
            ?? OptionalId(a.OpportunityId, "opportunity_id");

        public Outcome? Visit(PaymentReceived p) => Id(p.RepId, "rep_id") ?? Id(p.CustomerId, "customer_id") ?? Amount(p.Amount, "amount", allowZero: false);

        public Outcome? Visit(TargetSet t) => Id(t.ScopeId, "scope_id") ?? Enum(t.Scope, "scope") ?? Enum(t.Metric, "metric")
            ?? (t.Period.IsNone ? Outcome.Invalid("period", "period is required: 2026, 2026-Q4, 2026-11 or 2026-W49") : null)
            ?? (t.Period.Year is < MinYear or > MaxYear ? Outcome.Invalid("period", $"period must fall in the years {MinYear} to {MaxYear}") : null)
            ?? TargetRules.Check(t.Metric, t.Period, t.Dimension)
            ?? Amount(t.MustAchieve, "must_achieve", allowZero: false)
            ?? (t.Stretch < t.MustAchieve ? Outcome.Invalid("stretch", "stretch must be at least must_achieve") : null)
            ?? Amount(t.Stretch, "stretch", allowZero: false);

        public Outcome? Visit(ForecastSubmitted f) => Id(f.ScopeId, "scope_id") ?? Enum(f.Scope, "scope")
            ?? (f.Period.IsNone ? Outcome.Invalid("period", "period is required: 2026, 2026-Q4 or 2026-11") : null)
            ?? (f.Period.IsWeek ? Outcome.Invalid("period", "forecasts are for a year, quarter or month, not a week") : null)
            ?? (f.Period.Year is < MinYear or > MaxYear ? Outcome.Invalid("period", $"period must fall in the years {MinYear} to {MaxYear}") : null)
            ?? Amount(f.Commit, "commit", allowZero: true)
            ?? (f.BestCase < f.Commit ? Outcome.Invalid("best_case", "best_case must be at least commit") : null)
            ?? Amount(f.BestCase, "best_case", allowZero: true)
            ?? (f.SubmittedBy?.Length > 256 ? Outcome.Invalid("submitted_by", "submitted_by is longer than 256 characters") : null)
            ?? (f.Note?.Length > MaxNoteLength ? Outcome.Invalid("note", $"note is longer than {MaxNoteLength} characters") : null);

        public Outcome? Visit(PlanningInputsRecorded p) => Id(p.ScopeId, "scope_id") ?? Enum(p.Scope, "scope")
            ?? (p.Year.Kind != PeriodKind.Year || p.Year.Year is < MinYear or > MaxYear
                ? Outcome.Invalid("year", $"year is required: a year such as 2027, between {MinYear} and {MaxYear}")
                : null)
            ?? Enum(p.Metric, "metric")
            ?? TargetRules.Check(p.Metric, p.Year, default)
            ?? (p.LastYearActual is { } last ? Amount(last, "last_year_actual", allowZero: true) : null)
            ?? Amount(p.LongTermPlan, "long_term_plan", allowZero: true)
            ?? (p.IndustryGrowthBasisPoints is < MinGrowthBasisPoints or > MaxGrowthBasisPoints
                ? Outcome.Invalid("industry_growth_bp", $"industry_growth_bp must be between {MinGrowthBasisPoints} (-100%) and {MaxGrowthBasisPoints} (+1,000%)")
                : null)
            ?? Amount(p.NewGrowthPoints, "new_growth_points", allowZero: true);
    }

    /// <summary>An optional deal cost: 0 to 10^15 (a cost above the amount is a deal sold at a loss, not an error).</summary>
    private static Outcome? Cost(long? cost) => cost is { } c ? Amount(c, "cost", allowZero: true) : null;

    /// <summary>A product line or channel: optional, but a dimension value, so no longer than an id.</summary>
    private static Outcome? Longest(string? value, string field) =>
        value?.Length > MaxIdLength ? Outcome.Invalid(field, $"{field} is longer than {MaxIdLength} characters") : null;

    /// <summary>The industry growth rates a planner may record, in basis points: −100% (the industry vanishes) to +1,000%.</summary>
    public const int MinGrowthBasisPoints = -10_000, MaxGrowthBasisPoints = 100_000;

    /// <summary>The longest note a forecast submission may carry.</summary>
    public const int MaxNoteLength = 1024;

    private static Outcome? Id(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Outcome.Invalid(field, $"{field} is required");
        }

        return value.Length > MaxIdLength ? Outcome.Invalid(field, $"{field} is longer than {MaxIdLength} characters") : null;
    }

    private static Outcome? OptionalId(string? value, string field) =>
        string.IsNullOrEmpty(value) ? null : Id(value, field);

    /// <summary>Longest photo URL: enough for a signed CDN address or a small inline picture.</summary>
    public const int MaxPhotoUrlLength = 4096;

    /// <summary>Empty, an absolute https URL, or a data:image URL (what a screen may load: its content policy allows no other).</summary>
    private static Outcome? PhotoUrl(string value, string field) =>
        value.Length == 0 ? null
        : value.Length > MaxPhotoUrlLength ? Outcome.Invalid(field, $"{field} is longer than {MaxPhotoUrlLength} characters")
        : value.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase)
            || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0)
            ? null
            : Outcome.Invalid(field, $"{field} must be an absolute https URL or a data:image URL");

    private static Outcome? Text(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? Outcome.Invalid(field, $"{field} is required")
        : value.Length > 256 ? Outcome.Invalid(field, $"{field} is longer than 256 characters") : null;

    private static Outcome? Amount(long value, string field, bool allowZero) =>
        value < 0 || (!allowZero && value == 0)
            ? Outcome.Invalid(field, allowZero ? $"{field} must not be negative" : $"{field} must be positive")
            : value > MaxAmount ? Outcome.Invalid(field, $"{field} is larger than {MaxAmount} (10^15)") : null;

    private static Outcome? Date(DateOnly value, string field) =>
        value.Year is < MinYear or > MaxYear ? Outcome.Invalid(field, $"{field} is required (a date between {MinYear} and {MaxYear})") : null;

    private static string Instant(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static Outcome? Enum<T>(T value, string field)
        where T : struct, Enum =>
        System.Enum.IsDefined(value) ? null : Outcome.Invalid(field, $"{field} has an unknown value");

    private static Outcome? OpenStage(string stageId, StageTable stages)
    {
        if (!stages.TryIndexOf(stageId, out var index))
        {
            return Outcome.Invalid("stage_id", $"stage_id {Echo.Quote(stageId)} is not in the stage table");
        }

        return stages.IsOpen(index) ? null : Outcome.Invalid("stage_id", "use OpportunityWon / OpportunityLost to close a deal");
    }
}
