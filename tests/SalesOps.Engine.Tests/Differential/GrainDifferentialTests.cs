using Xunit.Abstractions;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// The grains in memory mode against the from-scratch reference, with faults injected (see <see cref="GrainDifferential"/>).
/// Reproduce one seed: <c>SALESOPS_GRAIN_DIFF_SEED=17 dotnet test tests/SalesOps.Engine.Tests --filter FullyQualifiedName~MemoryGrainDifferentialTests</c>;
/// run more: <c>SALESOPS_GRAIN_DIFF_COUNT=2000</c>; fault rate: <c>SALESOPS_GRAIN_DIFF_FAULTS=0.1</c> (0 turns faults off);
/// ingest calls' fault rate: <c>SALESOPS_GRAIN_DIFF_INGEST_FAULTS=0.6</c> (calls rejected more often than the ingestor
/// retries, and settled by re-sending, become common);
/// sequences at a time: <c>SALESOPS_GRAIN_DIFF_PARALLEL</c>. A seed fixes the history and its batches; which calls fail
/// is drawn afresh each run (sequences share books, so a fault cannot be tied to one), so re-run a failing seed a few times.
/// </summary>
[Collection(MemoryDifferentialCollection.Name)]
public sealed class MemoryGrainDifferentialTests(MemoryDifferentialCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public Task RandomHistoriesThroughFaultyGrains_MatchFromScratchReference() =>
        new GrainDifferential(cluster, output).RunAsync(nameof(MemoryGrainDifferentialTests));
}

/// <summary>
/// The grains in postgres mode (journal, snapshots, membership on a throwaway PostgreSQL) against the from-scratch
/// reference, with faults injected — the call faults and, here only, activations killed mid-delivery
/// (<see cref="ActivationKills"/>: a sender killed with its message in flight, a receiver killed after it applied a
/// message and before it answered, a book killed while it delivers behind an ingest answer; half of them told to
/// finish promptly, so the deactivation neither delivers nor waits for its snapshot). Every figure, board and outcome
/// must still equal the reference's, so an effect lost or counted twice across a kill fails the run; the output
/// counts every fault by kind and method, and a long run must have produced each kind of kill, seen Orleans finish
/// the deactivations and the killed grains come back. Reproduce one seed: <c>SALESOPS_GRAIN_DIFF_SEED=100017 dotnet
/// test tests/SalesOps.Engine.Tests --filter FullyQualifiedName~PostgresGrainDifferentialTests</c>; kill rate:
/// <c>SALESOPS_GRAIN_DIFF_KILLS=0.02</c> (0 turns kills off; <c>SALESOPS_GRAIN_DIFF_FAULTS=0</c> leaves kills alone).
/// </summary>
[Collection(PostgresDifferentialCollection.Name)]
public sealed class PostgresGrainDifferentialTests(PostgresDifferentialCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public Task RandomHistoriesThroughFaultyGrains_MatchFromScratchReference() =>
        new GrainDifferential(cluster, output).RunAsync(nameof(PostgresGrainDifferentialTests));
}
