using SalesOps.Domain;
using SalesOps.Runtime.Telemetry;

namespace SalesOps.Grains;

/// <summary>
/// Counts ingested events by status in <see cref="EngineMetrics.EventsIngested"/>: once per status per call, never
/// once per event, with tags built once. The status names are the ingest answer's (<c>EVENT_STATUS_*</c>) in lower case.
/// </summary>
public static class IngestMetrics
{
    private static readonly KeyValuePair<string, object?>[] ByCode =
    [
        Status("accepted"),            // OutcomeCode.Accepted
        Status("duplicate"),           // Duplicate
        Status("invalid_argument"),    // InvalidArgument
        Status("not_found"),           // NotFound
        Status("failed_precondition"), // FailedPrecondition
        Status("unavailable"),         // Unavailable
        Status("internal"),            // Internal
    ];

    /// <summary>An event the caller may not send (refused before the engine).</summary>
    public static readonly KeyValuePair<string, object?> PermissionDenied = Status("permission_denied");

    /// <summary>The status tag of an outcome code.</summary>
    public static KeyValuePair<string, object?> Tag(OutcomeCode code) => ByCode[(int)code];

    /// <summary>Counts one event with <paramref name="code"/>.</summary>
    public static void Count(OutcomeCode code) => EngineMetrics.EventsIngested.Add(1, ByCode[(int)code]);

    /// <summary>Counts a call's outcomes: one add per status present.</summary>
    public static void Count(Outcome[] outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (!EngineMetrics.EventsIngested.Enabled || outcomes.Length == 0)
        {
            return;
        }

        Span<int> counts = stackalloc int[ByCode.Length];
        foreach (var o in outcomes)
        {
            counts[(int)o.Code]++;
        }

        for (var code = 0; code < counts.Length; code++)
        {
            if (counts[code] > 0)
            {
                EngineMetrics.EventsIngested.Add(counts[code], ByCode[code]);
            }
        }
    }

    private static KeyValuePair<string, object?> Status(string name) => new(EngineMetrics.StatusTag, name);
}
