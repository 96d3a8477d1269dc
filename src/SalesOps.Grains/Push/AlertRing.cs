using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// The latest alerts, numbered 1, 2, 3… and kept in a ring indexed by sequence number: adding drops the oldest
/// once full, and a page after any sequence number is read directly, without scanning what is retained.
/// </summary>
public sealed class AlertRing(int capacity)
{
    private readonly AlertRecord[] _slots = new AlertRecord[Math.Max(1, capacity)];

    /// <summary>The number of the latest alert; 0 before the first.</summary>
    public long Newest { get; private set; }

    /// <summary>The number of the oldest alert still kept; 0 before the first.</summary>
    public long Oldest => Newest == 0 ? 0 : Math.Max(1, Newest - _slots.Length + 1);

    /// <summary>Numbers the alert with the next sequence number, keeps it and returns it numbered.</summary>
    public AlertRecord Add(AlertRecord alert, Guid epoch)
    {
        var numbered = alert with { Sequence = ++Newest, Epoch = epoch };
        _slots[Slot(Newest)] = numbered;
        return numbered;
    }

    /// <summary>Up to <paramref name="max"/> kept alerts numbered after <paramref name="afterSequence"/>, oldest first.</summary>
    public AlertRecord[] ReadAfter(long afterSequence, int max)
    {
        if (Newest == 0)
        {
            return [];
        }

        var first = Math.Max(afterSequence + 1, Oldest);
        var page = new AlertRecord[(int)Math.Clamp(Newest - first + 1, 0, Math.Max(0, max))];
        for (var i = 0; i < page.Length; i++)
        {
            page[i] = _slots[Slot(first + i)];
        }

        return page;
    }

    private int Slot(long sequence) => (int)((sequence - 1) % _slots.Length);
}
