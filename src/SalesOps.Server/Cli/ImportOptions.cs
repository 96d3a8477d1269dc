using System.Globalization;

namespace SalesOps.Server.Cli;

/// <summary>What to import and where to.</summary>
public sealed record ImportOptions(string File, ImportKind Kind)
{
    /// <summary>"csv" or "jsonl"; null decides by the file's extension (.jsonl, .ndjson, .json: JSON lines).</summary>
    public string? Format { get; init; }

    /// <summary>Where refused and unreadable rows go; null: beside the file, as &lt;name&gt;.rejects.csv, made only when needed.</summary>
    public string? RejectsFile { get; init; }

    /// <summary>Events a batch (at most 5,000, the server's limit).</summary>
    public int BatchSize { get; init; } = 500;

    public string Server { get; init; } = ClientOptions.DefaultServer;

    /// <summary>The caller's key; null reads <c>SALESOPS_API_KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>A progress bar (true), plain progress lines (false), or by whether standard output is a terminal (null).</summary>
    public bool? ProgressBar { get; init; }

    /// <summary>Where plain progress lines and the summary go; null: standard output.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Ignore the resume point a previous run of this file left, and send every row again.</summary>
    public bool Restart { get; init; }

    /// <summary>Called after each acknowledged batch (tests use it to interrupt an import part-way).</summary>
    public Action<ImportProgress>? OnBatch { get; init; }
}

/// <summary>How an import stands: rows read, events accepted or already there (a won or lost deal row is two events), rows refused or unreadable.</summary>
public sealed record ImportProgress(long Rows, long Accepted, long Duplicates, long Rejected, long Batches, TimeSpan Elapsed)
{
    /// <summary>Batches (or their unavailable events) sent again: after a broken stream, UNAVAILABLE or RESOURCE_EXHAUSTED.</summary>
    public long Retries { get; init; }

    /// <summary>The row this run started after: where a previous run of the file stopped (0 for a run from the start).</summary>
    public long ResumedAfter { get; init; }

    /// <summary>0 when every row was taken or was already there; 1 when some were rejected.</summary>
    public int ExitCode => Rejected == 0 ? 0 : 1;

    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? Rows / Elapsed.TotalSeconds : 0;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Rows:N0} rows read, {Accepted:N0} accepted, {Duplicates:N0} duplicates, {Rejected:N0} rejected in {Elapsed.TotalSeconds:0.0} s ({RowsPerSecond:N0} rows/s)");
}
