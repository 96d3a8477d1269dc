using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Grains.Durability;

/// <summary>
/// What a grain journals: every input that changed its state, in the order it was applied. Replaying the entries
/// through the same code rebuilds the state exactly, including the outbox numbering, so re-sent messages are
/// recognised downstream as repeats. Each entry is stored under its name and schema version
/// (<see cref="JournalFormat"/>, ADR 0011); the field ids of the records below are their stored version 1: never
/// renumber them.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Entry")]
public abstract record JournalEntry
{
    /// <summary>Encodes the entry with its name and version (every kind of entry must say how it is stored).</summary>
    internal abstract byte[] Write(JournalFormat format);
}

/// <summary>An event from ingest that the grain accepted: the domain's own record, stored as its surrogate's schema.</summary>
public sealed record EventAccepted(SalesEvent Event) : JournalEntry
{
    internal override byte[] Write(JournalFormat format) => format.WriteEvent(Event);
}

/// <summary>Credits from an opportunity book, applied to reps of a rep book (one message of the sender, in order).</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.RepCredits")]
public sealed record RepCreditsReceived([property: Id(0)] string Sender, [property: Id(1)] long Sequence, [property: Id(2)] RepCredits[] Credits) : JournalEntry
{
    internal const string Name = nameof(RepCreditsReceived);

    /// <summary>Version 2: a credit may be a dimension item (its kind and value); version 1 is read as having none.</summary>
    internal const int Version = 2;

    internal override byte[] Write(JournalFormat format) => format.Write(Name, Version, this);
}

/// <summary>A roll-up from a rep book or child region, applied to a region.</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Rollup")]
public sealed record RollupReceived([property: Id(0)] string Sender, [property: Id(1)] long Sequence, [property: Id(2)] Rollup Rollup) : JournalEntry
{
    internal const string Name = nameof(RollupReceived);

    /// <summary>Version 2: a counter may be a dimension counter (its kind and value); version 1 is read as having none.</summary>
    internal const int Version = 2;

    internal override byte[] Write(JournalFormat format) => format.Write(Name, Version, this);
}

/// <summary>A region moved what it had accumulated into its outbox to the parent.</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.RollupQueued")]
public sealed record RollupQueued : JournalEntry
{
    internal const string Name = nameof(RollupQueued);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>
/// An opportunity's order set on (or cleared from) a customer, without the rep it is credited to; written by builds
/// before new customers (ADR 0018), read only: such an order is credited to nobody.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Order")]
public sealed record OrderReceived(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string Sender,
    [property: Id(2)] long Sequence,
    [property: Id(3)] OrderRow? Order) : JournalEntry
{
    internal const string Name = nameof(OrderReceived);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>An opportunity's order set on (or cleared from) a customer, with the rep credited when it is the first order.</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.OwnedOrder")]
public sealed record OwnedOrderReceived(
    [property: Id(0)] string OpportunityId,
    [property: Id(1)] string Sender,
    [property: Id(2)] long Sequence,
    [property: Id(3)] OrderRow? Order,
    [property: Id(4)] string OwnerRepId) : JournalEntry
{
    internal const string Name = nameof(OwnedOrderReceived);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>Activities logged against deals, from a rep book, applied to a deal book's join (one message of the sender, in order).</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.DealTouches")]
public sealed record DealTouchesReceived([property: Id(0)] string Sender, [property: Id(1)] long Sequence, [property: Id(2)] DealTouch[] Touches) : JournalEntry
{
    internal const string Name = nameof(DealTouchesReceived);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>Contacts and payments from a rep book, applied to a customer (one message of the sender, in order).</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Touches")]
public sealed record TouchesReceived([property: Id(0)] string Sender, [property: Id(1)] long Sequence, [property: Id(2)] CustomerTouch[] Touches) : JournalEntry
{
    internal const string Name = nameof(TouchesReceived);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>
/// The engine's clock as a rep book read it when periods with forecast submissions had ended: every rep of the book scores
/// those periods from then on (docs/semantics.md, "Forecast submissions and accuracy"). Journaled because what the reps
/// send to the boards depends on it, so a replay must close the same periods at the same point of the journal.
/// </summary>
[GenerateSerializer, Immutable, Alias("salesops.j.ForecastClosed")]
public sealed record ForecastPeriodsClosed([property: Id(0)] DateTimeOffset Now) : JournalEntry
{
    internal const string Name = nameof(ForecastPeriodsClosed);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>A payment counted on a customer (once per rep and event id); written by earlier builds, read only.</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Payment")]
public sealed record PaymentCounted([property: Id(0)] string RepId, [property: Id(1)] string EventId, [property: Id(2)] long Amount) : JournalEntry
{
    internal const string Name = nameof(PaymentCounted);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}

/// <summary>A later last contact on a customer; written by earlier builds, read only.</summary>
[GenerateSerializer, Immutable, Alias("salesops.j.Contact")]
public sealed record ContactReceived([property: Id(0)] DateTimeOffset At) : JournalEntry
{
    internal const string Name = nameof(ContactReceived);

    internal override byte[] Write(JournalFormat format) => format.Write(Name, 1, this);
}
