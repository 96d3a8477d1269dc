namespace SalesOps.Domain;

/// <summary>What became of one event. Maps one-to-one onto gRPC status codes at the edge.</summary>
public enum OutcomeCode : byte
{
    /// <summary>Applied: it now counts in every figure it touches.</summary>
    Accepted = 0,

    /// <summary>The event id was already accepted; nothing changed.</summary>
    Duplicate = 1,

    /// <summary>A field is missing or out of range; nothing changed.</summary>
    InvalidArgument = 2,

    /// <summary>A referenced region, rep, customer or opportunity is not known (yet); nothing changed.</summary>
    NotFound = 3,

    /// <summary>The event conflicts with state (for example a back-dated move); nothing changed.</summary>
    FailedPrecondition = 4,

    /// <summary>
    /// The engine could not process it now (for example a silo went away). It may or may not have been accepted:
    /// re-send it; a re-send answers <see cref="Duplicate"/> if it was.
    /// </summary>
    Unavailable = 5,

    /// <summary>An engine fault (a bug) while processing this event; reported, never hidden. Other events are unaffected.</summary>
    Internal = 6,
}

/// <summary>The result of one event: a code, and for rejections the field and a message naming the problem.</summary>
public sealed record Outcome(OutcomeCode Code, string Field, string Message)
{
    public static readonly Outcome Accepted = new(OutcomeCode.Accepted, "", "");
    public static readonly Outcome Duplicate = new(OutcomeCode.Duplicate, "event_id", "event id already accepted; ignored");

    public bool IsAccepted => Code == OutcomeCode.Accepted;
    public bool ChangedNothing => Code != OutcomeCode.Accepted;

    public static Outcome Invalid(string field, string message) => new(OutcomeCode.InvalidArgument, field, message);
    public static Outcome NotFound(string field, string message) => new(OutcomeCode.NotFound, field, message);
    public static Outcome Conflict(string field, string message) => new(OutcomeCode.FailedPrecondition, field, message);
}
