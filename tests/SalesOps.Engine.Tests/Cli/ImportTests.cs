using System.Globalization;
using System.Text;
using SalesOps.Server.Cli;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Cli;

/// <summary>The <c>import</c> command in-process (<see cref="Importer"/>) against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ImportTests(ServerFixture server) : IDisposable
{
    private const int Reps = 5;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static readonly string[] Types = ["call", "visit", "meeting", "proposal", "demo"];
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("salesops-import-");

    public void Dispose() => _folder.Delete(recursive: true);

    private ImportOptions Options(string file, ImportKind kind) => new(file, kind)
    {
        Server = server.Address,
        ProgressBar = false,
        Log = TextWriter.Null,
        BatchSize = 1_000,
    };

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string At(DateTimeOffset at) => at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A region and its reps, imported; returns the reps' ids.</summary>
    private async Task<string[]> SetUpRegionAsync(string prefix)
    {
        var regions = Write($"{prefix}/regions.csv", $"region_id,name,parent_region_id\n{prefix}-r,Region {prefix},\n");
        var reps = Enumerable.Range(0, Reps).Select(i => $"{prefix}-rep{i}").ToArray();
        var joined = At(TestClock.Start.AddDays(-40));
        var repsFile = Write($"{prefix}/reps.csv", "rep_id,name,region_id,role,style,occurred_at\n" + string.Concat(reps.Select((r, i) => $"{r},Rep {i} of {prefix},{prefix}-r,direct,hunter,{joined}\n")));
        Assert.Equal(0, (await Importer.RunAsync(Options(regions, ImportKind.Regions), CancellationToken.None).Within()).ExitCode);
        Assert.Equal(0, (await Importer.RunAsync(Options(repsFile, ImportKind.Reps), CancellationToken.None).Within()).ExitCode);
        return reps;
    }

    /// <summary>100,000 activities of five reps, in time order (as a backfill must be sent: docs/semantics.md).</summary>
    private string WriteActivities(string prefix, int rows)
    {
        var text = new StringBuilder("rep_id,type,duration_minutes,time_category,occurred_at\n");
        var first = TestClock.Start.AddHours(-30);
        for (var i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{prefix}-rep{i % Reps},{Types[i / Reps % Types.Length]},{i % 120},T{(i / 25 % 5) + 1},{At(first.AddSeconds(i))}\n");
        }

        return Write($"{prefix}/activities.csv", text.ToString());
    }

    private async Task<V1.Figures> RepFiguresAsync(string rep) =>
        (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = rep, Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline)).Figures;

    private async Task<V1.Figures> RegionFiguresAsync(string region) =>
        (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = region, Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline)).Figures;

    /// <summary>The activity figures that an import of activities moves, in a form to compare.</summary>
    private static string ActivityFigures(V1.Figures f) =>
        $"total {f.ActivityTotal}; " + string.Join(", ", f.Activities.OrderBy(a => a.Type).ThenBy(a => a.TimeCategory).Select(a => $"{a.Type}/{a.TimeCategory}={a.Count}"))
        + "; minutes " + string.Join("/", f.MinutesByTimeCategory);

    [Fact]
    public async Task LargeImport_InterruptedAndRunAgain_FiguresEqualOneCleanRunAndNothingCountedTwice()
    {
        const int rows = 100_000;
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var clean = $"clean{suffix}";
        var resumed = $"resumed{suffix}";
        var cleanReps = await SetUpRegionAsync(clean);
        var resumedReps = await SetUpRegionAsync(resumed);

        var cleanRun = await Importer.RunAsync(Options(WriteActivities(clean, rows), ImportKind.Activities), CancellationToken.None).Within(TimeSpan.FromSeconds(60));
        Assert.Equal((rows, rows, 0L, 0L), (cleanRun.Rows, cleanRun.Accepted, cleanRun.Duplicates, cleanRun.Rejected));

        // Interrupted part-way: cancelled a few milliseconds after the 40th batch was answered, so that the next one is
        // usually in flight — sent, perhaps applied, never answered.
        var file = WriteActivities(resumed, rows);
        using var interrupt = new CancellationTokenSource();
        ImportProgress? cut = null;
        var interrupted = Options(file, ImportKind.Activities) with
        {
            OnBatch = p =>
            {
                if (p.Batches == 40)
                {
                    cut = p;
                    interrupt.CancelAfter(TimeSpan.FromMilliseconds(2));
                }
            },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Importer.RunAsync(interrupted, interrupt.Token)).Within(TimeSpan.FromSeconds(60));
        Assert.NotNull(cut);
        Assert.True(cut.Accepted < rows);

        // As if the answers to the last batch had been lost as well (the batch applied, the resume point not moved):
        // the re-run sends those 1,000 rows again, and the server answers DUPLICATE for each.
        var state = file + ".import-state";
        var saved = await File.ReadAllLinesAsync(state);
        var done = long.Parse(saved[1], CultureInfo.InvariantCulture);
        Assert.True(done >= cut.Accepted, $"the resume point is where the answers stopped: after row {done}");
        await File.WriteAllLinesAsync(state, [saved[0], (done - 1_000).ToString(CultureInfo.InvariantCulture)]);

        var again = await Importer.RunAsync(Options(file, ImportKind.Activities), CancellationToken.None).Within(TimeSpan.FromSeconds(60));
        Assert.Equal(done - 1_000, again.ResumedAfter);
        Assert.Equal(rows, again.ResumedAfter + again.Rows);
        // The 1,000 rows answered before the cut are duplicates; so is the batch that was in flight at the cut when the
        // server had applied it (its answer lost), and then the resume point had not moved past it.
        Assert.Equal(0L, again.Rejected);
        Assert.True(again.Duplicates is 1_000 or 2_000, $"{again.Duplicates} duplicates: 1,000, plus the 1,000 in flight at the cut if they were applied");
        Assert.Equal(rows - (done - 1_000), again.Accepted + again.Duplicates);
        Console.WriteLine($"clean run: {cleanRun}; interrupted at {cut}; resumed: {again}");

        // Figures: the same as the clean run's, rep by rep and for the region; 100,000 activities, none twice.
        for (var i = 0; i < Reps; i++)
        {
            Assert.Equal(ActivityFigures(await RepFiguresAsync(cleanReps[i])), ActivityFigures(await RepFiguresAsync(resumedReps[i])));
        }

        Assert.Equal(rows, (await RepFiguresAsync(resumedReps[0])).ActivityTotal * Reps);
        string cleanRegion = "", resumedRegion = "";
        await Wait.UntilAsync(
            async () =>
            {
                cleanRegion = ActivityFigures(await RegionFiguresAsync($"{clean}-r"));
                resumedRegion = ActivityFigures(await RegionFiguresAsync($"{resumed}-r"));
                return cleanRegion == resumedRegion && (await RegionFiguresAsync($"{resumed}-r")).ActivityTotal == rows;
            },
            () => $"region figures: clean {cleanRegion}; resumed {resumedRegion}",
            TimeSpan.FromSeconds(20));

        // A third run finds the file done and sends nothing.
        var third = await Importer.RunAsync(Options(file, ImportKind.Activities), CancellationToken.None).Within();
        Assert.Equal((0L, 0L), (third.Rows, third.Accepted));
    }

    [Fact]
    public async Task BadRows_LandInTheRejectsFileWithRowFieldAndReason()
    {
        var prefix = $"bad{Guid.NewGuid().ToString("N")[..6]}";
        var reps = await SetUpRegionAsync(prefix);
        var at = At(TestClock.Start.AddHours(-1));
        var file = Write($"{prefix}/activities.csv", $"""
            rep_id,type,duration_minutes,time_category,occurred_at
            {reps[0]},call,15,T1,{at}
            {prefix}-nobody,call,15,T1,{at}
            {reps[0]},phone,15,T1,{at}
            {reps[0]},call,abc,T1,{at}
            {reps[0]},call,5000,T1,{at}
            {reps[0]},call,15,T1,
            {reps[1]},visit,60,T1,{at}

            """);
        var rejects = Path.Combine(_folder.FullName, prefix, "bad.csv");

        var result = await Importer.RunAsync(Options(file, ImportKind.Activities) with { RejectsFile = rejects }, CancellationToken.None).Within();

        Assert.Equal((7L, 2L, 5L, 1), (result.Rows, result.Accepted, result.Rejected, result.ExitCode));
        var lines = (await File.ReadAllLinesAsync(rejects)).Skip(1).Select(l => l.Split(',', 3)).OrderBy(l => int.Parse(l[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(
            [("2", "rep_id"), ("3", "type"), ("4", "duration_minutes"), ("5", "duration_minutes"), ("6", "occurred_at")],
            lines.Select(l => (l[0], l[1])));
        Assert.All(lines, l => Assert.False(string.IsNullOrWhiteSpace(l[2])));
        Assert.Contains("NotFound", lines[0][2], StringComparison.Ordinal);
        Assert.Contains("phone", lines[1][2], StringComparison.Ordinal);
        Assert.Contains("InvalidArgument", lines[3][2], StringComparison.Ordinal);
        Assert.Equal(1, (await RepFiguresAsync(reps[0])).ActivityTotal);
        Assert.Equal(1, (await RepFiguresAsync(reps[1])).ActivityTotal);
    }

    [Fact]
    public async Task DealsAsJsonLines_OpenTheDealsAndWinOrLoseThoseTheRowsSay()
    {
        var prefix = $"deals{Guid.NewGuid().ToString("N")[..6]}";
        var reps = await SetUpRegionAsync(prefix);
        var customers = Write($"{prefix}/customers.csv", $"customer_id,name\n{prefix}-acme,Acme\n");
        Assert.Equal(0, (await Importer.RunAsync(Options(customers, ImportKind.Customers), CancellationToken.None).Within()).ExitCode);
        var opened = At(TestClock.Start.AddHours(-5));
        var closed = At(TestClock.Start.AddHours(-1));
        string Row(string id, long amount, string status) =>
            $$"""{"opportunity_id":"{{prefix}}-{{id}}","owner_rep_id":"{{reps[0]}}","customer_id":"{{prefix}}-acme","amount":{{amount}},"stage_id":"quote_sent","expected_close":"2026-11-30","opened_at":"{{opened}}","status":"{{status}}","closed_at":"{{closed}}"}""";
        var file = Write($"{prefix}/deals.jsonl", string.Join('\n', Row("d1", 120_000, "won"), Row("d2", 50_000, "lost"), Row("d3", 70_000, "open")) + "\n");

        var first = await Importer.RunAsync(Options(file, ImportKind.Deals), CancellationToken.None).Within();
        var second = await Importer.RunAsync(Options(file, ImportKind.Deals) with { Restart = true }, CancellationToken.None).Within();

        Assert.Equal((3L, 5L, 0L), (first.Rows, first.Accepted, first.Rejected));
        Assert.Equal((3L, 0L, 5L), (second.Rows, second.Accepted, second.Duplicates));
        var figures = await RepFiguresAsync(reps[0]);
        Assert.Equal((120_000L, 1L, 1L, 1L, 70_000L), (figures.Bookings, figures.WonCount, figures.LostCount, figures.OpenCount, figures.OpenAmount));
    }
}
