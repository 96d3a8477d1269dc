using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Google.Protobuf;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Webhooks;

/// <summary>
/// A body that cannot be read as events: the 400 names the place (<c>[2].data.amount</c>) and why. A
/// <see cref="Retryable"/> one (a HubSpot stage or owner with no mapping yet) answers 503 instead, so the CRM keeps
/// the delivery until the mapping is configured.
/// </summary>
public sealed class DeliveryFormatException(string field, string message, bool retryable = false) : Exception(message)
{
    public string Field { get; } = field;

    public bool Retryable { get; } = retryable;
}

/// <summary>
/// The body of a <c>standard</c> connector's delivery, read as events: one event in its proto JSON form
/// (<c>salesops.v1.Event</c>), a JSON array of them, or CloudEvents 1.0 in structured or batch mode whose
/// <c>data</c> is such an event. A CloudEvent's <c>source</c> and <c>id</c> are its idempotency key: the event id
/// becomes <c>{source}#{id}</c> (a hash of them when longer than 128 characters), whatever <c>data</c> says, so a CRM
/// that re-sends the CloudEvent re-sends the same event.
/// </summary>
public static class StandardDelivery
{
    public const int MaxEventIdLength = 128;

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);
    private static readonly JsonEventFormatter CloudEvents = new();

    public static List<V1.Event> Parse(byte[] body, string? contentType)
    {
        var root = Json(body);

        var cloud = (contentType ?? "").StartsWith("application/cloudevents", StringComparison.OrdinalIgnoreCase)
            || IsCloudEvent(root) || (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && IsCloudEvent(root[0]));
        if (cloud)
        {
            return ParseCloudEvents(body, root);
        }

        return root.ValueKind switch
        {
            JsonValueKind.Object => [ParseEvent(root, "body")],
            JsonValueKind.Array => root.EnumerateArray().Select((e, i) => ParseEvent(e, $"[{i}]")).ToList(),
            _ => throw new DeliveryFormatException("body", "expected an event object, an array of events, or CloudEvents"),
        };
    }

    /// <summary>A delivery's body as JSON, or the 400 saying it is not.</summary>
    internal static JsonElement Json(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new DeliveryFormatException("body", $"not JSON: {ex.Message}");
        }
    }

    private static bool IsCloudEvent(JsonElement e) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("specversion", out _);

    private static List<V1.Event> ParseCloudEvents(byte[] body, JsonElement root)
    {
        IReadOnlyList<CloudEvent> events;
        try
        {
            events = root.ValueKind == JsonValueKind.Array
                ? CloudEvents.DecodeBatchModeMessage(body, new System.Net.Mime.ContentType("application/cloudevents-batch+json"), null)
                : [CloudEvents.DecodeStructuredModeMessage(body, new System.Net.Mime.ContentType("application/cloudevents+json"), null)];
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or JsonException)
        {
            throw new DeliveryFormatException("body", $"not CloudEvents 1.0: {ex.Message}");
        }

        var list = new List<V1.Event>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var place = root.ValueKind == JsonValueKind.Array ? $"[{i}]" : "body";
            var ce = events[i];
            if (ce.Data is not JsonElement data || data.ValueKind != JsonValueKind.Object)
            {
                throw new DeliveryFormatException($"{place}.data", "a CloudEvent's data must be a salesops.v1.Event as JSON (datacontenttype application/json)");
            }

            var e = ParseEvent(data, $"{place}.data");
            e.EventId = EventIdOf(ce.Source!.OriginalString, ce.Id!);
            list.Add(e);
        }

        return list;
    }

    /// <summary>The event id a CloudEvent stands for: <c>{source}#{id}</c>, or a hash of both when that is too long.</summary>
    public static string EventIdOf(string source, string id)
    {
        var plain = $"{source}#{id}";
        if (plain.Length <= MaxEventIdLength)
        {
            return plain;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{source}\0{id}"));
        return "ce-" + Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static V1.Event ParseEvent(JsonElement element, string place)
    {
        try
        {
            return Parser.Parse<V1.Event>(element.GetRawText());
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new DeliveryFormatException(place, $"not a salesops.v1.Event: {ex.Message}");
        }
        catch (InvalidJsonException ex)
        {
            throw new DeliveryFormatException(place, $"not a salesops.v1.Event: {ex.Message}");
        }
    }
}
