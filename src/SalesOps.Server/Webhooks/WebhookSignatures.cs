using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SalesOps.Server.Webhooks;

/// <summary>Why a delivery's signature was refused: said in the 401 body, so whoever sets the webhook up can fix it.</summary>
public sealed record SignatureRefusal(string Header, string Reason);

/// <summary>
/// The two signature schemes a delivery may carry, both HMAC-SHA256 over the raw body compared in constant time,
/// with the signed timestamp inside a window either side of now:
/// <list type="bullet">
/// <item>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds), <c>webhook-signature</c> (space-separated
/// <c>v1,&lt;base64&gt;</c>, any one may match) over <c>{id}.{timestamp}.{body}</c>, keyed by the base64 after <c>whsec_</c>;</item>
/// <item>HubSpot v3: <c>X-HubSpot-Signature-v3</c> = base64 HMAC over method + URI + body + <c>X-HubSpot-Request-Timestamp</c>
/// (Unix milliseconds), keyed by the app secret's UTF-8 bytes.</item>
/// </list>
/// A delivery whose signature was already taken with a 2xx answer is a replay and is refused; the sender's own retries
/// are signed afresh (a new timestamp), and a retry of an answer that was not 2xx is taken.
/// </summary>
/// <remarks>
/// Written here rather than taken from the StandardWebhooks package: the scheme is a dozen lines of the framework's
/// HMAC, the package verifies against the wall clock (no <see cref="TimeProvider"/>) and hides the message id this
/// class needs for replays, and HubSpot's scheme needs the same code anyway.
/// </remarks>
public sealed class WebhookSignatures(TimeProvider time, WebhookOptions options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _taken = new(StringComparer.Ordinal);

    public SignatureRefusal? VerifyStandard(IHeaderDictionary headers, byte[] body, string secret, out string deliveryKey)
    {
        deliveryKey = "";
        string id = headers["webhook-id"].ToString(), stamp = headers["webhook-timestamp"].ToString(), signatures = headers["webhook-signature"].ToString();
        if (id.Length == 0)
        {
            return new("webhook-id", "missing");
        }

        if (stamp.Length == 0 || !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return new("webhook-timestamp", stamp.Length == 0 ? "missing" : "not Unix seconds");
        }

        if (signatures.Length == 0)
        {
            return new("webhook-signature", "missing");
        }

        if (Stale(DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253_402_300_799))) is { } stale)
        {
            return new("webhook-timestamp", stale);
        }

        var key = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret;
        byte[] keyBytes;
        try
        {
            keyBytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            keyBytes = Encoding.UTF8.GetBytes(key);
        }

        byte[] signed = [.. Encoding.UTF8.GetBytes($"{id}.{stamp}."), .. body];
        var expected = HMACSHA256.HashData(keyBytes, signed);
        var matched = false;
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            matched |= candidate.StartsWith("v1,", StringComparison.Ordinal) && SameBase64(candidate[3..], expected);
        }

        if (!matched)
        {
            return new("webhook-signature", "no v1 signature matches the body with this connector's secret");
        }

        deliveryKey = $"sw:{id}:{stamp}";
        return Replayed(deliveryKey);
    }

    public SignatureRefusal? VerifyHubSpot(HttpRequest request, byte[] body, string secret, out string deliveryKey)
    {
        deliveryKey = "";
        string signature = request.Headers["X-HubSpot-Signature-v3"].ToString(), stamp = request.Headers["X-HubSpot-Request-Timestamp"].ToString();
        if (signature.Length == 0)
        {
            return new("X-HubSpot-Signature-v3", "missing");
        }

        if (stamp.Length == 0 || !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return new("X-HubSpot-Request-Timestamp", stamp.Length == 0 ? "missing" : "not Unix milliseconds");
        }

        if (Stale(DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(milliseconds, 0, 253_402_300_799_999))) is { } stale)
        {
            return new("X-HubSpot-Request-Timestamp", stale);
        }

        // The URI as HubSpot called it: scheme, host, path and query, percent-decoded as its documentation asks.
        var uri = Uri.UnescapeDataString($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}");
        byte[] signed = [.. Encoding.UTF8.GetBytes(request.Method + uri), .. body, .. Encoding.UTF8.GetBytes(stamp)];
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        if (!SameBase64(signature, expected))
        {
            return new("X-HubSpot-Signature-v3", "does not match the body with this connector's app secret");
        }

        deliveryKey = $"hs:{stamp}:{signature}";
        return Replayed(deliveryKey);
    }

    /// <summary>Remembers a delivery answered 2xx, until its timestamp leaves the window (a replay after that is stale).</summary>
    public void Taken(string deliveryKey)
    {
        var now = time.GetUtcNow();
        _taken[deliveryKey] = now;
        if (_taken.Count > 10_000)
        {
            foreach (var (k, at) in _taken)
            {
                if (now - at > options.Tolerance * 2)
                {
                    _taken.TryRemove(k, out _);
                }
            }
        }
    }

    private SignatureRefusal? Replayed(string deliveryKey) =>
        _taken.ContainsKey(deliveryKey) ? new("signature", "this signed delivery was already taken (a replay); a retry must be signed afresh") : null;

    private string? Stale(DateTimeOffset signedAt)
    {
        var now = time.GetUtcNow();
        return signedAt < now - options.Tolerance ? $"signed {(now - signedAt).TotalSeconds:F0} s ago, more than the {options.Tolerance.TotalSeconds:F0} s allowed"
            : signedAt > now + options.Tolerance ? $"signed {(signedAt - now).TotalSeconds:F0} s in the future, more than the {options.Tolerance.TotalSeconds:F0} s allowed"
            : null;
    }

    private static bool SameBase64(string presented, byte[] expected)
    {
        Span<byte> bytes = stackalloc byte[64];
        return Convert.TryFromBase64String(presented.Trim(), bytes, out var written)
            && CryptographicOperations.FixedTimeEquals(bytes[..written], expected);
    }
}
