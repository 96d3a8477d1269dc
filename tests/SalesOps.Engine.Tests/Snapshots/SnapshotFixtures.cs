using SalesOps.Runtime;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Engine.Tests.Journal;
using SalesOps.Grains;
using SalesOps.Grains.Durability;

namespace SalesOps.Engine.Tests.Snapshots;

/// <summary>
/// The grain snapshots stored in <c>TestData/snapshots/v1</c>, written by the current format (ADR 0011): one of each
/// snapshot type, around domain state built by the in-process engine from the journal fixtures' events.
/// </summary>
internal static class SnapshotFixtures
{
    public const string Prefix = "fx-";

    public static string Folder(string format) => Path.Combine(AppContext.BaseDirectory, "TestData", "snapshots", format);

    /// <summary>The engine after the fixture company's events: a region, a rep, a customer and a won deal.</summary>
    public static InMemorySalesEngine Company()
    {
        var engine = new InMemorySalesEngine(new EngineOptions().ToSettings());
        var p = Prefix;
        var at = JournalFixtures.At;
        SalesEvent[] events =
        [
            new RegionDefined(p + "e-region", at, p + "east", "East", ""),
            new RepJoined(p + "e-join", at, p + "ann", "Ann Lee", p + "east", RepRole.Direct, RepStyle.Hunter),
            new CustomerRegistered(p + "e-cust", at, p + "acme", "Acme Ltd"),
            new OpportunityOpened(p + "e-open", at.AddMinutes(1), p + "o1", p + "ann", p + "acme", 250_000, "widgets", "direct", new DateOnly(2026, 12, 15), "quote_sent"),
            new OpportunityWon(p + "e-won", at.AddMinutes(2), p + "o1", 310_000),
            new PaymentReceived(p + "e-pay", at.AddMinutes(3), p + "ann", p + "acme", 120_000),
            new ActivityLogged(p + "e-act", at.AddMinutes(4), p + "ann", p + "acme", ActivityType.Demo, 45, TimeCategory.T2),
            new TargetSet(p + "e-target", at, TargetScope.Region, p + "east", new Period(202611), TargetMetric.Collections, 1_000_000, 1_500_000),
        ];
        foreach (var e in events)
        {
            var outcome = engine.Apply(e);
            if (!outcome.IsAccepted)
            {
                throw new InvalidOperationException($"fixture event {e.EventId}: {outcome.Message}");
            }
        }

        return engine;
    }

    /// <summary>
    /// A deal book whose deal was pushed out twice and has raised its stalled and slipping alerts: the fixture of the
    /// deal memento with its close history and alert state (<c>TestData/snapshots/v1-push-counts</c>), beside the
    /// <c>v1</c> one written before those existed.
    /// </summary>
    public static (OpportunityBookGrainSnapshot Snapshot, OpportunityState Deal) PushCounted()
    {
        var p = Prefix;
        var at = JournalFixtures.At;
        var settings = new EngineOptions().ToSettings();
        var deal = new OpportunityState(p + "o2", settings.Dedup);
        SalesEvent[] events =
        [
            new OpportunityOpened(p + "e-open2", at, p + "o2", p + "ann", p + "acme", 90_000, "widgets", "direct", new DateOnly(2026, 12, 15), "quote_sent"),
            new OpportunityStageChanged(p + "e-push1", at.AddDays(1), p + "o2", "quote_sent", new DateOnly(2027, 1, 20)),
            new OpportunityStageChanged(p + "e-push2", at.AddDays(2), p + "o2", "quote_sent", new DateOnly(2027, 2, 20)),
            new OpportunityStageChanged(p + "e-push3", at.AddDays(3), p + "o2", "quote_sent", new DateOnly(2027, 3, 20)),
        ];
        foreach (var e in events)
        {
            if (!deal.Apply(e, settings.Stages, out _).IsAccepted)
            {
                throw new InvalidOperationException($"fixture event {e.EventId} was not accepted");
            }
        }

        _ = deal.RiskAlerts(settings.Stages, settings.AtRisk, RiskInstant.Of(settings.Calendar, at.AddDays(40)));
        return (new OpportunityBookGrainSnapshot { Sequence = 4, Deals = [deal.ToSnapshot()], Credits = [], Orders = [] }, deal);
    }

    /// <summary>Each snapshot type with its file name.</summary>
    public static IEnumerable<(string File, IGrainSnapshot Snapshot)> All()
    {
        var engine = Company();
        var p = Prefix;
        var credits = new[] { new Credit(1, 2, 3, 400, JournalFixtures.At, null) };
        var rollup = new Rollup([new Counter(1, 202611, 2, 3, 500)], [new BoardChange(p + "ann", 7, true, false, [new Score(202611, 0, 500)])]);
        yield return ("OpportunityBookCheckpoint.bin", new OpportunityBookGrainSnapshot
        {
            Sequence = 9,
            Deals = [engine.Opportunities[p + "o1"].ToSnapshot()],
            Credits = [new OutboxLane<RepCredits[]>("17", 4, [(4, [new RepCredits(p + "ann", credits)])], new() { [4] = 3 })],
            Orders = [new OutboxLane<DealOrder>(p + "acme", 1, [(1, new DealOrder(p + "o1", new OrderRow(310_000, JournalFixtures.At)))])],
        });
        yield return ("RepBookCheckpoint.bin", new RepBookGrainSnapshot
        {
            Sequence = 12,
            Reps = [engine.Reps[p + "ann"].ToSnapshot()],
            Credits = new() { ["oppbook/3"] = 5 },
            Rollups = [new OutboxLane<Rollup>(p + "east", 9, [(9, rollup)])],
            Customers = [(p + "acme", new CustomerTouch(p + "ann", p + "e-pay", 120_000, null))],
        });
        yield return ("RegionCheckpoint.bin", new RegionGrainSnapshot
        {
            Sequence = 30,
            Domain = engine.Regions[p + "east"].ToSnapshot(),
            Inbox = new() { ["repbook/5"] = 9 },
            ToParent = [new OutboxLane<Rollup>("company", 2, [(2, rollup)])],
            PendingCounters = [new Counter(1, 202611, 2, 3, 500)],
            PendingBoards = [[new BoardChange(p + "ann", 8, true, true, [new Score(202611, 0, 810)])]],
        });
        yield return ("CustomerCheckpoint.bin", new CustomerGrainSnapshot
        {
            Sequence = 4,
            Domain = engine.Customers[p + "acme"].ToSnapshot(),
            Orders = new() { ["oppbook/3"] = 4 },
        });
    }
}
