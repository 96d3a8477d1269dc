namespace SalesOps.Access;

/// <summary>What an identity may do (README, "Access"). The values are the wire's <c>Role</c> values.</summary>
public enum Role
{
    /// <summary>Sends events, of the kinds and regions of its key; reads nothing.</summary>
    Connector = 1,

    /// <summary>Watches and reads the leaderboards and alerts of its region subtree.</summary>
    Screen = 2,

    /// <summary>Reads their own figures and their region's boards and alerts; submits their own forecasts.</summary>
    Rep = 3,

    /// <summary>Reads everything in their region subtree and sets its targets, forecasts and planning inputs.</summary>
    Manager = 4,

    /// <summary>Everything, including keys and the audit log.</summary>
    Admin = 5,
}

/// <summary>Per-identity limits; null takes the server's default.</summary>
public sealed record KeyLimits(int? EventsPerSecond = null, int? WatchStreams = null, int? MaxRequestBytes = null)
{
    public static readonly KeyLimits Defaults = new();
}
