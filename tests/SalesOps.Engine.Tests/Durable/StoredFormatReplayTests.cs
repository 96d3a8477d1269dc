using Npgsql;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Engine.Tests.Journal;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// Journal entries as earlier builds and this one stored them (the checked-in fixtures, ADR 0011) replay into real
/// grains on the durable cluster: put in a grain's stream, they rebuild its state on activation.
/// </summary>
[Collection(DurableClusterCollection.Name)]
public sealed class StoredFormatReplayTests(DurableClusterFixture fixture)
{
    [Theory]
    [InlineData("legacy", "")]
    [InlineData("v1", "fx-")]
    public async Task StoredRegionEntries_ReplayIntoTheRegion(string format, string prefix)
    {
        await StoreAsync($"region/{prefix}east", format, "01-event-RegionDefined.bin", "14-event-TargetSet.bin");

        var region = await fixture.Cluster.Client.GetGrain<IRegionGrain>(prefix + "east").GetSnapshotAsync().Within();

        Assert.True(region.Defined);
        Assert.Equal(("East", "company"), (region.Name, region.ParentId));
        var target = Assert.Single(region.Targets);
        Assert.Equal((202611, (byte)TargetMetric.Collections, 1_000_000L, 1_500_000L), (target.Period, target.Metric, target.MustAchieve, target.Stretch));
    }

    [Theory]
    [InlineData("legacy", "")]
    [InlineData("v1", "fx-")]
    public async Task StoredCustomerEntries_ReplayIntoTheCustomer(string format, string prefix)
    {
        await StoreAsync(
            $"customer/{prefix}acme", format,
            "04-event-CustomerRegistered.bin", "18-OrderReceived.bin", "20-PaymentCounted.bin", "21-ContactReceived.bin");

        var customer = await fixture.Cluster.Client.GetGrain<ICustomerGrain>(prefix + "acme").GetSnapshotAsync().Within();

        Assert.True(customer.Registered);
        Assert.Equal("Acme Ltd", customer.Name);
        Assert.Equal((1, 310_000L, 120_000L), (customer.Orders, customer.LifetimeValue, customer.Collections));
        Assert.Equal(JournalFixtures.At, customer.LastContact);
    }

    /// <summary>
    /// A stored <c>RepLeft</c> replays into a rep book: the rep is still joined, has left, and refuses a later event.
    /// The book's number is outside the 64 that ingest uses, so its stream holds the fixtures alone.
    /// </summary>
    [Fact]
    public async Task StoredRepLeft_ReplaysIntoTheRepBook()
    {
        const long book = 1_000_022;
        var company = fixture.Cluster.Client.GetGrain<IRegionGrain>(RegionState.CompanyId);
        var (joinMonth, leaveMonth) = (Period.Containing(DateOnly.FromDateTime(JournalFixtures.At.UtcDateTime)).Month, Period.Containing(DateOnly.FromDateTime(JournalFixtures.At.AddDays(30).UtcDateTime)).Month);
        async Task<(long Joined, long Left)> CompanyHeadcountAsync()
        {
            var figures = Counter.ToSet((await company.GetSnapshotAsync().Within()).Counters);
            return (figures.Get(Figure.Headcount, joinMonth), figures.Get(Figure.Headcount, leaveMonth));
        }

        var before = await CompanyHeadcountAsync();
        await StoreAsync($"repbook/{book}", "v1", "02-event-RepJoined.bin", "22-event-RepLeft.bin");
        var grain = fixture.Cluster.Client.GetGrain<IRepBookGrain>(book);

        var departure = Assert.Single(await grain.GetDeparturesAsync().Within());
        var rep = await grain.GetSnapshotAsync("fx-ann").Within();
        var later = await grain.ApplyAsync([new ActivityLogged("fx-late", JournalFixtures.At.AddDays(31), "fx-ann", "", ActivityType.Call, 5, TimeCategory.T1)]).Within();

        Assert.True(rep.Joined);
        Assert.Equal(("fx-ann", "Ann Lee", "fx-east", "fx-e-left"), (departure.RepId, departure.Name, departure.RegionId, departure.EventId));
        Assert.Equal(JournalFixtures.At.AddDays(30), departure.LeftAt);
        Assert.Equal((OutcomeCode.FailedPrecondition, "rep_id"), (later[0].ToOutcome().Code, later[0].ToOutcome().Field));

        // The replayed join and leave change the company's headcount (ADR 0021): +1 in the month of the join, -1 in
        // the month of the leave. Wait until they have rolled up, so that a test after this one that compares the
        // shared company root with what it sent itself does not see them arrive meanwhile.
        await grain.FlushAsync().Within();
        await Wait.UntilAsync(async () => await CompanyHeadcountAsync() == (before.Joined + 1, before.Left - 1), "the replayed join and leave reached the company's headcount");
    }

    /// <summary>
    /// Writes the fixture files as entries 1, 2, … of <paramref name="stream"/>, as the journal would have, in one
    /// transaction: a recovery sweep (started by another test's silo kill) wakes every stored stream, and one that came
    /// between two inserts activated the grain with the first entries only.
    /// </summary>
    private async Task StoreAsync(string stream, string format, params string[] files)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync().Within();
        await using var transaction = await connection.BeginTransactionAsync().AsTask().Within();
        for (var i = 0; i < files.Length; i++)
        {
            await using var insert = new NpgsqlCommand("INSERT INTO salesops_journal (stream, seq, entry) VALUES (@s, @q, @e)", connection, transaction);
            insert.Parameters.AddWithValue("s", stream);
            insert.Parameters.AddWithValue("q", (long)(i + 1));
            insert.Parameters.AddWithValue("e", await File.ReadAllBytesAsync(Path.Combine(JournalFixtures.Folder(format), files[i])).Within());
            await insert.ExecuteNonQueryAsync().Within();
        }

        await transaction.CommitAsync().Within();
    }
}
