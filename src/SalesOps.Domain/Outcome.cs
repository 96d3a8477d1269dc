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

/// <summary>
/// Quotes client input inside a message. A status message travels in an HTTP/2 header block, so a value copied
/// whole (a 1 MB period) made a 1 MB trailer that stalled the connection: input is quoted by a short prefix only.
/// </summary>
public static class Echo
{
    /// <summary>Characters of client input a message quotes at most.</summary>
    public const int MaxQuoted = 40;

    /// <summary>
    /// The value in single quotes; a longer one is cut to its first <see cref="MaxQuoted"/> characters and its length
    /// is given instead of the rest. Control characters become '?', so a quote never breaks a log line or a header.
    /// </summary>
    public static string Quote(string? value)
    {
        value ??= "";
        var cut = Math.Min(value.Length, MaxQuoted);
        if (cut < value.Length && char.IsHighSurrogate(value[cut - 1]))
        {
            cut--; // never split a surrogate pair: the message must stay valid UTF-16
        }

        var shown = value[..cut];
        var clean = string.Create(shown.Length, shown, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
        return shown.Length == value.Length
            ? $"'{clean}'"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"'{clean}…' ({value.Length} characters)");
    }
}
