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
/// <item>503 + <c>Retry-After</c>: some event refers to something not known yet (NOT_FOUND), or the engine could not take it
/// now (UNAVAILABLE, INTERNAL) — retry the whole delivery, the events already taken answer DUPLICATE; never 404 or
/// 410, which make HubSpot and EspoCRM give up on events that will become valid;</item>
/// <item>429 + <c>Retry-After</c>: over the connector key's event rate;</item>
/// <item>403: some event is outside the connector key's rights, or the key is revoked (final);</item>
/// <item>400: a body or event that can never be taken (invalid, or a final FAILED_PRECONDITION), naming the field;</item>
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

    /// <summary>Refuses at start-up a connector that could never work, naming its setting.</summary>
    public static void Validate(WebhookOptions options, bool authRequired)
    {
        foreach (var (name, c) in options.Connectors)
        {
            var at = $"{WebhookOptions.Section}:Connectors:{name}";
            if (c.Format is not ("standard" or "hubspot"))
            {
                throw new InvalidOperationException($"{at}:Format must be 'standard' or 'hubspot', not '{c.Format}'");
            }

            if (c.Secret.Length == 0 && c.SecretFile.Length == 0)
            {
                throw new InvalidOperationException($"{at}:Secret (or {at}:SecretFile) is required: deliveries are verified with it");
            }

            if (authRequired && c.KeyId.Length == 0)
            {
                throw new InvalidOperationException($"{at}:KeyId is required when Auth:Required is true: the id of the connector API key whose rights its events carry");
            }
        }
    }

    private static async Task<IResult> HandleAsync(
        string connector,
        HttpContext http,
        IOptions<WebhookOptions> options,
        IOptions<AccessOptions> access,
        WebhookSignatures signatures,
        ApiKeyValidator keys,
        CallerLimits limits,
        IngestPipeline pipeline,
        HubSpotMapping hubspot)
    {
        var settings = options.Value;
        if (!settings.Connectors.TryGetValue(connector, out var c))
        {
            return Problem(StatusCodes.Status404NotFound, "connector", $"no webhook connector named '{connector}' (Webhooks:Connectors)");
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

        var secret = SecretOf(c);
        var refused = c.Format == "hubspot"
            ? signatures.VerifyHubSpot(http.Request, body, secret, out var deliveryKey)
            : signatures.VerifyStandard(http.Request.Headers, body, secret, out deliveryKey);
        if (refused is not null)
        {
            return Problem(StatusCodes.Status401Unauthorized, refused.Header, refused.Reason);
        }

        List<V1.Event> events;
        try
        {
            events = c.Format == "hubspot" ? hubspot.Map(body, c) : StandardDelivery.Parse(body, http.Request.ContentType);
        }
        catch (DeliveryFormatException ex)
        {
            if (ex.Retryable)
            {
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(settings.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return Problem(ex.Retryable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status400BadRequest, ex.Field, ex.Message);
        }

        var caller = c.KeyId.Length > 0 ? await keys.CallerOfKeyAsync(c.KeyId, http.RequestAborted)
            : access.Value.Required ? null : Caller.Development;
        if (caller is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "connector", $"the connector's key '{c.KeyId}' is unknown, revoked or expired");
        }

        if (limits.TakeIngest(caller, events.Count) is { } over)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(settings.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status429TooManyRequests, "events", over.Status.Detail);
        }

        var batchId = http.Request.Headers["webhook-id"].ToString();
        var peer = http.Connection.RemoteIpAddress?.ToString() ?? "";
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var results = await pipeline.RunAsync(caller, peer, $"Webhook {connector}", batchId, events, http.RequestAborted);
        EngineMetrics.AckDuration.RecordSince(started, WebhookMethod);
        var status = StatusOf(results);
        if (status == StatusCodes.Status200OK)
        {
            signatures.Taken(deliveryKey);
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(settings.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(
            new
            {
                Connector = connector,
                Accepted = results.Count(r => r.Status == V1.EventStatus.Accepted),
                Duplicates = results.Count(r => r.Status == V1.EventStatus.Duplicate),
                Results = results.Select(r => new
                {
                    r.EventId,
                    Status = r.Status.ToString(),
                    Field = FieldOf(r),
                    Message = r.Error?.Message ?? "",
                    Retryable = Retryable(r.Status),
                }),
            },
            statusCode: status);
    }

    /// <summary>The delivery's status from its events' results (the precedence above: retryable, then refused, then taken).</summary>
    public static int StatusOf(IReadOnlyCollection<V1.EventResult> results) =>
        results.Any(r => Retryable(r.Status)) ? StatusCodes.Status503ServiceUnavailable
        : results.Any(r => r.Status == V1.EventStatus.PermissionDenied) ? StatusCodes.Status403Forbidden
        : results.Any(r => r.Status is not (V1.EventStatus.Accepted or V1.EventStatus.Duplicate)) ? StatusCodes.Status400BadRequest
        : StatusCodes.Status200OK;

    /// <summary>A reference not yet known may arrive; an engine that could not answer may answer later.</summary>
    public static bool Retryable(V1.EventStatus status) =>
        status is V1.EventStatus.NotFound or V1.EventStatus.Unavailable or V1.EventStatus.Internal;

    private static string FieldOf(V1.EventResult r) =>
        r.Error?.Details.Where(d => d.Is(Google.Rpc.BadRequest.Descriptor)).Select(d => d.Unpack<Google.Rpc.BadRequest>().FieldViolations.FirstOrDefault()?.Field).FirstOrDefault() ?? "";

    private static string SecretOf(WebhookConnector c) => c.Secret.Length > 0 ? c.Secret : File.ReadAllText(c.SecretFile).Trim();

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
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
