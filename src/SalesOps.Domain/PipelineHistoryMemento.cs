using System.Text.Json.Serialization;

namespace SalesOps.Domain;

/// <summary>
/// A deal's pipeline history (<see cref="PipelineHistory"/>): its state at the de-dup horizon and the steps after it, in
/// stamp order. Absent in snapshots written before it existed: the deal then counts movements from its state as restored.
/// </summary>
internal sealed record PipelineHistoryMemento(bool Exists, int Stage, long Amount, string? Owner, DateOnly Close, DealStepMemento[] Steps)
{
    public static PipelineHistoryMemento Of(PipelineHistory h)
    {
        var steps = new List<DealStepMemento>(h.StepsKept);
        foreach (var s in h.Steps)
        {
            steps.Add(new DealStepMemento(s.Stamp.At, s.Stamp.EventId, s.Opens, s.Stage, s.Amount, s.Owner, s.Close));
        }

        return new(h.Base.Exists, h.Base.Stage, h.Base.Amount, h.Base.Owner, h.Base.Close, [.. steps]);
    }

    public PipelineHistory ToHistory() => PipelineHistory.Restore(
        new DealPoint(Exists, Stage, Amount, Owner, Close),
        Steps.Select(s => new DealStep(new EventStamp(s.At, s.EventId), s.Opens, s.Stage, s.Amount, s.Owner, s.Close)));
}

/// <summary>One step of a <see cref="PipelineHistoryMemento"/>: the registers one accepted event offered.</summary>
internal sealed record DealStepMemento(
    DateTimeOffset At,
    string EventId,
    bool Opens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Stage = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Amount = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Owner = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? Close = null);
