namespace SalesOps.Domain;

/// <summary>Forecast category a stage's open deals count in.</summary>
public enum ForecastCategory : byte
{
    Pipeline = 0,
    BestCase = 1,
    Commit = 2,
    Closed = 3,
    Omitted = 4,
}

/// <summary>One row of the stage table.</summary>
/// <param name="Id">Stable identifier used in events (<c>quote_sent</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="ProbabilityPercent">Win probability, 0–100, used for the weighted pipeline.</param>
/// <param name="Category">Forecast category of open deals in this stage.</param>
public sealed record Stage(string Id, string Name, int ProbabilityPercent, ForecastCategory Category);

/// <summary>
/// The configurable funnel: open stages in process order, then the two closing stages won (100%) and lost (0%).
/// Stage indexes are positions in <see cref="Stages"/>; open stages come first, so "stage reached" is an
/// ordinal comparison. The default follows the seed documents (002): lead 10%, needs research 20%, quote sent 40%,
/// contract negotiation 60%, first review passed 80%, signing steps agreed 90%.
/// </summary>
public sealed class StageTable
{
    public const string WonId = "won";
    public const string LostId = "lost";

    private readonly Dictionary<string, int> _index;

    public StageTable(IReadOnlyList<Stage> openStages)
    {
        if (openStages.Count == 0)
        {
            throw new ArgumentException("The stage table needs at least one open stage.", nameof(openStages));
        }

        var all = new List<Stage>(openStages)
        {
            new(WonId, "Won", 100, ForecastCategory.Closed),
            new(LostId, "Lost", 0, ForecastCategory.Omitted),
        };
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < all.Count; i++)
        {
            var s = all[i];
            if (s.ProbabilityPercent is < 0 or > 100)
            {
                throw new ArgumentException($"Stage '{s.Id}' has probability {s.ProbabilityPercent}; it must be 0–100.", nameof(openStages));
            }

            if (!_index.TryAdd(s.Id, i))
            {
                throw new ArgumentException($"Stage '{s.Id}' appears twice.", nameof(openStages));
            }
        }

        Stages = all;
        OpenCount = openStages.Count;
    }

    public static StageTable Default { get; } = new(
    [
        new Stage("lead", "Lead", 10, ForecastCategory.Pipeline),
        new Stage("needs_research", "Needs research", 20, ForecastCategory.Pipeline),
        new Stage("quote_sent", "Quote sent", 40, ForecastCategory.BestCase),
        new Stage("contract_negotiation", "Contract negotiation", 60, ForecastCategory.BestCase),
        new Stage("first_review_passed", "First review passed", 80, ForecastCategory.Commit),
        new Stage("signing_steps_agreed", "Signing steps agreed", 90, ForecastCategory.Commit),
    ]);

    /// <summary>Open stages, then won, then lost.</summary>
    public IReadOnlyList<Stage> Stages { get; }

    public int OpenCount { get; }
    public int WonIndex => OpenCount;
    public int LostIndex => OpenCount + 1;

    public bool TryIndexOf(string? id, out int index) => _index.TryGetValue(id ?? "", out index);

    public bool IsOpen(int index) => index < OpenCount;

    /// <summary>Σ amount × probability over per-stage amount sums; exact in decimal.</summary>
    public decimal Weighted(Func<int, long> amountAtStage)
    {
        decimal total = 0;
        for (var i = 0; i < OpenCount; i++)
        {
            total += (decimal)amountAtStage(i) * Stages[i].ProbabilityPercent / 100m;
        }

        return total;
    }
}
