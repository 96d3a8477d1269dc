using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using SalesOps.Runtime;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains.Durability;

namespace SalesOps.Engine.Tests.Journal;

/// <summary>
/// The stored journal format (ADR 0011): entries written by earlier builds and by this one keep replaying, an older
/// schema version of an entry is upcast, and events cross grain boundaries as the domain's own records.
/// </summary>
public sealed class JournalFormatTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private static readonly Serializer Serializer = Services.GetRequiredService<Serializer>();

    private static JournalFormat Format(params JournalUpcaster<JournalEntry>[] upcasters) => new(Serializer, upcasters);

    private static IEnumerable<Type> EventTypes() =>
        typeof(SalesEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(SalesEvent)) && !t.IsAbstract);

    [Fact]
    public void CurrentFormatFixtures_ReadBackAsTheEntriesTheyWereWrittenFrom()
    {
        var format = Format();
        foreach (var (file, expected) in JournalFixtures.All("fx-"))
        {
            var stored = File.ReadAllBytes(Path.Combine(JournalFixtures.Folder("v1"), file));
            AssertSameEntry(expected, format.Read(stored), file);
        }
    }

    [Fact]
    public void CurrentFormatFixtures_AreWhatThisBuildWrites()
    {
        // A change to a surrogate or entry that alters the bytes must come with a new version (and new fixtures).
        var format = Format();
        foreach (var (file, entry) in JournalFixtures.All("fx-"))
        {
            var path = Path.Combine(JournalFixtures.Folder("v1"), file);
            if (!File.Exists(path) && Environment.GetEnvironmentVariable("SALESOPS_WRITE_FIXTURES") == "1")
            {
                // CONTRIBUTING.md, "Adding an event": a new event's fixture is written once by this build, then checked in.
                File.WriteAllBytes(Path.Combine(SourceFolder(), "..", "TestData", "journal", "v1", file), format.Write(entry));
                continue;
            }

            if (JournalFixtures.IsSuperseded(entry))
            {
                // Read by CurrentFormatFixtures_ReadBackAsTheEntriesTheyWereWrittenFrom; this build writes the later version.
                Assert.True(JournalFormat.Describe(format.Write(entry)).Version > JournalFixtures.VersionOf(entry), $"{file}: superseded, yet written in its version");
                continue;
            }

            Assert.True(
                File.ReadAllBytes(Path.Combine(JournalFixtures.Folder("v1"), file)).AsSpan().SequenceEqual(format.Write(entry)),
                $"{file}: this build writes different bytes for the same entry");
        }
    }

    [Fact]
    public void CurrentFormatFixtures_NameTheirTypeAndVersion()
    {
        foreach (var (file, entry) in JournalFixtures.All("fx-"))
        {
            var (name, version) = JournalFormat.Describe(File.ReadAllBytes(Path.Combine(JournalFixtures.Folder("v1"), file)));
            var expected = entry is EventAccepted e ? e.Event.GetType().Name : entry.GetType().Name;
            Assert.Equal((expected, JournalFixtures.VersionOf(entry)), (name, version));
        }
    }

    [Fact]
    public void LegacyEnvelopeFixtures_AreUpcastToTheDomainEvents()
    {
        var format = Format();
        foreach (var (file, expected) in JournalFixtures.All("", legacy: true))
        {
            var stored = File.ReadAllBytes(Path.Combine(JournalFixtures.Folder("legacy"), file));
            Assert.Equal(("legacy", 0), JournalFormat.Describe(stored));
            AssertSameEntry(expected, format.Read(stored), file);
        }
    }

    [Fact]
    public void Fixtures_CoverEveryEventType()
    {
        var covered = JournalFixtures.Events("").Select(e => e.GetType()).ToHashSet();
        Assert.All(EventTypes(), t => Assert.Contains(t, covered));
    }

    [Fact]
    public void EveryEventType_HasACurrentReader()
    {
        var readable = Format().Readable.Select(r => r.Name).ToHashSet();
        Assert.All(EventTypes(), t => Assert.Contains(t.Name, readable));
    }

    [Fact]
    public void OlderVersionOfAnEvent_IsUpcastByItsRegisteredUpcaster()
    {
        // A deliberate shape change, for the test: "version 0" of OpportunityWon stored the amount in major units as
        // a decimal; version 1 stores minor units as a long. The old entries stay readable through an upcaster.
        var v0 = Format(new JournalUpcaster<JournalEntry>(OpportunityWonSurrogate.Name, 0, (serializer, payload) =>
        {
            var (eventId, at, opportunityId, major) = serializer.Deserialize<(string, DateTimeOffset, string, decimal)>(payload);
            return new EventAccepted(new OpportunityWon(eventId, at, opportunityId, (long)(major * 100)));
        }));
        var stored = v0.Write(OpportunityWonSurrogate.Name, 0, ("won-1", JournalFixtures.At, "o-9", 3_100.25m));

        Assert.Equal((OpportunityWonSurrogate.Name, 0), JournalFormat.Describe(stored));
        var won = Assert.IsType<OpportunityWon>(Assert.IsType<EventAccepted>(v0.Read(stored)).Event);
        Assert.Equal(new OpportunityWon("won-1", JournalFixtures.At, "o-9", 310_025), won);
    }

    [Fact]
    public void OlderVersionWithoutUpcaster_FailsTheReplayNamingIt()
    {
        var stored = Format().Write(OpportunityWonSurrogate.Name, 0, ("won-1", JournalFixtures.At, "o-9", 1m));
        var ex = Assert.Throws<InvalidDataException>(() => Format().Read(stored));
        Assert.Contains("OpportunityWon version 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventsInAGrainCall_RoundTripAsTheirDomainRecords()
    {
        var events = JournalFixtures.Events("rt-");
        var back = Serializer.Deserialize<SalesEvent[]>(Serializer.SerializeToArray(events))!;
        Assert.Equal(events, back);
        Assert.Equal(events.Select(e => e.GetType()), back.Select(e => e.GetType()));
    }

    [Fact]
    public void EventsInAGrainCallWithinASilo_AreNotCopied()
    {
        // Records are immutable: a local call passes the same instances (no surrogate conversion per event).
        var copier = Services.GetRequiredService<DeepCopier>();
        var events = JournalFixtures.Events("cp-");
        var copy = copier.Copy(events);
        Assert.All(events.Zip(copy), pair => Assert.Same(pair.First, pair.Second));
        var defined = (RegionDefined)events[0];
        Assert.Same(defined, copier.Copy(defined));
    }

    private static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static void AssertSameEntry(JournalEntry expected, JournalEntry actual, string file)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        switch (expected)
        {
            case EventAccepted e:
                Assert.Equal(e.Event, ((EventAccepted)actual).Event);
                break;
            default:
                // Records with arrays compare by reference: compare their stored form instead.
                Assert.True(
                    Serializer.SerializeToArray(expected).AsSpan().SequenceEqual(Serializer.SerializeToArray(actual)),
                    $"{file}: read back differently");
                break;
        }
    }
}
