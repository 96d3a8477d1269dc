using SalesOps.Domain;
using Orleans.Concurrency;

namespace SalesOps.Abstractions;

/// <summary>A region, or (key "company") the company root: roll-up of counters and the region's leaderboards.</summary>
public interface IRegionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Wakes the grain after a restart or a silo loss: activation replays its journal, then it sends whatever it
    /// had queued for other grains.
    /// </summary>
    Task RecoverAsync();

    /// <summary>Applies <c>RegionDefined</c>; the parent must already be defined (checked by the caller).</summary>
    Task<EventOutcome> DefineAsync(RegionDefined e);

    Task<bool> IsDefinedAsync();

    Task<EventOutcome> SetTargetAsync(TargetSet e);

    /// <summary>Keeps a forecast submitted for the region (or, for the root, the company).</summary>
    Task<EventOutcome> SubmitForecastAsync(ForecastSubmitted e);

    /// <summary>Keeps the reference variables of one of the region's (or, for the root, the company's) year targets.</summary>
    Task<EventOutcome> RecordPlanningInputsAsync(PlanningInputsRecorded e);

    /// <summary>
    /// Applies counter deltas and board changes from a rep book or child region (<paramref name="sender"/>), and passes
    /// them on to the parent. A merged roll-up carries the numbers <paramref name="firstSequence"/> to
    /// <paramref name="sequence"/> (equal when it is one message); it is ignored if any of them was already applied for
    /// that sender. <paramref name="acceptedAt"/> is when the earliest event behind it was accepted (UTC ticks, 0: not
    /// known), for the event-to-push latency metric only: never applied, journaled or stored.
    /// </summary>
    Task ApplyRollupAsync(string sender, long firstSequence, long sequence, Rollup rollup, long acceptedAt);

    /// <summary>
    /// Applies roll-ups of many senders (rep books) at once, each checked against its sender's last applied number, and
    /// commits them together; returns when all are applied and durable.
    /// </summary>
    Task ApplyRollupsAsync(RollupItem[] items);

    Task<RegionSnapshot> GetSnapshotAsync();

    /// <summary>
    /// The region's counters of one period, or null when the region is not defined: what a report of that period reads,
    /// without copying every counter of every period (the company's are many).
    /// </summary>
    Task<Counter[]?> GetCountersAsync(int period);

    Task<BoardSnapshot> GetLeaderboardAsync(int period, byte metric, int top, string aroundRepId, int around);

    /// <summary>Marks a board as watched for <paramref name="lease"/>: its changes are pushed and overtakes alerted.</summary>
    Task WatchBoardAsync(int period, byte metric, TimeSpan lease);

    /// <summary>Sends pending roll-ups to the parent now instead of at the next tick; returns when the parent has them.</summary>
    Task FlushAsync();

    /// <summary>Evaluates pace against targets now; raises alerts for targets that fell behind.</summary>
    Task CheckPaceAsync();
}

/// <summary>
/// A book of reps: every rep whose id hashes to this book (<see cref="RepBooks.Of"/>), each with its membership,
/// credited counters, targets and scores (ADR 0009). One call carries the events or credits of many reps of the book.
/// </summary>
public interface IRepBookGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Wakes the grain after a restart or a silo loss: activation replays its journal, then it sends whatever it
    /// had queued for other grains.
    /// </summary>
    Task RecoverAsync();

    /// <summary>
    /// Applies rep events of this book in order (one wave of a batch: joined, moved, activity, payment, rep target,
    /// for distinct reps) and answers one outcome each, once every accepted one is applied (and, in durable mode,
    /// committed); their roll-ups to the regions and contacts to customers are delivered behind the answer.
    /// </summary>
    Task<EventOutcome[]> ApplyAsync(SalesEvent[] events);

    /// <summary>
    /// Credits (or, negative, retracts) opportunities' contributions to reps of this book: many senders' messages at
    /// once (deal books and customers, through their silo's carrier), each applied rep by rep in order, checked against
    /// its sender's last applied number (a message any of whose numbers was applied is ignored), and committed together.
    /// Answers the places of the items refused because the book is over its back-pressure bound (their senders keep them
    /// and retry); the rest are applied and durable.
    /// </summary>
    Task<int[]> CreditAsync(CreditsItem[] items);

    /// <summary>Delivers what the book has queued for regions and customers; returns when it is sent (or failed and will be retried).</summary>
    Task FlushAsync();

    /// <summary>Whether the rep has joined (a rep of this book).</summary>
    Task<bool> IsJoinedAsync(string repId);

    /// <summary>
    /// Every rep of this book who has left the company. Not interleaved: an opportunity book asks it before giving a
    /// deal or a win to a rep, and must see a leave accepted before its call.
    /// </summary>
    Task<RepDeparture[]> GetDeparturesAsync();

    /// <summary>A rep of this book; <c>Joined</c> is false for one that never joined.</summary>
    Task<RepSnapshot> GetSnapshotAsync(string repId);

    /// <summary>A rep's counters of one period, or null when the rep never joined.</summary>
    Task<Counter[]?> GetCountersAsync(string repId, int period);

    /// <summary>
    /// Display name and current region of each rep, in order (for leaderboard rows and alerts). Interleaved: a screen
    /// does not wait behind the book's ingest (the read is synchronous, so it sees state between two turns).
    /// </summary>
    [AlwaysInterleave]
    Task<RepProfile[]> GetProfilesAsync(string[] repIds);

    /// <summary>Evaluates pace against targets now, for every rep of the book that has targets; raises alerts for those that fell behind.</summary>
    Task CheckPaceAsync();
}

public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Wakes the grain after a restart or a silo loss: activation replays its journal, then it sends whatever it
    /// had queued for other grains.
    /// </summary>
    Task RecoverAsync();

    Task<EventOutcome> RegisterAsync(CustomerRegistered e);

    /// <summary>Applies a key-account change; its activities' re-credit to their reps is delivered behind the answer.</summary>
    Task<EventOutcome> ChangeKeyAccountAsync(CustomerKeyAccountChanged e);

    Task<bool> IsRegisteredAsync();

    /// <summary>
    /// Sets (or with null clears) the order one opportunity contributes, won by <paramref name="ownerRepId"/> (the
    /// deal's owner, credited when it is the customer's first order; "" from a message an earlier build queued); a
    /// <paramref name="sequence"/> already applied for <paramref name="sender"/> (a deal book) is ignored.
    /// </summary>
    Task SetOrderAsync(string opportunityId, string sender, long sequence, OrderRow? order, string ownerRepId);

    /// <summary>
    /// Applies contacts and payments from a rep book (<paramref name="sender"/>), in order: a payment counted once per
    /// (rep, event id), a contact kept if it is the latest. A merged message carries the numbers
    /// <paramref name="firstSequence"/> to <paramref name="sequence"/>; it is ignored if any of them was already applied.
    /// </summary>
    Task TouchAsync(string sender, long firstSequence, long sequence, CustomerTouch[] touches);

    Task<CustomerSnapshot> GetSnapshotAsync();
}

/// <summary>
/// A book of opportunities: every deal whose id hashes to this book (<see cref="OpportunityBooks.Of"/>). One grain
/// holds about a thousandth of all deals, so a million open deals cost a thousand activations, not a million.
/// </summary>
public interface IOpportunityBookGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Wakes the grain after a restart or a silo loss: activation replays its journal, then it sends whatever it
    /// had queued for other grains.
    /// </summary>
    Task RecoverAsync();

    /// <summary>
    /// Applies opportunity events of this book in order (one wave of a batch: events of distinct deals) and answers
    /// one outcome each, once every accepted one is journaled and its effects are queued.
    /// </summary>
    Task<EventOutcome[]> ApplyAsync(SalesEvent[] events);

    /// <summary>
    /// Activities logged against deals of this book, from a rep book's lane (messages <paramref name="firstSequence"/> to
    /// <paramref name="sequence"/>, applied once): joined with their deals (ADR 0023), their credits sent to the reps.
    /// </summary>
    Task TouchAsync(string sender, long firstSequence, long sequence, DealTouch[] touches);

    /// <summary>A deal of this book; <c>Opened</c> is false for one never opened.</summary>
    Task<OpportunitySnapshot> GetSnapshotAsync(string opportunityId);

    /// <summary>
    /// The book's open deals owned by any of <paramref name="repIds"/> (the orphaned-deals list asks it with the reps
    /// who left). Interleaved: a screen does not wait behind the book's ingest (the read is synchronous).
    /// </summary>
    [AlwaysInterleave]
    Task<OpenDeal[]> GetOpenDealsOfAsync(string[] repIds);

    /// <summary>
    /// The book's open deals at risk at <paramref name="now"/> (stalled, overdue or slipping; docs/semantics.md, "Deals
    /// that stall or slip"), in no particular order. The caller passes "now" so that every book answers for the same
    /// instant. Interleaved like <see cref="GetOpenDealsOfAsync"/>.
    /// </summary>
    [AlwaysInterleave]
    Task<AtRiskDeal[]> GetAtRiskDealsAsync(DateTimeOffset now);

    /// <summary>Raises the at-risk alerts due now by the engine clock (what the book's timer does every check interval).</summary>
    Task CheckRiskAsync();
}

/// <summary>Which book holds a deal: a fixed spread of opportunity ids over <see cref="Count"/> grains.</summary>
public static class OpportunityBooks
{
    /// <summary>
    /// The number of books. Part of the stored layout in durable mode (journal streams are per book): changing it
    /// needs the deals re-shelved, so it is a constant, not a setting.
    /// </summary>
    public const int Count = 1024;

    public static long Of(string opportunityId) => BookHash.Of(opportunityId, Count);
}

/// <summary>Which book holds a rep: a fixed spread of rep ids over <see cref="Count"/> grains (ADR 0009).</summary>
public static class RepBooks
{
    /// <summary>
    /// The number of books. About 80 reps a book at 5,000 reps, so a 500-event batch is about 64 calls instead of
    /// about 300, while 64 books still spread over the cores and silos. Part of the stored layout in durable mode
    /// (journal streams and snapshots are per book): changing it needs the reps re-shelved, so it is a constant, not
    /// a setting.
    /// </summary>
    public const int Count = 64;

    public static long Of(string repId) => BookHash.Of(repId, Count);
}

/// <summary>The hash that shelves entities into books.</summary>
internal static class BookHash
{
    /// <summary>FNV-1a over the id's UTF-16 code units: stable across processes and machines, unlike string.GetHashCode.</summary>
    public static long Of(string id, int count)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return hash % (uint)count;
    }
}

/// <summary>The company's alert log (key 0): numbers alerts, retains the latest, pushes them to every host.</summary>
public interface IAlertLogGrain : IGrainWithIntegerKey
{
    Task PublishAsync(AlertRecord[] alerts);

    /// <summary>Retained alerts with a sequence above <paramref name="afterSequence"/>, oldest first.</summary>
    Task<AlertRecord[]> ReadAfterAsync(long afterSequence, int max);

    /// <summary>The oldest retained and the latest sequence (0 and 0 before the first alert).</summary>
    Task<AlertRange> RangeAsync();
}

/// <summary>One per host: receives pushes and fans them out to that host's gRPC watchers.</summary>
public interface IPushHub : IGrainObserver
{
    [OneWay]
    Task OnBoardsChangedAsync(BoardSnapshot[] boards);

    [OneWay]
    Task OnAlertsAsync(AlertRecord[] alerts);
}

/// <summary>Directory of the hosts' push hubs (key 0). Hosts renew their registration; stale ones expire.</summary>
public interface IPushHubRegistryGrain : IGrainWithIntegerKey
{
    Task RegisterAsync(Guid hostId, IPushHub hub);

    Task UnregisterAsync(Guid hostId);

    Task<IPushHub[]> GetHubsAsync();
}

/// <summary>Stateless fan-out of board pushes to every host's hub, so no region waits on slow hosts.</summary>
public interface IPushNotifierGrain : IGrainWithIntegerKey
{
    [OneWay]
    Task PublishBoardsAsync(BoardSnapshot[] boards);
}

/// <summary>
/// The office screens' channels (key 0): each stored as the contract's <c>Channel</c> message in its binary form, by
/// name, so the contract stays their one representation. Rarely written, read when a screen connects and polled by
/// open screens.
/// </summary>
public interface IScreenChannelsGrain : IGrainWithIntegerKey
{
    /// <summary>Every stored channel, by name, with the version of the set (bumped by every change).</summary>
    Task<StoredChannels> GetAllAsync();

    Task PutAsync(string name, byte[] channel);

    /// <summary>False when no channel of that name was stored.</summary>
    Task<bool> DeleteAsync(string name);
}

/// <summary>The stored channels and a version that changes whenever any of them does.</summary>
[GenerateSerializer, Immutable, Alias("salesops.StoredChannels")]
public sealed record StoredChannels([property: Id(0)] long Version, [property: Id(1)] Dictionary<string, byte[]> Channels);
