namespace SalesOps.Server.Webhooks;

/// <summary>
/// Section <c>Webhooks</c>: the CRM connectors that may deliver to <c>POST /webhooks/{name}</c> on the web port.
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public Dictionary<string, WebhookConnector> Connectors { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How old a delivery's signed timestamp may be, and how far ahead (clock skew).</summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What a retryable answer (503) tells the sender to wait, in its <c>Retry-After</c>.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest body taken, in bytes (HubSpot sends at most 100 events a delivery; a batch of 5,000 of ours fits).</summary>
    public int MaxBodyBytes { get; set; } = 2 * 1024 * 1024;
}

/// <summary>One connector: how its deliveries are signed and whose rights its events carry.</summary>
public sealed class WebhookConnector
{
    /// <summary>
    /// The Standard Webhooks secret (<c>whsec_</c> + base64, as the sender was given it); the secret of HubSpot's app
    /// for <see cref="Format"/> <c>hubspot</c>. Or <see cref="SecretFile"/>.
    /// </summary>
    public string Secret { get; set; } = "";

    /// <summary>A file holding <see cref="Secret"/> (kept out of configuration files and the environment).</summary>
    public string SecretFile { get; set; } = "";

    /// <summary>
    /// The API key (its id) whose role and scopes the events carry, as if that key had sent them over gRPC: a connector
    /// key limits them to its region and event kinds, and revoking it stops the webhook. Required when
    /// <c>Auth:Required</c> is true; without it, on a development server, events carry the development identity.
    /// </summary>
    public string KeyId { get; set; } = "";

    /// <summary><c>standard</c> (our events as proto JSON, or CloudEvents carrying them) or <c>hubspot</c> (its v3 webhooks).</summary>
    public string Format { get; set; } = "standard";

    /// <summary>
    /// HubSpot: the URL HubSpot calls (e.g. <c>https://salesops.example.com/webhooks/hubspot</c>), which its signature
    /// covers; needed behind a proxy that ends TLS, where the request this server sees has another scheme or host.
    /// </summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>HubSpot: its pipeline stage ids to our stage table's names (e.g. <c>appointmentscheduled</c> → <c>qualification</c>).</summary>
    public Dictionary<string, string> Stages { get; set; } = new(StringComparer.Ordinal);

    /// <summary>HubSpot: its owner ids to our rep ids.</summary>
    public Dictionary<string, string> Owners { get; set; } = new(StringComparer.Ordinal);
}
