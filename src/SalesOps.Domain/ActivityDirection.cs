namespace SalesOps.Domain;

/// <summary>
/// Which customer group an activity naming a customer counts in (the A dimension of
/// <see cref="Figure.CustomerActivityCount"/> and <see cref="Figure.CustomerActivityMinutes"/>). Every such activity
/// counts in two groups: key account or other account, and new or existing customer (docs/semantics.md, "Activity
/// direction").
/// </summary>
public enum CustomerGroup : short
{
    /// <summary>The customer is a key account (<see cref="CustomerRegistered.KeyAccount"/>).</summary>
    KeyAccount = 1,

    /// <summary>The customer is not a key account.</summary>
    OtherAccount = 2,

    /// <summary>The customer had no standing won deal won before the activity (prospects included).</summary>
    NewCustomer = 3,

    /// <summary>The customer has a standing won deal won before the activity.</summary>
    ExistingCustomer = 4,
}

/// <summary>
/// The activities that named one customer, kept by that customer so that their new/existing classification can be
/// re-derived when its first order changes: a win dated before an activity that arrives after it turns the activity
/// from new to existing, a reopened or lost first deal turns it back. Activities are kept per (rep, instant), summed:
/// the instant places a credit in its periods and in the rep's region then, so nothing finer is needed.
/// </summary>
public sealed class CustomerActivities
{
    private readonly Dictionary<(string RepId, long UtcTicks), (long Count, long Minutes)> _byRepAndInstant = new();

    public int Count => _byRepAndInstant.Count;

    /// <summary>The group of an activity at <paramref name="at"/>: existing when the first order was won strictly before it.</summary>
    public static CustomerGroup AgeGroup(long atUtcTicks, DateTimeOffset? firstWin) =>
        firstWin is { } won && won.UtcTicks < atUtcTicks ? CustomerGroup.ExistingCustomer : CustomerGroup.NewCustomer;

    /// <summary>Records one activity and answers its credit: its count and minutes in its account group and its age group.</summary>
    public CreditItem[] Add(string repId, DateTimeOffset at, long minutes, bool keyAccount, DateTimeOffset? firstWin)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byRepAndInstant, (repId, at.UtcTicks), out _);
        slot = (slot.Count + 1, slot.Minutes + minutes);
        var account = AccountGroup(keyAccount);
        var age = AgeGroup(at.UtcTicks, firstWin);
        return [.. Items(account, 1, minutes, at), .. Items(age, 1, minutes, at)];
    }

    /// <summary>
    /// What a change of the first order's win instant (<paramref name="before"/> to <paramref name="after"/>, null for
    /// none) does: each activity whose age group differs under the two moves its count and minutes from the old group to
    /// the new one, credited to the activity's rep at the activity's instant. Scans this customer's activities only.
    /// </summary>
    public List<(string RepId, CreditItem[] Items)> Reclassify(DateTimeOffset? before, DateTimeOffset? after)
    {
        var moves = new List<(string, CreditItem[])>();
        if (before?.UtcTicks == after?.UtcTicks)
        {
            return moves;
        }

        foreach (var ((repId, ticks), (count, minutes)) in _byRepAndInstant)
        {
            var was = AgeGroup(ticks, before);
            var now = AgeGroup(ticks, after);
            if (was != now)
            {
                var at = new DateTimeOffset(ticks, TimeSpan.Zero);
                moves.Add((repId, [.. Items(was, -count, -minutes, at), .. Items(now, count, minutes, at)]));
            }
        }

        return moves;
    }

    /// <summary>
    /// What a change of the key-account flag (<paramref name="wasKey"/> to <paramref name="isKey"/>) does: every activity
    /// moves its count and minutes from the old account group to the new one, credited to its rep at its instant.
    /// </summary>
    public List<(string RepId, CreditItem[] Items)> Reaccount(bool wasKey, bool isKey)
    {
        var moves = new List<(string, CreditItem[])>();
        if (wasKey == isKey)
        {
            return moves;
        }

        var (was, now) = (AccountGroup(wasKey), AccountGroup(isKey));
        foreach (var ((repId, ticks), (count, minutes)) in _byRepAndInstant)
        {
            var at = new DateTimeOffset(ticks, TimeSpan.Zero);
            moves.Add((repId, [.. Items(was, -count, -minutes, at), .. Items(now, count, minutes, at)]));
        }

        return moves;
    }

    private static CustomerGroup AccountGroup(bool keyAccount) => keyAccount ? CustomerGroup.KeyAccount : CustomerGroup.OtherAccount;

    private static CreditItem[] Items(CustomerGroup group, long count, long minutes, DateTimeOffset at) =>
    [
        new CreditItem(Figure.CustomerActivityCount, (short)group, 0, count, at, null),
        new CreditItem(Figure.CustomerActivityMinutes, (short)group, 0, minutes, at, null),
    ];

    internal List<CustomerActivityEntry>? ToMemento()
    {
        if (_byRepAndInstant.Count == 0)
        {
            return null;
        }

        var list = new List<CustomerActivityEntry>(_byRepAndInstant.Count);
        foreach (var ((repId, ticks), (count, minutes)) in Snapshots.Compact(_byRepAndInstant))
        {
            list.Add(new CustomerActivityEntry(repId, new DateTimeOffset(ticks, TimeSpan.Zero), count, minutes));
        }

        return list;
    }

    internal void Restore(List<CustomerActivityEntry>? entries)
    {
        foreach (var e in entries ?? [])
        {
            if (e.Count <= 0 || !_byRepAndInstant.TryAdd((e.Rep, e.At.UtcTicks), (e.Count, e.Minutes)))
            {
                throw new InvalidDataException($"Corrupt snapshot: activity of '{e.Rep}' at {e.At:O} is not positive or listed twice.");
            }
        }
    }
}

/// <summary>One (rep, instant) of a customer's activities in a snapshot.</summary>
internal sealed record CustomerActivityEntry(string Rep, DateTimeOffset At, long Count, long Minutes);
