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
/// Each item is mapped on its own: one that cannot be is refused alone (<see cref="Item.Refusal"/>) and the others go
/// on. A stage or owner with no mapping is retryable (503), not final: once the mapping is configured, HubSpot's next
/// retry is taken, so nothing is lost to a configuration gap. A cleared amount or owner (an empty value) has no event of
/// ours and is ignored.
/// </summary>
public sealed class HubSpotMapping(EngineSettings settings)
{
    public const string DealPrefix = "hs-";

    /// <summary>One item of a delivery: the event it maps to, or why it cannot be taken.</summary>
    public sealed record Item(V1.Event? Event, DeliveryFormatException? Refusal, string Place);

    public List<Item> Map(byte[] body, WebhookConnector connector)
    {
        var root = StandardDelivery.Json(body);

        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new DeliveryFormatException("body", "a HubSpot delivery is a JSON array of events");
        }

        var items = new List<Item>();
        var i = 0;
        foreach (var item in root.EnumerateArray())
        {
            var place = $"[{i++}]";
            try
            {
                if (Map(item, place, connector) is { } e)
                {
                    items.Add(new Item(e, null, place));
                }
            }
            catch (DeliveryFormatException refused)
            {
                items.Add(new Item(null, refused, place));
            }
        }

        return items;
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
        if (value.Length == 0 && property is "amount" or "hubspot_owner_id")
        {
            return null; // cleared: nothing of ours says "no amount" or "no owner"
        }

        var occurredAt = Number(item, "occurredAt", place);
        if (occurredAt is < 0 or > 253_402_300_799_999)
        {
            throw new DeliveryFormatException($"{place}.occurredAt", $"occurredAt {occurredAt} is not a time");
        }

        var e = new V1.Event
        {
            EventId = $"hubspot-{Scalar(item, "portalId", place)}-{Scalar(item, "eventId", place)}",
            OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(occurredAt)),
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
