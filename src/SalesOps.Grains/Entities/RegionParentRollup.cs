using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains;

/// <summary>
/// What a region has applied since its last tick and owes its parent: counter deltas summed per key, and each rep's
/// board changes in order. A tick cuts it into one roll-up for the parent's lane, so the parent receives one message
/// per child per tick instead of one per event (ADR 0002).
/// </summary>
internal sealed class RegionParentRollup
{
    private readonly FigureSet _counters = new();
    private readonly Dictionary<string, List<BoardUpdate>> _boards = new(StringComparer.Ordinal);
    private long _acceptedAt;

    public bool IsEmpty => _counters.IsEmpty && _boards.Count == 0;

    public void Add(Counter counter) => counter.AddTo(_counters);

    /// <summary>Adds every counter of <paramref name="set"/>, dimension counters included.</summary>
    public void Add(FigureSet set) => _counters.AddAll(set);

    /// <summary>When the earliest event behind the board updates added since the last <see cref="Take"/> was accepted (0: not known).</summary>
    public long AcceptedAt => _acceptedAt;

    /// <summary>Adds a board update whose earliest event was accepted at <paramref name="acceptedAt"/> (0: not known).</summary>
    public void Add(BoardUpdate update, long acceptedAt)
    {
        _acceptedAt = AcceptanceStamps.Earliest(_acceptedAt, acceptedAt);
        if (!_boards.TryGetValue(update.RepId, out var list))
        {
            list = new List<BoardUpdate>(1);
            _boards[update.RepId] = list;
        }

        list.Add(update);
    }

    /// <summary>The accumulated roll-up (each rep's board changes merged into one update), and an empty accumulator.</summary>
    public Rollup Take()
    {
        var boards = _boards.Values.Select(list => BoardChange.From(list.Count == 1 ? list[0] : RegionState.Merge(list))).ToArray();
        var rollup = new Rollup(Counter.From(_counters), boards);
        _counters.Clear();
        _boards.Clear();
        _acceptedAt = 0;
        return rollup;
    }

    public Counter[] ExportCounters() => Counter.From(_counters);

    public List<BoardChange[]> ExportBoards() => _boards.Values.Select(list => list.Select(BoardChange.From).ToArray()).ToList();

    public void Import(Counter[] counters, List<BoardChange[]> boards)
    {
        _counters.AddAll(Counter.ToSet(counters));
        foreach (var changes in boards.Where(c => c.Length > 0))
        {
            _boards[changes[0].RepId] = changes.Select(c => c.ToDomain()).ToList();
        }
    }
}
