using System.Globalization;
using Microsoft.Extensions.Options;
using SalesOps.Runtime.Telemetry;
using SalesOps.Server.Access;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Webhooks;

/// <summary>
/// <c>POST /webhooks/{connector}</c>: a CRM's signed delivery, verified over the raw body, read as events and sent
/// through the same pipeline as gRPC ingest (audit, the connector key's rights, the engine). The answer's status is
/// what a CRM's retry logic acts on (docs/semantics.md, "Webhooks"):
/// <list type="bullet">
/// <item>200: every event accepted or a duplicate;</item>
/// <item>503 + <c>Retry-After</c>: some event refers to something not known yet (NOT_FOUND), a HubSpot item has no mapping
/// yet, the connector's key does not exist yet, or the engine could not take it now (UNAVAILABLE, INTERNAL) — retry the
/// whole delivery, the events already taken answer DUPLICATE; never 404 or 410, which make HubSpot and EspoCRM give up
/// on events that will become valid;</item>
/// <item>429 + <c>Retry-After</c>: over the connector key's event rate;</item>
/// <item>403: some event is outside the connector key's rights, or the key is revoked (final);</item>
/// <item>400: a body or event that can never be taken (invalid, or a final FAILED_PRECONDITION, or over 5,000 events), naming the field;</item>
/// <item>401: the signature is missing, wrong, stale or replayed; 404: no such connector; 413: body too large.</item>
/// </list>
/// The body lists every event's result either way.
/// </summary>
public static class WebhookEndpoint
{
    private static readonly KeyValuePair<string, object?> WebhookMethod = new(EngineMetrics.MethodTag, "Webhook");

    public static WebApplication MapWebhooks(this WebApplication app)
    {
        app.MapPost("/webhooks/{connector}", HandleAsync);
        return app;
    }

    private static async Task<IResult> HandleAsync(
        string connector,
        HttpContext http,
        IOptions<WebhookOptions> options,
        IOptions<AccessOptions> access,
        WebhookConnectors connectors,
        WebhookSignatures signatures,
        ApiKeyValidator keys,
        CallerLimits limits,
        IngestPipeline pipeline,
        HubSpotMapping hubspot)
    {
        var settings = options.Value;
        if (!connectors.TryGet(connector, out var c))
        {
            return Problem(StatusCodes.Status404NotFound, "connector", $"no webhook connector named '{connector}' (Webhooks:Connectors)");
        }

        // The headers first: a caller without a plausible, fresh signature never gets its body read.
        var refused = c.Settings.Format == "hubspot"
            ? signatures.CheckHubSpot(http.Request, c.Settings.PublicUrl, out var delivery)
            : signatures.CheckStandard(http.Request.Headers, out delivery);
        if (refused is not null)
        {
            return Problem(StatusCodes.Status401Unauthorized, refused.Header, refused.Reason);
        }

        if (http.Request.ContentLength > settings.MaxBodyBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "body", $"at most {settings.MaxBodyBytes} bytes");
        }

        var body = await ReadBodyAsync(http.Request, settings.MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "body", $"at most {settings.MaxBodyBytes} bytes");
        }

        if (!WebhookSignatures.Matches(delivery!, c.Key, body))
        {
            return Problem(StatusCodes.Status401Unauthorized, c.Settings.Format == "hubspot" ? "X-HubSpot-Signature-v3" : "webhook-signature",
                "no signature matches the body with this connector's secret");
        }

        // The events, each item refused on its own when it cannot be read (HubSpot) or the whole body when it is not events.
        var items = new List<(string Place, V1.Event? Event, DeliveryFormatException? Refusal)>();
        try
        {
            if (c.Settings.Format == "hubspot")
            {
                items.AddRange(hubspot.Map(body, c.Settings).Select(i => (i.Place, i.Event, i.Refusal)));
            }
            else
            {
                items.AddRange(StandardDelivery.Parse(body, http.Request.ContentType).Select((e, i) => ($"[{i}]", (V1.Event?)e, (DeliveryFormatException?)null)));
            }
        }
        catch (DeliveryFormatException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, ex.Field, ex.Message);
        }

        var events = items.Where(i => i.Event is not null).Select(i => i.Event!).ToList();
        if (events.Count > IngestGrpcService.MaxBatch)
        {
            return Problem(StatusCodes.Status400BadRequest, "events", $"{events.Count} events in one delivery; at most {IngestGrpcService.MaxBatch} are allowed");
        }

        Caller? caller;
        if (c.Settings.KeyId.Length == 0)
        {
            caller = access.Value.Required ? null : Caller.Development;
        }
        else
        {
            var (found, known) = await keys.CallerOfKeyAsync(c.Settings.KeyId, http.RequestAborted);
            if (!known)
            {
                // Not made yet (or not yet seen by this server): the delivery may be taken once it is.
                RetryAfter(http, settings.RetryAfter);
                return Problem(StatusCodes.Status503ServiceUnavailable, "connector", $"the connector's key '{c.Settings.KeyId}' does not exist (yet)");
            }

            caller = found;
        }

        if (caller is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "connector", $"the connector's key '{c.Settings.KeyId}' is revoked or expired");
        }

        if (limits.TakeIngest(caller, events.Count) is { } over)
        {
            RetryAfter(http, settings.RetryAfter);
            return Problem(StatusCodes.Status429TooManyRequests, "events", over.Status.Detail);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var batchId = http.Request.Headers["webhook-id"].ToString();
        var peer = http.Connection.RemoteIpAddress?.ToString() ?? "";
        var taken = await pipeline.RunAsync(caller, peer, $"Webhook {connector}", batchId, events, http.RequestAborted);
        EngineMetrics.AckDuration.RecordSince(started, WebhookMethod);

        var results = new List<ItemResult>(items.Count);
        var next = 0;
        foreach (var (place, e, refusal) in items)
        {
            results.Add(e is not null
                ? ItemResult.Of(taken[next++])
                : new ItemResult(place, refusal!.Retryable ? "Unmapped" : "InvalidArgument", refusal.Field, refusal.Message, refusal.Retryable));
        }

        var status = StatusOf(results);
        if (status == StatusCodes.Status200OK)
        {
            signatures.Taken(delivery!.DeliveryKey);
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            RetryAfter(http, settings.RetryAfter);
        }

        return Results.Json(
            new
            {
                Connector = connector,
                Accepted = results.Count(r => r.Status == nameof(V1.EventStatus.Accepted)),
                Duplicates = results.Count(r => r.Status == nameof(V1.EventStatus.Duplicate)),
                Results = results,
            },
            statusCode: status);
    }

    /// <summary>One item's answer in the body: an event's result, or why an item of the delivery was not an event.</summary>
    public sealed record ItemResult(string EventId, string Status, string Field, string Message, bool Retryable)
    {
        public static ItemResult Of(V1.EventResult r) => new(r.EventId, r.Status.ToString(), ApiErrors.FieldOf(r.Error), r.Error?.Message ?? "", WebhookEndpoint.Retryable(r.Status));
    }

    /// <summary>The delivery's status from its items' results (the precedence above: retryable, then refused, then taken).</summary>
    public static int StatusOf(IReadOnlyCollection<ItemResult> results) =>
        results.Any(r => r.Retryable) ? StatusCodes.Status503ServiceUnavailable
        : results.Any(r => r.Status == nameof(V1.EventStatus.PermissionDenied)) ? StatusCodes.Status403Forbidden
        : results.Any(r => r.Status is not (nameof(V1.EventStatus.Accepted) or nameof(V1.EventStatus.Duplicate))) ? StatusCodes.Status400BadRequest
        : StatusCodes.Status200OK;

    /// <summary>A reference not yet known may arrive; an engine that could not answer may answer later.</summary>
    public static bool Retryable(V1.EventStatus status) =>
        status is V1.EventStatus.NotFound or V1.EventStatus.Unavailable or V1.EventStatus.Internal;

    private static void RetryAfter(HttpContext http, TimeSpan wait) =>
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length and > 0 ? (int)Math.Min(length, max) : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static IResult Problem(int status, string field, string message) =>
        Results.Json(new { Error = message, Field = field }, statusCode: status);
}
