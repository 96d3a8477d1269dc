using Orleans.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>Reminders through the ADO.NET reminder service and our queries.</summary>
[Collection(OrleansPostgresCollection.Name)]
public sealed class ReminderTests(OrleansPostgresFixture fixture)
{
    [Fact]
    public async Task GrainRegistersReminder_RowIsStoredAndUnregisterRemovesIt()
    {
        var grain = fixture.Client.GetGrain<IReminderProbeGrain>("reminder-" + Guid.NewGuid().ToString("N"));
        var grainId = grain.GetGrainId().ToString();

        await grain.RegisterAsync("nightly-rollup", TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(1)).WaitAsync(Limits.Call);

        var rows = await ReminderRowsAsync(grainId);
        var row = Assert.Single(rows);
        Assert.Equal("nightly-rollup", row[0]);
        Assert.Equal(60_000L, row[1]);
        Assert.Equal(["nightly-rollup"], await grain.GetReminderNamesAsync().WaitAsync(Limits.Call));

        Assert.True(await grain.UnregisterAsync("nightly-rollup").WaitAsync(Limits.Call));

        Assert.Empty(await ReminderRowsAsync(grainId));
        Assert.Empty(await grain.GetReminderNamesAsync().WaitAsync(Limits.Call));
    }

    [Fact]
    public async Task ReminderTable_UpsertsWithNewEtagsReadsByHashRangeAndDeletesOnlyTheCurrentVersion()
    {
        var table = fixture.SiloService<IReminderTable>();
        var grainId = GrainId.Create("reminderprobe", "table-" + Guid.NewGuid().ToString("N"));
        var startAt = DateTime.UtcNow.AddHours(2);
        var entry = new ReminderEntry { GrainId = grainId, ReminderName = "weekly", StartAt = startAt, Period = TimeSpan.FromMinutes(5) };

        var firstEtag = Assert.IsType<string>(await table.UpsertRow(entry).WaitAsync(Limits.Call));
        entry.Period = TimeSpan.FromMinutes(7);
        var secondEtag = Assert.IsType<string>(await table.UpsertRow(entry).WaitAsync(Limits.Call));

        Assert.NotEqual(firstEtag, secondEtag);
        var read = await table.ReadRow(grainId, "weekly").WaitAsync(Limits.Call);
        Assert.NotNull(read);
        Assert.Equal(secondEtag, read.ETag);
        Assert.Equal(TimeSpan.FromMinutes(7), read.Period);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.True((read.StartAt - startAt).Duration() < TimeSpan.FromMilliseconds(1));
        Assert.Contains((await table.ReadRows(grainId).WaitAsync(Limits.Call)).Reminders, r => r.ReminderName == "weekly");

        // (hash - 1, hash] holds the grain whether or not it wraps in signed order; (hash, hash - 1] never does.
        var hash = grainId.GetUniformHashCode();
        var around = await table.ReadRows(unchecked(hash - 1), hash).WaitAsync(Limits.Call);
        var allButIt = await table.ReadRows(hash, unchecked(hash - 1)).WaitAsync(Limits.Call);
        Assert.Contains(around.Reminders, r => r.GrainId == grainId);
        Assert.DoesNotContain(allButIt.Reminders, r => r.GrainId == grainId);

        Assert.False(await table.RemoveRow(grainId, "weekly", firstEtag).WaitAsync(Limits.Call));
        Assert.NotNull(await table.ReadRow(grainId, "weekly").WaitAsync(Limits.Call));
        Assert.True(await table.RemoveRow(grainId, "weekly", secondEtag).WaitAsync(Limits.Call));
        Assert.Null(await table.ReadRow(grainId, "weekly").WaitAsync(Limits.Call));
    }

    private Task<List<object?[]>> ReminderRowsAsync(string grainId) => Sql.RowsAsync(
        fixture.ConnectionString,
        "SELECT remindername, period FROM orleansreminderstable WHERE serviceid = @service AND grainid = @grain",
        ("service", fixture.ServiceId),
        ("grain", grainId));
}
