using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using SalesOps.Domain;
using RpcStatus = Google.Rpc.Status;

namespace SalesOps.Server.Api;

/// <summary>
/// Every error the API answers, built in one place as a <c>google.rpc.Status</c>: a field rejection carries a
/// <see cref="BadRequest.Types.FieldViolation"/> naming the field; every error carries an <see cref="ErrorInfo"/>
/// with a stable reason (and, for a cut-off alert stream, the sequence to resume after); <c>UNAVAILABLE</c> carries
/// a <see cref="RetryInfo"/>. A unary call fails with it, and a batch result carries the same status.
/// </summary>
public static class ApiErrors
{
    /// <summary>The field a refusal names (its <see cref="BadRequest"/>), or "" when it names none.</summary>
    public static string FieldOf(RpcStatus? status) => status?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Field ?? "";

    /// <summary>The <see cref="ErrorInfo.Domain"/> of every error this API raises.</summary>
    public const string Domain = "salesops.v1";

    /// <summary>The <see cref="ErrorInfo"/> metadata key of the <c>after_sequence</c> to reconnect with.</summary>
    public const string ResumeKey = "resume_after_sequence";

    /// <summary>How long a client should wait before retrying an <c>UNAVAILABLE</c> answer.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>A field is missing, malformed or out of range.</summary>
    public const string InvalidField = "INVALID_FIELD";

    /// <summary>A referenced region, rep, customer or opportunity is not known.</summary>
    public const string UnknownReference = "UNKNOWN_REFERENCE";

    /// <summary>The event conflicts with what the engine holds.</summary>
    public const string Conflict = "CONFLICT";

    /// <summary>The engine cannot answer now; retry.</summary>
    public const string EngineUnavailable = "ENGINE_UNAVAILABLE";

    /// <summary>An engine fault; the other events of a batch are unaffected.</summary>
    public const string EngineFault = "ENGINE_FAULT";

    /// <summary>The alert stream resume point is no longer retained or beyond the log.</summary>
    public const string AlertsNotRetained = "ALERTS_NOT_RETAINED";

    /// <summary>The watcher fell too far behind, or stopped reading.</summary>
    public const string WatcherTooSlow = "WATCHER_TOO_SLOW";

    /// <summary>The alert log restarted and numbers from 1 again.</summary>
    public const string AlertLogRestarted = "ALERT_LOG_RESTARTED";

    /// <summary>The request's bytes are not well-formed gRPC frames of the method's message.</summary>
    public const string MalformedRequest = "MALFORMED_REQUEST";

    /// <summary>A request message is larger than the server takes.</summary>
    public const string RequestTooLarge = "REQUEST_TOO_LARGE";

    /// <summary>The call carries no credentials, or credentials that are not valid (which, is not said).</summary>
    public const string NotAuthenticated = "NOT_AUTHENTICATED";

    /// <summary>The caller's role or region scope does not allow what was asked.</summary>
    public const string NotPermitted = "NOT_PERMITTED";

    /// <summary>UNAUTHENTICATED, with the same message whatever was wrong with the credentials.</summary>
    public static RpcException Unauthenticated() =>
        Build(StatusCode.Unauthenticated, "", "credentials are missing or not valid: send an API key (x-api-key) or a bearer token (authorization)", NotAuthenticated).ToRpcException();

    /// <summary>PERMISSION_DENIED naming what was refused (a field, or none when the method itself is not allowed).</summary>
    public static RpcException Denied(string field, string message) => Build(StatusCode.PermissionDenied, field, message, NotPermitted).ToRpcException();

    /// <summary>A caller over one of its limits, or the server over its own.</summary>
    public const string LimitExceeded = "LIMIT_EXCEEDED";

    /// <summary>RESOURCE_EXHAUSTED (<see cref="LimitExceeded"/>) with a <see cref="RetryInfo"/> saying when to try again.</summary>
    public static RpcException Exhausted(string message, TimeSpan retryAfter)
    {
        var status = Build(StatusCode.ResourceExhausted, "", message, LimitExceeded);
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : retryAfter) }));
        return status.ToRpcException();
    }

    /// <summary>The status of an event refused before the engine saw it (a batch result).</summary>
    public static RpcStatus Of(StatusCode code, string field, string message) => Build(code, field, message, ReasonOf(code));

    /// <summary>The status of a rejected or failed event outcome (never for accepted or duplicate ones).</summary>
    public static RpcStatus Of(Outcome o) => Build(ToStatusCode(o.Code), o.Field, o.Message, ReasonOf(o.Code));

    /// <summary>A rejection naming <paramref name="field"/>, with the reason its code implies.</summary>
    public static RpcException Rejection(StatusCode code, string field, string message) =>
        Build(code, field, message, ReasonOf(code)).ToRpcException();

    /// <summary>The engine could not answer now: UNAVAILABLE with a retry delay.</summary>
    public static RpcException Unavailable(string message) => Build(StatusCode.Unavailable, "", message, EngineUnavailable).ToRpcException();

    /// <summary>An alert stream ended with the sequence to reconnect with (<see cref="ResumeKey"/>).</summary>
    public static RpcException AlertStreamEnded(StatusCode code, string reason, long resumeAfter, string message, string field = "") =>
        Build(code, field, message, reason, resumeAfter).ToRpcException();

    /// <summary>A watcher that stopped reading: RESOURCE_EXHAUSTED, with the resume point of an alert stream.</summary>
    public static RpcException WatcherCutOff(long? resumeAfter, string message) =>
        Build(StatusCode.ResourceExhausted, "", message, WatcherTooSlow, resumeAfter).ToRpcException();

    /// <summary>
    /// Request bytes that are not the method's message: INVALID_ARGUMENT (<see cref="MalformedRequest"/>) or, for a
    /// message too large, RESOURCE_EXHAUSTED (<see cref="RequestTooLarge"/>). No field is named: the bytes never became one.
    /// </summary>
    public static RpcException Malformed(StatusCode code, string message) =>
        Build(code, "", message, code == StatusCode.ResourceExhausted ? RequestTooLarge : MalformedRequest).ToRpcException();

    /// <summary>The gRPC code of an outcome that is not accepted.</summary>
    public static StatusCode ToStatusCode(OutcomeCode code) => code switch
    {
        OutcomeCode.InvalidArgument => StatusCode.InvalidArgument,
        OutcomeCode.NotFound => StatusCode.NotFound,
        OutcomeCode.FailedPrecondition => StatusCode.FailedPrecondition,
        OutcomeCode.Unavailable => StatusCode.Unavailable,
        OutcomeCode.Internal => StatusCode.Internal,
        OutcomeCode.Accepted or OutcomeCode.Duplicate => StatusCode.OK,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "an outcome code this API does not know"),
    };

    private static string ReasonOf(OutcomeCode code) => ReasonOf(ToStatusCode(code));

    private static string ReasonOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => InvalidField,
        StatusCode.NotFound => UnknownReference,
        StatusCode.FailedPrecondition => Conflict,
        StatusCode.Unavailable => EngineUnavailable,
        StatusCode.PermissionDenied => NotPermitted,
        StatusCode.Unauthenticated => NotAuthenticated,
        _ => EngineFault,
    };

    private static RpcStatus Build(StatusCode code, string field, string message, string reason, long? resumeAfter = null)
    {
        var status = new RpcStatus { Code = (int)code, Message = field.Length == 0 ? message : $"{field}: {message}" };
        if (field.Length > 0)
        {
            status.Details.Add(Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = message } } }));
        }

        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (field.Length > 0)
        {
            info.Metadata["field"] = field;
        }

        if (resumeAfter is { } resume)
        {
            info.Metadata[ResumeKey] = resume.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        status.Details.Add(Any.Pack(info));
        if (code == StatusCode.Unavailable)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryDelay) }));
        }

        return status;
    }
}
