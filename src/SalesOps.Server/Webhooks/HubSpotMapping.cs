using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Webhooks;

/// <summary>
/// HubSpot's v3 webhook deliveries (a JSON array of subscription events) as our events. Deals are ours as
/// <c>hs-{objectId}</c> (opened by an import, since HubSpot's <c>deal.creation</c> carries no properties); each
/// HubSpot event becomes the event <c>hubspot-{portalId}-{eventId}</c> (HubSpot re-sends the same eventId on retries):
/// <list type="bullet">
/// <item><c>deal.propertyChange</c> of <c>dealstage</c>: a stage change to the mapped stage (<see cref="WebhookConnector.Stages"/>),
/// or a win or loss when the stage maps to <c>won</c> or <c>lost</c> (<c>closedwon</c> and <c>closedlost</c> do unless mapped);</item>
/// <item>of <c>amount</c>: an amount change, in the company currency;</item>
/// <item>of <c>hubspot_owner_id</c>: a reassignment to the mapped rep (<see cref="WebhookConnector.Owners"/>);</item>
/// <item>anything else (other properties, creations, deletions, contacts): nothing to count, so taken and ignored.</item>
/// </list>
/// A stage or owner with no mapping is answered 503 (retry), not 400: once the mapping is configured, HubSpot's next
/// retry is taken, so nothing is lost to a configuration gap.
/// </summary>
public sealed class HubSpotMapping(EngineSettings settings)
{
    public const string DealPrefix = "hs-";

    public List<V1.Event> Map(byte[] body, WebhookConnector connector)
    {
        var root = StandardDelivery.Json(body);

        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new DeliveryFormatException("body", "a HubSpot delivery is a JSON array of events");
        }

        var events = new List<V1.Event>();
        var i = 0;
        foreach (var item in root.EnumerateArray())
        {
            if (Map(item, $"[{i++}]", connector) is { } e)
            {
                events.Add(e);
            }
        }

        return events;
    }

    private V1.Event? Map(JsonElement item, string place, WebhookConnector connector)
    {
        var type = Text(item, "subscriptionType", place);
        if (type != "deal.propertyChange")
        {
            return null;
        }

        var property = Text(item, "propertyName", place);
        if (property is not ("dealstage" or "amount" or "hubspot_owner_id"))
        {
            return null;
        }

        var deal = DealPrefix + Scalar(item, "objectId", place);
        var value = item.TryGetProperty("propertyValue", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var e = new V1.Event
        {
            EventId = $"hubspot-{Scalar(item, "portalId", place)}-{Scalar(item, "eventId", place)}",
            OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(Number(item, "occurredAt", place))),
        };
        switch (property)
        {
            case "dealstage":
                var stage = connector.Stages.GetValueOrDefault(value) ?? value switch { "closedwon" => "won", "closedlost" => "lost", _ => null };
                if (stage is null)
                {
                    throw new DeliveryFormatException($"{place}.propertyValue", $"HubSpot stage '{value}' has no mapping (Webhooks:Connectors:<name>:Stages); the delivery is kept for a retry", retryable: true);
                }

                if (stage == "won")
                {
                    e.OpportunityWon = new V1.OpportunityWon { OpportunityId = deal };
                }
                else if (stage == "lost")
                {
                    e.OpportunityLost = new V1.OpportunityLost { OpportunityId = deal, Reason = $"HubSpot {value}" };
                }
                else
                {
                    e.OpportunityStageChanged = new V1.OpportunityStageChanged { OpportunityId = deal, StageId = stage };
                }

                break;
            case "amount":
                if (!decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) || amount <= 0 || amount > 1_000_000_000_000m)
                {
                    throw new DeliveryFormatException($"{place}.propertyValue", $"HubSpot amount '{value}' is not a positive number");
                }

                e.OpportunityAmountChanged = new V1.OpportunityAmountChanged
                {
                    OpportunityId = deal,
                    Amount = new V1.Money
                    {
                        CurrencyCode = settings.CurrencyCode,
                        MinorUnits = (long)decimal.Round(amount * (decimal)Math.Pow(10, Api.AlertText.DecimalsOf(settings.CurrencyCode))),
                    },
                };
                break;
            default:
                var rep = connector.Owners.GetValueOrDefault(value)
                    ?? throw new DeliveryFormatException($"{place}.propertyValue", $"HubSpot owner '{value}' has no mapping to a rep (Webhooks:Connectors:<name>:Owners); the delivery is kept for a retry", retryable: true);
                e.OpportunityReassigned = new V1.OpportunityReassigned { OpportunityId = deal, NewOwnerRepId = rep };
                break;
        }

        return e;
    }

    private static string Text(JsonElement item, string name, string place) =>
        item.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()!
            : throw new DeliveryFormatException($"{place}.{name}", $"{name} is required (a string)");

    private static string Scalar(JsonElement item, string name, string place) =>
        item.TryGetProperty(name, out var p) && p.ValueKind is JsonValueKind.Number or JsonValueKind.String ? p.ToString()
            : throw new DeliveryFormatException($"{place}.{name}", $"{name} is required");

    private static long Number(JsonElement item, string name, string place) =>
        item.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var n) ? n
            : throw new DeliveryFormatException($"{place}.{name}", $"{name} is required (Unix milliseconds)");
}
