namespace SalesOps.Domain;

/// <summary>
/// A customer's key-account flag (ADR 0022): a last-writer-wins register over the customer's registration and its
/// <see cref="CustomerKeyAccountChanged"/> events, ordered by (occurred_at, event id), so the flag is a function of the
/// set of accepted events whatever order they arrived in. The changes are de-duplicated in the customer's own window
/// (docs/semantics.md, rule 3); the registration keeps its own id as before.
/// </summary>
public sealed class KeyAccountRegister
{
    private Lww<bool> _flag;

    /// <summary>Null until a change is accepted: most customers never change.</summary>
    private EventIdWindow? _seen;

    public bool Value => _flag.Value;

    /// <summary>Accepted changes remembered now (0 without any).</summary>
    public int ChangesRemembered => _seen?.Count ?? 0;

    /// <summary>Offers the registration's flag, stamped like any change.</summary>
    public void Registered(CustomerRegistered e) => _flag.Offer(e.KeyAccount, new EventStamp(e.OccurredAt, e.EventId));

    /// <summary>
    /// Applies a change of a registered customer: DUPLICATE for an id its window remembers, refused beyond the window,
    /// else accepted (taking effect only if it is the latest). <paramref name="flipped"/> says whether the flag changed.
    /// </summary>
    public Outcome Change(CustomerKeyAccountChanged e, DedupWindow dedup, string customer, out bool flipped)
    {
        flipped = false;
        var seen = _seen ??= new EventIdWindow(dedup);
        if (seen.Refuse(e.EventId, e.OccurredAt, $"customer '{customer}'") is { } refused)
        {
            return refused;
        }

        seen.Add(e.EventId, e.OccurredAt);
        var before = _flag.Value;
        _flag.Offer(e.KeyAccount, new EventStamp(e.OccurredAt, e.EventId));
        flipped = _flag.Value != before;
        return Outcome.Accepted;
    }

    /// <summary>The register's memento: null while no change was accepted (the registration alone says it then).</summary>
    internal KeyAccountMemento? ToMemento() =>
        _seen is null ? null : new KeyAccountMemento(_flag.Value, _flag.Stamp.At, _flag.Stamp.EventId, Snapshots.ToMemento(_seen));

    /// <summary>Restores the register: from its memento, or from the registration when there is none.</summary>
    internal void Restore(KeyAccountMemento? m, bool registeredFlag, DateTimeOffset registeredAt, string registerEventId, DedupWindow dedup)
    {
        if (m is null)
        {
            _flag = new Lww<bool> { Value = registeredFlag, Stamp = new EventStamp(registeredAt, registerEventId), HasValue = registerEventId.Length > 0 };
            return;
        }

        if (m.Dedup.Ids.Length != m.Dedup.At.Length)
        {
            throw new InvalidDataException("Corrupt customer snapshot: the columns of its key-account window differ in length.");
        }

        _flag = Snapshots.Register(m.Value, m.At, m.EventId, true);
        _seen = new EventIdWindow(dedup);
        _seen.Import(m.Dedup.Ids.Zip(m.Dedup.At, KeyValuePair.Create), m.Dedup.Horizon ?? long.MinValue);
    }
}

/// <summary>A customer's key-account register in a snapshot: the flag in force, its stamp, and the window of changes.</summary>
internal sealed record KeyAccountMemento(bool Value, DateTimeOffset At, string EventId, DedupMemento Dedup);
