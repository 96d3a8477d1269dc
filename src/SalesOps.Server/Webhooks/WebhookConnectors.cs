using System.Text;
using Microsoft.Extensions.Options;

namespace SalesOps.Server.Webhooks;

/// <summary>A connector as configured, with its secret read and decoded once.</summary>
public sealed record ResolvedConnector(string Name, WebhookConnector Settings, byte[] Key);

/// <summary>
/// The configured connectors, checked at start-up: a connector that could never work — or could be forged, with a
/// secret too short to be one — fails the start with a message naming its setting.
/// </summary>
public sealed class WebhookConnectors
{
    /// <summary>Fewest bytes a secret may have (Standard Webhooks secrets are 24 to 64 bytes; HubSpot's are 36 characters).</summary>
    public const int MinSecretBytes = 24;

    private readonly Dictionary<string, ResolvedConnector> _connectors = new(StringComparer.Ordinal);

    public WebhookConnectors(IOptions<WebhookOptions> options, IOptions<Access.AccessOptions> access)
    {
        foreach (var (name, c) in options.Value.Connectors)
        {
            var at = $"{WebhookOptions.Section}:Connectors:{name}";
            if (c.Format is not ("standard" or "hubspot"))
            {
                throw new InvalidOperationException($"{at}:Format must be 'standard' or 'hubspot', not '{c.Format}'");
            }

            if (access.Value.Required && c.KeyId.Length == 0)
            {
                throw new InvalidOperationException($"{at}:KeyId is required when Auth:Required is true: the id of the connector API key whose rights its events carry");
            }

            _connectors[name] = new ResolvedConnector(name, c, KeyOf(c, at));
        }
    }

    public bool TryGet(string name, out ResolvedConnector connector) => _connectors.TryGetValue(name, out connector!);

    private static byte[] KeyOf(WebhookConnector c, string at)
    {
        string secret;
        try
        {
            secret = (c.Secret.Length > 0 ? c.Secret : c.SecretFile.Length > 0 ? File.ReadAllText(c.SecretFile) : "").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{at}:SecretFile '{c.SecretFile}' cannot be read: {ex.Message}", ex);
        }

        if (secret.Length == 0)
        {
            throw new InvalidOperationException($"{at}:Secret (or {at}:SecretFile) is required: deliveries are verified with it");
        }

        byte[] key;
        if (c.Format == "hubspot")
        {
            key = Encoding.UTF8.GetBytes(secret);
        }
        else
        {
            var encoded = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret;
            try
            {
                key = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{at}:Secret must be a Standard Webhooks secret: 'whsec_' followed by base64");
            }
        }

        return key.Length >= MinSecretBytes ? key
            : throw new InvalidOperationException($"{at}:Secret is {key.Length} bytes; at least {MinSecretBytes} are needed (e.g. \"whsec_$(head -c 32 /dev/urandom | base64)\")");
    }
}
