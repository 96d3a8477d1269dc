using Xunit.Abstractions;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// The grains in memory mode against the from-scratch reference, with faults injected (see <see cref="GrainDifferential"/>).
/// Reproduce one seed: <c>SALESOPS_GRAIN_DIFF_SEED=17 dotnet test tests/SalesOps.Engine.Tests --filter FullyQualifiedName~MemoryGrainDifferentialTests</c>;
/// run more: <c>SALESOPS_GRAIN_DIFF_COUNT=2000</c>; fault rate: <c>SALESOPS_GRAIN_DIFF_FAULTS=0.1</c> (0 turns faults off);
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
/// reference, with faults injected. Reproduce one seed: <c>SALESOPS_GRAIN_DIFF_SEED=100017 dotnet test
/// tests/SalesOps.Engine.Tests --filter FullyQualifiedName~PostgresGrainDifferentialTests</c>.
/// </summary>
[Collection(PostgresDifferentialCollection.Name)]
public sealed class PostgresGrainDifferentialTests(PostgresDifferentialCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public Task RandomHistoriesThroughFaultyGrains_MatchFromScratchReference() =>
        new GrainDifferential(cluster, output).RunAsync(nameof(PostgresGrainDifferentialTests));
}
