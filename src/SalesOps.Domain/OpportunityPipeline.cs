namespace SalesOps.Domain;

/// <summary>The effect of one accepted opportunity event: contribution before and after.</summary>
public sealed record OpportunityChange(OpportunityContribution? Before, OpportunityContribution After, bool BecameWon)
{
    /// <summary>
    /// The pipeline movements the event added or took back (a late event re-dates the deal's history), each for the rep
    /// it belongs to (<see cref="PipelineHistory"/>).
    /// </summary>
    public IReadOnlyList<(string RepId, CreditItem Item)> Moves { get; init; } = [];
}

/// <summary>The deal's part in pipeline over time: its history and the movements each event adds (ADR 0021).</summary>
public sealed partial class OpportunityState
{
    private PipelineHistory _history;

    /// <summary>The deal's history as far as new events can still change it (pipeline over time).</summary>
    public PipelineHistory History => _history;

    /// <summary>Starts an event's movements: those of the history before it, taken back.</summary>
    private Dictionary<(string Rep, CreditItem Item), long> MovesBefore(StageTable stages)
    {
        var moves = t_moves ??= new();
        moves.Clear();
        _history.Moves(stages, -1, moves);
        return moves;
    }

    /// <summary>
    /// Ends an event's movements: adds those of the history after it, nets them against those taken back, and folds
    /// the steps no new event can be placed before (the de-dup horizon) into the history's base.
    /// </summary>
    private List<(string RepId, CreditItem Item)> MovesAfter(StageTable stages, Dictionary<(string Rep, CreditItem Item), long> moves)
    {
        _history.Moves(stages, 1, moves);
        _history.Forget(_seen.Horizon);
        return NetMoves(moves);
    }

    /// <summary>
    /// The history from a snapshot. A snapshot written before pipeline histories were kept restores none: the deal's
    /// earlier movements were never counted, so it must make none later either (a win or a push would retract an entry
    /// never made), and it stays out of every waterfall.
    /// </summary>
    private void RestoreHistory(PipelineHistoryMemento? memento)
    {
        _history = memento is { } history ? history.ToHistory() : default;
        _history.Forget(_seen.Horizon);
    }

    /// <summary>Reused per thread: the movements before and after an event, netted (a deal book applies many events).</summary>
    [ThreadStatic]
    private static Dictionary<(string Rep, CreditItem Item), long>? t_moves;

    private static List<(string RepId, CreditItem Item)> NetMoves(Dictionary<(string Rep, CreditItem Item), long> moves)
    {
        List<(string, CreditItem)>? net = null;
        foreach (var ((rep, item), value) in moves)
        {
            if (value != 0)
            {
                (net ??= []).Add((rep, item with { Value = value }));
            }
        }

        return net ?? [];
    }

    /// <summary>
    /// Credit items to send: per rep, the items to add (negated "before" items are retractions).
    /// </summary>
    public static IReadOnlyList<(string RepId, List<CreditItem> Items)> Deltas(OpportunityChange change)
    {
        var result = new List<(string RepId, List<CreditItem> Items)>(2);
        if (change.Before is { } before)
        {
            if (before.OwnerRepId == change.After.OwnerRepId)
            {
                var net = Net(before.Items, change.After.Items);
                if (net.Count > 0)
                {
                    result.Add((before.OwnerRepId, net));
                }

                return WithMoves(result, change.Moves);
            }

            result.Add((before.OwnerRepId, before.Items.Select(i => i.Negate()).ToList()));
        }

        result.Add((change.After.OwnerRepId, change.After.Items.ToList()));
        return WithMoves(result, change.Moves);
    }

    /// <summary>Adds the pipeline movements to the list of the rep each belongs to.</summary>
    private static List<(string RepId, List<CreditItem> Items)> WithMoves(List<(string RepId, List<CreditItem> Items)> result, IReadOnlyList<(string RepId, CreditItem Item)> moves)
    {
        foreach (var (rep, item) in moves)
        {
            var at = result.FindIndex(r => r.RepId == rep);
            if (at < 0)
            {
                result.Add((rep, []));
                at = result.Count - 1;
            }

            result[at].Items.Add(item);
        }

        return result;
    }
}
