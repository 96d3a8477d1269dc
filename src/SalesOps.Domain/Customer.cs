namespace SalesOps.Domain;

/// <summary>
/// A customer: orders (deals that stand won), lifetime value (Σ their amounts), collections, last order and last
/// contact. Orders are upserted per opportunity, so a reopened or reassigned deal never counts twice; payments
/// are de-duplicated by event id.
/// </summary>
public sealed class CustomerState
{
    private readonly Dictionary<string, CustomerOrder> _orders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _payments = new(StringComparer.Ordinal);

    public CustomerState(string id) => Id = id;

    public string Id { get; }
    public bool IsRegistered { get; private set; }
    public string RegisterEventId { get; private set; } = "";
    public string Name { get; private set; } = "";
    public DateTimeOffset RegisteredAt { get; private set; }
    public int OrderCount => _orders.Count;
    public long LifetimeValue { get; private set; }
    public long Collections { get; private set; }
    public DateTimeOffset? LastContact { get; private set; }
    public IReadOnlyDictionary<string, CustomerOrder> Orders => _orders;

    /// <summary>Date of the latest order that stands; scans this customer's own orders only.</summary>
    public DateTimeOffset? LastOrder => _orders.Count == 0 ? null : _orders.Values.Max(o => o.WonAt);

    public Outcome Register(CustomerRegistered e)
    {
        if (IsRegistered)
        {
            return e.EventId == RegisterEventId
                ? Outcome.Duplicate
                : Outcome.Conflict("customer_id", $"customer '{Id}' was already registered by event '{RegisterEventId}'");
        }

        IsRegistered = true;
        RegisterEventId = e.EventId;
        Name = e.Name;
        RegisteredAt = e.OccurredAt;
        return Outcome.Accepted;
    }

    /// <summary>Sets or clears the order that one opportunity contributes.</summary>
    public void SetOrder(string opportunityId, CustomerOrder? order)
    {
        if (_orders.Remove(opportunityId, out var old))
        {
            LifetimeValue -= old.Amount;
        }

        if (order is { } o)
        {
            _orders[opportunityId] = o;
            LifetimeValue += o.Amount;
        }
    }

    /// <summary>
    /// Counts a payment once per (rep, event id): the same key the rep de-duplicates it by, so the customer's
    /// collections always equal the sum its reps were credited.
    /// </summary>
    public bool AddPayment(string repId, string eventId, long amount)
    {
        if (!_payments.Add(repId + "\u001f" + eventId))
        {
            return false;
        }

        Collections += amount;
        return true;
    }

    /// <summary>Records a contact; the latest one wins whatever the arrival order.</summary>
    public void Contacted(DateTimeOffset at)
    {
        if (LastContact is null || at > LastContact)
        {
            LastContact = at;
        }
    }
}
