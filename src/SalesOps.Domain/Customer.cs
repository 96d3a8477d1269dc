namespace SalesOps.Domain;

/// <summary>
/// A customer: orders (deals that stand won), lifetime value (Σ their amounts), collections, last order and last
/// contact. Orders are upserted per opportunity, so a reopened or reassigned deal never counts twice; payments
/// are de-duplicated by event id. The customer's first order (the earliest standing win; docs/semantics.md, "New
/// customers") is credited to its owner as a new customer, and when another order becomes the first, that credit
/// moves: <see cref="SetOrder"/> answers the retraction and the new credit. The activities that named the customer are
/// credited to their reps by customer group (<see cref="LogActivity"/>), and re-credited when a new first order changes
/// which of them came before the customer's first win (docs/semantics.md, "Activity direction").
/// </summary>
public sealed class CustomerState
{
    private readonly Dictionary<string, CustomerOrder> _orders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _payments = new(StringComparer.Ordinal);
    private readonly CustomerActivities _activities = new();
    private readonly KeyAccountRegister _keyAccount = new();

    /// <summary>The opportunity of the first order; null without orders. Derived from the orders, so never stored.</summary>
    private string? _first;

    public CustomerState(string id) => Id = id;

    public string Id { get; }
    public bool IsRegistered { get; private set; }
    public string RegisterEventId { get; private set; } = "";
    public string Name { get; private set; } = "";
    public DateTimeOffset RegisteredAt { get; private set; }

    /// <summary>
    /// A key account now (registration or the latest change, ADR 0022): its activities count in
    /// <see cref="CustomerGroup.KeyAccount"/>.
    /// </summary>
    public bool KeyAccount => _keyAccount.Value;

    /// <summary>Key-account changes the customer's window remembers.</summary>
    public int KeyAccountChangesRemembered => _keyAccount.ChangesRemembered;

    /// <summary>How many (rep, instant) entries of activities the customer keeps for re-classifying them.</summary>
    public int ActivityEntries => _activities.Count;
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
            orders.Add(opportunity, new OrderEntry(order.Amount, order.WonAt, order.OwnerRepId));
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
                _payments.ToArray(),
                KeyAccount ? true : null,
                _activities.ToMemento(),
                _keyAccount.ToMemento()),
            SnapshotJson.Default.CustomerMemento);
    }

    /// <summary>Restores a customer from <see cref="ToSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">Not a customer snapshot, an unknown format version, or corrupt.</exception>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="dedup">The de-dup window in force now, for the customer's key-account changes (default: the documented one).</param>
    public static CustomerState FromSnapshot(byte[] snapshot, DedupWindow? dedup = null)
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
        customer._keyAccount.Restore(m.KeyAccountChanges, m.KeyAccount ?? false, m.RegisteredAt, m.RegisterEventId, dedup ?? DedupWindow.Default);
        customer._activities.Restore(m.Activities);
        foreach (var (opportunity, order) in m.Orders)
        {
            customer._orders.Add(opportunity, new CustomerOrder(order.Amount, order.WonAt, order.Owner ?? ""));
        }

        customer._first = customer.FindFirst();

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
        _keyAccount.Registered(e);
        return Outcome.Accepted;
    }

    /// <summary>
    /// Applies a key-account change (ADR 0022) and answers, in <paramref name="credits"/>, what it moves: when the flag in
    /// force changes, every activity that named the customer moves from the old account group to the new one, credited
    /// to its rep at its instant.
    /// </summary>
    public Outcome ChangeKeyAccount(CustomerKeyAccountChanged e, DedupWindow dedup, out List<(string RepId, CreditItem[] Items)> credits)
    {
        credits = [];
        if (!IsRegistered)
        {
            return Outcome.NotFound("customer_id", $"customer '{Id}' is not registered");
        }

        var was = KeyAccount;
        var outcome = _keyAccount.Change(e, dedup, Id, out var flipped);
        if (flipped)
        {
            credits = _activities.Reaccount(was, KeyAccount);
        }

        return outcome;
    }

    /// <summary>The first order: the earliest win among the orders that stand, ties by opportunity id (ordinal).</summary>
    public (string OpportunityId, CustomerOrder Order)? FirstOrder => _first is { } id ? (id, _orders[id]) : null;

    /// <summary>
    /// Sets or clears the order that one opportunity contributes, and answers what that does to the new-customer
    /// credit: nothing while the first order stays as it was; otherwise the old first order's credit retracted from its
    /// owner (negative, at its own win time) and the new one's credited to its owner (see <see cref="NewCustomerCredit"/>).
    /// </summary>
    public IReadOnlyList<(string RepId, CreditItem[] Items)> SetOrder(string opportunityId, CustomerOrder? order)
    {
        var before = FirstOrder;
        if (_orders.Remove(opportunityId, out var old))
        {
            LifetimeValue -= old.Amount;
        }

        if (order is { } o)
        {
            _orders[opportunityId] = o;
            LifetimeValue += o.Amount;
        }

        // Only the changed order can take the first place; when it held it, any order may now.
        if (opportunityId == _first)
        {
            _first = FindFirst();
        }
        else if (order is { } placed && (_first is null || Precedes(opportunityId, placed, _first, _orders[_first])))
        {
            _first = opportunityId;
        }

        var after = FirstOrder;
        if (before == after)
        {
            return [];
        }

        var credits = _activities.Reclassify(before?.Order.WonAt, after?.Order.WonAt);
        if (before is { } b && NewCustomerCredit(b.Order, -1) is { } retracted)
        {
            credits.Add((b.Order.OwnerRepId, retracted));
        }

        if (after is { } a && NewCustomerCredit(a.Order, 1) is { } credited)
        {
            credits.Add((a.Order.OwnerRepId, credited));
        }

        return credits;
    }

    /// <summary>
    /// What a first order credits its owner, historical at its win time like its booking: one new customer and its
    /// amount as new-customer bookings (<paramref name="sign"/> −1 retracts them); null for an order stored without its
    /// owner by an earlier build, which nobody can be credited with.
    /// </summary>
    public static CreditItem[]? NewCustomerCredit(CustomerOrder order, int sign) =>
        order.OwnerRepId.Length == 0
            ? null
            :
            [
                new CreditItem(Figure.NewCustomers, 0, 0, sign, order.WonAt, null),
                new CreditItem(Figure.NewCustomerBookings, 0, 0, sign * order.Amount, order.WonAt, null),
            ];

    private string? FindFirst()
    {
        string? first = null;
        foreach (var (id, order) in _orders)
        {
            if (first is null || Precedes(id, order, first, _orders[first]))
            {
                first = id;
            }
        }

        return first;
    }

    /// <summary>Earlier win first (by instant, whatever the offset), then the smaller opportunity id (ordinal).</summary>
    private static bool Precedes(string id, CustomerOrder order, string otherId, CustomerOrder other)
    {
        var byTime = order.WonAt.UtcTicks.CompareTo(other.WonAt.UtcTicks);
        return byTime != 0 ? byTime < 0 : string.CompareOrdinal(id, otherId) < 0;
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

    /// <summary>
    /// Records an activity of <paramref name="repId"/> that named this customer and answers its credit to that rep: its
    /// count and minutes in the customer's account group and in its age group at <paramref name="at"/> (new until the
    /// first order's win, existing after it). Also records the contact.
    /// </summary>
    public CreditItem[] LogActivity(string repId, DateTimeOffset at, long minutes)
    {
        Contacted(at);
        return _activities.Add(repId, at, minutes, KeyAccount, FirstOrder?.Order.WonAt);
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
