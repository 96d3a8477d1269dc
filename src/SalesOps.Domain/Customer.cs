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

    /// <summary>
    /// Everything this customer holds, as bytes: registration, orders per opportunity, lifetime value, collections,
    /// last contact and the payment keys already counted. <see cref="FromSnapshot"/> restores an exact copy.
    /// Compacts the order map (see <see cref="Snapshots"/>); call it where a mutating method may be called.
    /// </summary>
    public byte[] ToSnapshot()
    {
        var orders = new Dictionary<string, OrderEntry>(_orders.Count, StringComparer.Ordinal);
        foreach (var (opportunity, order) in Snapshots.Compact(_orders))
        {
            orders.Add(opportunity, new OrderEntry(order.Amount, order.WonAt));
        }

        return Snapshots.Write(
            new CustomerMemento(
                Snapshots.FormatVersion,
                Snapshots.CustomerKind,
                Id,
                IsRegistered,
                RegisterEventId,
                Name,
                RegisteredAt,
                LifetimeValue,
                Collections,
                LastContact,
                orders,
                _payments.ToArray()),
            SnapshotJson.Default.CustomerMemento);
    }

    /// <summary>Restores a customer from <see cref="ToSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">Not a customer snapshot, an unknown format version, or corrupt.</exception>
    public static CustomerState FromSnapshot(byte[] snapshot)
    {
        var m = Snapshots.Read(snapshot, Snapshots.CustomerKind, SnapshotJson.Default.CustomerMemento);
        var customer = new CustomerState(m.Id)
        {
            IsRegistered = m.IsRegistered,
            RegisterEventId = m.RegisterEventId,
            Name = m.Name,
            RegisteredAt = m.RegisteredAt,
            LifetimeValue = m.LifetimeValue,
            Collections = m.Collections,
            LastContact = m.LastContact,
        };
        foreach (var (opportunity, order) in m.Orders)
        {
            customer._orders.Add(opportunity, new CustomerOrder(order.Amount, order.WonAt));
        }

        customer._payments.UnionWith(m.Payments);
        return customer;
    }

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
