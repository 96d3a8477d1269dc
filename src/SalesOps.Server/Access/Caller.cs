using SalesOps.Access;

namespace SalesOps.Server.Access;

/// <summary>How a caller proved who it is.</summary>
public enum CallerKind
{
    ApiKey,
    Jwt,
    Development,
}

/// <summary>
/// The identity a call acts as, whatever proved it: its role, its region subtree, and for a rep the rep. Built by
/// the authentication handlers, read by <see cref="AccessPolicy"/> only.
/// </summary>
/// <param name="Id">A key id, a token's subject, or <c>local-development</c>: what logs and the audit name.</param>
/// <param name="RegionId">The region subtree (<c>company</c> for all); for a rep, resolved from the rep's current region.</param>
/// <param name="EventKinds">The event kinds a connector key may send (fields of <c>Event.kind</c>); null for all.</param>
public sealed record Caller(CallerKind Kind, string Id, Role Role, string RegionId, string RepId, IReadOnlySet<string>? EventKinds, KeyLimits Limits)
{
    /// <summary>When the credentials stop being valid (a token's <c>exp</c>); null when they do not lapse by time.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public static readonly Caller Development = new(CallerKind.Development, "local-development", Role.Admin, Domain.RegionState.CompanyId, "", null, KeyLimits.Defaults);

    public bool IsCompanyWide => Role == Role.Admin || (Role != Role.Rep && RegionId == Domain.RegionState.CompanyId);

    /// <summary>The word the audit log uses for <see cref="Kind"/>.</summary>
    public string KindName => Kind switch
    {
        CallerKind.ApiKey => "api-key",
        CallerKind.Jwt => "jwt",
        _ => "development",
    };

    /// <summary>How a refusal names the caller: its kind, id and role, never a secret.</summary>
    public string Describe() => Kind switch
    {
        CallerKind.ApiKey => $"API key '{Id}' ({RoleName(Role)})",
        CallerKind.Jwt => $"token of '{Id}' ({RoleName(Role)})",
        _ => "the development identity",
    };

    public static string RoleName(Role role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses a role claim; null for anything else.</summary>
    public static Role? ParseRole(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "connector" => Role.Connector,
        "screen" => Role.Screen,
        "rep" => Role.Rep,
        "manager" => Role.Manager,
        "admin" => Role.Admin,
        _ => null,
    };
}
