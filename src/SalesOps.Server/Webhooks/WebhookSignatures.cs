using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SalesOps.Server.Webhooks;

/// <summary>Why a delivery's signature was refused: said in the 401 body, so whoever sets the webhook up can fix it.</summary>
public sealed record SignatureRefusal(string Header, string Reason);

/// <summary>What a delivery's headers claim, checked before its body is read; the body's HMAC is then computed over it.</summary>
public sealed record SignedDelivery(string DeliveryKey, byte[] Prefix, byte[] Suffix, string[] Signatures);

/// <summary>
/// The two signature schemes a delivery may carry, both HMAC-SHA256 over the raw body compared in constant time,
/// with the signed timestamp inside a window either side of now:
/// <list type="bullet">
/// <item>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds), <c>webhook-signature</c> (space-separated
/// <c>v1,&lt;base64&gt;</c>, any one may match) over <c>{id}.{timestamp}.{body}</c>, keyed by the base64 after <c>whsec_</c>;</item>
/// <item>HubSpot v3: <c>X-HubSpot-Signature-v3</c> = base64 HMAC over method + URI + body + <c>X-HubSpot-Request-Timestamp</c>
/// (Unix milliseconds), keyed by the app secret's UTF-8 bytes; the URI is the connector's <c>PublicUrl</c> when set
/// (behind a proxy that ends TLS), else the request's own.</item>
/// </list>
/// The headers are checked first (<see cref="CheckStandard"/>, <see cref="CheckHubSpot"/>), so a caller without a
/// plausible signature never gets the body read. A delivery whose signature was already taken with a 2xx answer is a
/// replay and is refused; senders sign each retry afresh (a new timestamp), and an unchanged re-send of a delivery that
/// was not answered 2xx is taken.
/// </summary>
/// <remarks>
/// Written here rather than taken from the StandardWebhooks package: the scheme is a dozen lines of the framework's
/// HMAC, the package verifies against the wall clock (no <see cref="TimeProvider"/>) and hides the message id this
/// class needs for replays, and HubSpot's scheme needs the same code anyway.
/// </remarks>
public sealed class WebhookSignatures(TimeProvider time, WebhookOptions options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _taken = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Key, DateTimeOffset At)> _takenOrder = new();

    public SignatureRefusal? CheckStandard(IHeaderDictionary headers, out SignedDelivery? delivery)
    {
        delivery = null;
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

        var candidates = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(c => c.StartsWith("v1,", StringComparison.Ordinal)).Select(c => c[3..]).Take(8).ToArray();
        if (candidates.Length == 0)
        {
            return new("webhook-signature", "no v1 signature");
        }

        delivery = new SignedDelivery($"sw:{id}:{stamp}", Encoding.UTF8.GetBytes($"{id}.{stamp}."), [], candidates);
        return Replayed(delivery.DeliveryKey);
    }

    public SignatureRefusal? CheckHubSpot(HttpRequest request, string publicUrl, out SignedDelivery? delivery)
    {
        delivery = null;
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

        // The URI as HubSpot called it: the connector's public URL (query included) when set, else this request's.
        var uri = publicUrl.Length > 0
            ? publicUrl + request.QueryString
            : $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}";
        delivery = new SignedDelivery($"hs:{stamp}:{signature}", Encoding.UTF8.GetBytes(request.Method + Uri.UnescapeDataString(uri)), Encoding.UTF8.GetBytes(stamp), [signature]);
        return Replayed(delivery.DeliveryKey);
    }

    /// <summary>The body's HMAC, prefix and suffix around it, against the signatures the headers carried.</summary>
    public static bool Matches(SignedDelivery delivery, byte[] key, byte[] body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(delivery.Prefix);
        hmac.AppendData(body);
        hmac.AppendData(delivery.Suffix);
        var expected = hmac.GetHashAndReset();
        var matched = false;
        foreach (var candidate in delivery.Signatures)
        {
            matched |= SameBase64(candidate, expected);
        }

        return matched;
    }

    /// <summary>Remembers a delivery answered 2xx, until its timestamp leaves the window (a replay after that is stale).</summary>
    public void Taken(string deliveryKey)
    {
        var now = time.GetUtcNow();
        if (_taken.TryAdd(deliveryKey, now))
        {
            _takenOrder.Enqueue((deliveryKey, now));
        }

        while (_takenOrder.TryPeek(out var oldest) && now - oldest.At > options.Tolerance * 2 && _takenOrder.TryDequeue(out oldest))
        {
            _taken.TryRemove(oldest.Key, out _);
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
        return presented.Length <= 88
            && Convert.TryFromBase64String(presented.Trim(), bytes, out var written)
            && CryptographicOperations.FixedTimeEquals(bytes[..written], expected);
    }
}
