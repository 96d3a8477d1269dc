using System.Globalization;

namespace SalesOps.Server.Cli;

/// <summary>
/// Where an import of a file stands: <c>&lt;file&gt;.import-state</c> holds the last row whose batch the server answered,
/// for the file as it was (its kind, length and modification time) and the server it went to. A run again resumes after it. Sending those rows
/// again would count nothing twice either (their event ids are the same), but an entity's de-duplication window is
/// bounded (docs/semantics.md, "De-duplication"): a re-sent event older than the window is refused as ambiguous
/// instead of answered DUPLICATE, so resuming where the server's answers stopped is what keeps a re-run clean.
/// </summary>
internal sealed class ImportState
{
    private readonly string _identity;

    private ImportState(string path, string identity)
    {
        Path = path;
        _identity = identity;
    }

    public string Path { get; }

    public static ImportState For(ImportOptions options)
    {
        var file = new FileInfo(options.File);
        var identity = string.Create(CultureInfo.InvariantCulture, $"{options.Kind} {options.Server} {file.Length} {file.LastWriteTimeUtc:O}");
        return new ImportState(file.FullName + ".import-state", identity);
    }

    /// <summary>The rows a previous run of this very file finished; 0 when none did, or the file has changed since.</summary>
    public async Task<long> RowsDoneAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return 0;
        }

        var lines = await File.ReadAllLinesAsync(Path, cancellationToken);
        return lines.Length == 2 && lines[0] == _identity && long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var done) ? done : 0;
    }

    public async Task SaveAsync(long rowsDone, CancellationToken cancellationToken)
    {
        var temporary = Path + ".tmp";
        await File.WriteAllLinesAsync(temporary, [_identity, rowsDone.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
        File.Move(temporary, Path, overwrite: true);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
