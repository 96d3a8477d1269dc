using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Grains;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>Request checks shared by the services; each failure names the field.</summary>
internal static class RequestGuard
{
    public static string Id(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(field, $"{field} is required");
        }

        if (value.Length > EventValidator.MaxIdLength)
        {
            throw Invalid(field, $"{field} is longer than {EventValidator.MaxIdLength} characters");
        }

        return value;
    }

    /// <summary>A leaderboard scope: a region id, or the company when empty.</summary>
    public static string ScopeId(string? requested) =>
        string.IsNullOrEmpty(requested) ? RegionState.CompanyId : Id(requested, "scope_region_id");

    /// <summary>Fails with NOT_FOUND naming <c>scope_region_id</c> unless the region is defined.</summary>
    public static async Task EnsureScopeDefinedAsync(KnownEntities known, string scope)
    {
        if (!await known.ExistsAsync(new EntityRef(EntityKind.Region, scope, "scope_region_id")))
        {
            throw NotFound("scope_region_id", $"region '{scope}' is not defined");
        }
    }

    /// <summary>The requested period, or the current month in the company time zone when empty.</summary>
    public static Period PeriodOrCurrent(string? text, EngineSettings settings, EngineClock clock)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return settings.Calendar.PeriodsOf(clock.Now).Month;
        }

        return Period.TryParse(text, out var p)
            ? p
            : throw Invalid("period", $"period {Echo.Quote(text)} is not a year (2026), quarter (2026-Q4), month (2026-11) or ISO week (2026-W49)");
    }

    /// <summary>A required scope of a target or forecast; the wire's values are the domain's plus one (0 is unspecified).</summary>
    public static TargetScope Scope(V1.TargetScope scope) =>
        scope == V1.TargetScope.Unspecified ? throw Invalid("scope", "scope is required")
        : Enum.IsDefined((TargetScope)((int)scope - 1)) ? (TargetScope)((int)scope - 1)
        : throw Invalid("scope", "scope has an unknown value");

    /// <summary>A period whose days the calendar can hold (the years an event may carry, docs/semantics.md rule 1).</summary>
    public static Period InCalendar(Period period) =>
        period.Year is < EventValidator.MinYear or > EventValidator.MaxYear
            ? throw Invalid("period", $"period must fall in the years {EventValidator.MinYear} to {EventValidator.MaxYear}")
            : period;

    /// <summary>A required leaderboard metric; the wire's values are the domain's plus one (0 is unspecified).</summary>
    public static LeaderboardMetric Metric(V1.LeaderboardMetric metric) =>
        metric == V1.LeaderboardMetric.Unspecified ? throw Invalid("metric", "metric is required")
        : Enum.IsDefined((LeaderboardMetric)((int)metric - 1)) ? (LeaderboardMetric)((int)metric - 1)
        : throw Invalid("metric", "metric has an unknown value");

    public static int Bounded(int value, int fallback, int max, string field) =>
        value < 0 ? throw Invalid(field, $"{field} must not be negative")
        : value == 0 ? fallback
        : value > max ? throw Invalid(field, $"{field} must be at most {max}")
        : value;

    public static RpcException Invalid(string field, string message) => Rejection(StatusCode.InvalidArgument, field, message);

    public static RpcException NotFound(string field, string message) => Rejection(StatusCode.NotFound, field, message);

    /// <summary>A rejection whose message starts with the field it is about; the details name it (<see cref="ApiErrors"/>).</summary>
    public static RpcException Rejection(StatusCode code, string field, string message) => ApiErrors.Rejection(code, field, message);
}
