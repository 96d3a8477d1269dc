using V1 = SalesOps.Contracts.V1;

namespace SalesOps.LoadTests;

/// <summary>
/// The events of one run, reproducible: the structure (regions, reps, customers), then per stream its setup (targets,
/// first deals) and the measured batches. The engine run sends them live; the baselines replay exactly the same.
/// </summary>
public sealed class RunEvents(Company company, DateTime baseUtc)
{
    public Company Company { get; } = company;
    public DateTime BaseUtc { get; } = baseUtc;

    /// <summary>The month the figures are read for ("2026-11").</summary>
    public string Period => $"{BaseUtc:yyyy-MM}";

    public IEnumerable<V1.Event[]> Structure() => Company.StructureBatches(new EventClock(BaseUtc, Company.Settings.Streams));

    public StreamWorkload Stream(int stream) => new(Company, stream, BaseUtc, Company.Settings.Mix);

    /// <summary>A stream's events as sent: setup batches, then <paramref name="measuredBatches"/> measured batches.</summary>
    public IEnumerable<V1.Event[]> StreamBatches(int stream, long measuredBatches)
    {
        var workload = Stream(stream);
        foreach (var (events, _) in workload.SetupBatches())
        {
            yield return events;
        }

        for (var i = 0L; i < measuredBatches; i++)
        {
            yield return workload.NextBatch(Company.Settings.BatchSize).Events;
        }
    }
}
