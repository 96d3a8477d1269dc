using Orleans.Serialization;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Runtime;

namespace SalesOps.Grains.Durability;

/// <summary>
/// The stored format of the grains' journal entries (ADR 0011), on the runtime's <see cref="JournalCodec{TEntry}"/>:
/// each entry is a <see cref="StoredHeader"/> naming its type and schema version, then the payload: the Orleans binary
/// form of the event's surrogate (<see cref="EventConverter"/>) or of the entry record. An entry of the current version
/// is read by its codec; an older version by the <see cref="JournalUpcaster{TEntry}"/> registered for it; an entry
/// written before headers existed (first byte 0x30, the Orleans field header of the old envelope format) by
/// <see cref="LegacyJournal"/>.
/// </summary>
public sealed class JournalFormat : JournalCodec<JournalEntry>
{
    private readonly EventWriter _events;

    public JournalFormat(Serializer serializer, IEnumerable<JournalUpcaster<JournalEntry>> upcasters)
        : base(serializer)
    {
        _events = new EventWriter(this);
        var c = new EventConverter();
        Event<RegionDefinedSurrogate>(RegionDefinedSurrogate.Name, RegionDefinedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepJoinedSurrogate>(RepJoinedSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<RepJoinedSurrogate>(RepJoinedSurrogate.Name, RepJoinedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepMovedSurrogate>(RepMovedSurrogate.Name, RepMovedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<RepLeftSurrogate>(RepLeftSurrogate.Name, RepLeftSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<CustomerRegisteredSurrogate>(CustomerRegisteredSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<CustomerRegisteredSurrogate>(CustomerRegisteredSurrogate.Name, CustomerRegisteredSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<CustomerKeyAccountChangedSurrogate>(CustomerKeyAccountChangedSurrogate.Name, CustomerKeyAccountChangedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityOpenedSurrogate>(OpportunityOpenedSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<OpportunityOpenedSurrogate>(OpportunityOpenedSurrogate.Name, OpportunityOpenedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityStageChangedSurrogate>(OpportunityStageChangedSurrogate.Name, OpportunityStageChangedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityAmountChangedSurrogate>(OpportunityAmountChangedSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<OpportunityAmountChangedSurrogate>(OpportunityAmountChangedSurrogate.Name, OpportunityAmountChangedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityReassignedSurrogate>(OpportunityReassignedSurrogate.Name, OpportunityReassignedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityWonSurrogate>(OpportunityWonSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<OpportunityWonSurrogate>(OpportunityWonSurrogate.Name, OpportunityWonSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<OpportunityLostSurrogate>(OpportunityLostSurrogate.Name, OpportunityLostSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<ActivityLoggedSurrogate>(ActivityLoggedSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<ActivityLoggedSurrogate>(ActivityLoggedSurrogate.Name, ActivityLoggedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<PaymentReceivedSurrogate>(PaymentReceivedSurrogate.Name, PaymentReceivedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<TargetSetSurrogate>(TargetSetSurrogate.Name, 1, s => c.ConvertFromSurrogate(s));
        Event<TargetSetSurrogate>(TargetSetSurrogate.Name, TargetSetSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<ForecastSubmittedSurrogate>(ForecastSubmittedSurrogate.Name, ForecastSubmittedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        Event<PlanningInputsRecordedSurrogate>(PlanningInputsRecordedSurrogate.Name, PlanningInputsRecordedSurrogate.Version, s => c.ConvertFromSurrogate(s));
        // Version 1 of these lacks the dimension fields of Credit and Counter, which Orleans reads as their defaults.
        AddEntry<RepCreditsReceived>(RepCreditsReceived.Name, 1);
        AddEntry<RepCreditsReceived>(RepCreditsReceived.Name, RepCreditsReceived.Version);
        AddEntry<RollupReceived>(RollupReceived.Name, 1);
        AddEntry<RollupReceived>(RollupReceived.Name, RollupReceived.Version);
        AddEntry<RollupQueued>(RollupQueued.Name, 1);
        AddEntry<OrderReceived>(OrderReceived.Name, 1);
        AddEntry<OwnedOrderReceived>(OwnedOrderReceived.Name, 1);
        AddEntry<PaymentCounted>(PaymentCounted.Name, 1);
        AddEntry<ContactReceived>(ContactReceived.Name, 1);
        AddEntry<TouchesReceived>(TouchesReceived.Name, 1);
        AddEntry<DealTouchesReceived>(DealTouchesReceived.Name, 1);
        AddEntry<ForecastPeriodsClosed>(ForecastPeriodsClosed.Name, 1);
        AddUpcasters(upcasters);
    }

    /// <summary>Encodes an entry with its header.</summary>
    public override byte[] Write(JournalEntry entry) => entry.Write(this);

    /// <summary>Entries written before headers existed: the legacy envelope format (<see cref="LegacyJournal"/>).</summary>
    protected override JournalEntry ReadHeaderless(byte[] stored) => LegacyJournal.Read(Serializer, stored);

    /// <summary>The name and schema version a stored entry declares (<c>legacy</c>, 0 without a header).</summary>
    public static (string Name, int Version) Describe(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!StoredHeader.IsPresent(stored))
        {
            return ("legacy", 0);
        }

        var (name, version, _) = StoredHeader.Read(stored);
        return (name, version);
    }

    internal byte[] WriteEvent(SalesEvent e) => e.Accept(_events);

    private void Event<TSurrogate>(string name, int version, Func<TSurrogate, SalesEvent> convert)
        where TSurrogate : struct =>
        AddReader(name, version, payload => new EventAccepted(convert(Serializer.Deserialize<TSurrogate>(payload))));

    /// <summary>
    /// Every event under its surrogate's name and version: a new event type does not compile until it is here. An event
    /// that leaves a version's added fields unset is written in the version before it (EventSurrogatesV1.cs).
    /// </summary>
    private sealed class EventWriter(JournalFormat format) : ISalesEventVisitor<byte[]>
    {
        private static readonly EventConverter C = new();

        public byte[] Visit(RegionDefined e) => format.Write(RegionDefinedSurrogate.Name, RegionDefinedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepJoined e) => e.PhotoUrl.Length == 0
            ? format.Write(RepJoinedSurrogate.Name, 1, RepJoinedV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(RepJoinedSurrogate.Name, RepJoinedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepMoved e) => format.Write(RepMovedSurrogate.Name, RepMovedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(RepLeft e) => format.Write(RepLeftSurrogate.Name, RepLeftSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(CustomerRegistered e) => e.KeyAccount
            ? format.Write(CustomerRegisteredSurrogate.Name, CustomerRegisteredSurrogate.Version, C.ConvertToSurrogate(e))
            : format.Write(CustomerRegisteredSurrogate.Name, 1, CustomerRegisteredV1.Of(C.ConvertToSurrogate(e)));

        public byte[] Visit(CustomerKeyAccountChanged e) =>
            format.Write(CustomerKeyAccountChangedSurrogate.Name, CustomerKeyAccountChangedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityOpened e) => e.Cost is null
            ? format.Write(OpportunityOpenedSurrogate.Name, 1, OpportunityOpenedV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(OpportunityOpenedSurrogate.Name, OpportunityOpenedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityStageChanged e) =>
            format.Write(OpportunityStageChangedSurrogate.Name, OpportunityStageChangedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityAmountChanged e) => e.Cost is null
            ? format.Write(OpportunityAmountChangedSurrogate.Name, 1, OpportunityAmountChangedV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(OpportunityAmountChangedSurrogate.Name, OpportunityAmountChangedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityReassigned e) =>
            format.Write(OpportunityReassignedSurrogate.Name, OpportunityReassignedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityWon e) => e.Cost is null
            ? format.Write(OpportunityWonSurrogate.Name, 1, OpportunityWonV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(OpportunityWonSurrogate.Name, OpportunityWonSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(OpportunityLost e) => format.Write(OpportunityLostSurrogate.Name, OpportunityLostSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(ActivityLogged e) => e.OpportunityId.Length == 0
            ? format.Write(ActivityLoggedSurrogate.Name, 1, ActivityLoggedV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(ActivityLoggedSurrogate.Name, ActivityLoggedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(PaymentReceived e) => format.Write(PaymentReceivedSurrogate.Name, PaymentReceivedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(TargetSet e) => e.Dimension.IsNone
            ? format.Write(TargetSetSurrogate.Name, 1, TargetSetV1.Of(C.ConvertToSurrogate(e)))
            : format.Write(TargetSetSurrogate.Name, TargetSetSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(ForecastSubmitted e) =>
            format.Write(ForecastSubmittedSurrogate.Name, ForecastSubmittedSurrogate.Version, C.ConvertToSurrogate(e));

        public byte[] Visit(PlanningInputsRecorded e) =>
            format.Write(PlanningInputsRecordedSurrogate.Name, PlanningInputsRecordedSurrogate.Version, C.ConvertToSurrogate(e));
    }
}
