using System.Diagnostics;
using System.Globalization;
using CsvHelper;
using Google.Rpc;
using Grpc.Core;
using Spectre.Console;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Cli;

/// <summary>
/// The <c>import</c> command's work, callable in-process: reads a file's rows, maps them to events, sends them in
/// batches on an <c>IngestService.Ingest</c> stream, re-sends what the server answers UNAVAILABLE for (with backoff, on a
/// new stream when the stream itself fails), and writes refused and unreadable rows to the rejects file with their row
/// number, field and reason. Event ids are deterministic (<see cref="ImportMapper"/>): a run cut short and run again
/// sends the same ids, and the server counts each event once.
/// </summary>
public sealed class Importer : IAsyncDisposable
{
    private const int MaxAttempts = 8;
    private readonly ImportOptions _options;
    private readonly Grpc.Net.Client.GrpcChannel _channel;
    private readonly Metadata _headers;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TextWriter _log;
    private AsyncDuplexStreamingCall<V1.IngestRequest, V1.IngestResponse>? _stream;
    private CsvWriter? _rejects;
    private StreamWriter? _rejectsFile;
    private long _rows, _accepted, _duplicates, _rejected, _batches;
    private long _lastRejectedRow = -1;
    private long _retries;

    private Importer(ImportOptions options)
    {
        _options = options;
        _channel = ClientOptions.Channel(options.Server);
        _headers = ClientOptions.Headers(options.ApiKey);
        _log = options.Log ?? Console.Out;
    }

    public ImportProgress Progress => new(_rows, _accepted, _duplicates, _rejected, _batches, _clock.Elapsed) { ResumedAfter = ResumedAfter, Retries = _retries };

    /// <summary>Imports <paramref name="options"/>' file; cancelling stops after the batch in flight (run again to resume).</summary>
    public static async Task<ImportProgress> RunAsync(ImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BatchSize, 5_000);
        await using var importer = new Importer(options);
        var bar = options.ProgressBar ?? (!Console.IsOutputRedirected && options.Log is null && AnsiConsole.Profile.Capabilities.Interactive);
        if (!bar)
        {
            await importer.ImportAsync(null, cancellationToken);
        }
        else
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    // Lines stand in for rows (a quoted field may span lines): close enough for a bar.
                    var task = context.AddTask("reading", maxValue: Math.Max(1, File.ReadLines(options.File).LongCount()));
                    await importer.ImportAsync(task, cancellationToken);
                    task.Value = task.MaxValue;
                });
        }

        var done = importer.Progress;
        if (done.Rows == 0 && done.ResumedAfter > 0)
        {
            await importer._log.WriteLineAsync($"import {options.Kind.ToString().ToLowerInvariant()} {options.File}: nothing to send, a previous run sent all {done.ResumedAfter:N0} rows (--restart sends them again)");
            return done;
        }

        await importer._log.WriteLineAsync($"import {options.Kind.ToString().ToLowerInvariant()} {options.File}: {done}");
        if (done.Rejected > 0)
        {
            await importer._log.WriteLineAsync($"rejected rows (row, field, reason): {importer.RejectsPath}");
        }

        return done;
    }

    private string RejectsPath => _options.RejectsFile ?? Path.ChangeExtension(_options.File, null) + ".rejects.csv";

    private async Task ImportAsync(ProgressTask? bar, CancellationToken cancellationToken)
    {
        var jsonLines = (_options.Format?.ToLowerInvariant() ?? Path.GetExtension(_options.File).ToLowerInvariant()) is "jsonl" or ".jsonl" or ".ndjson" or ".json";
        var currency = "";
        if (ImportMapper.NeedsCurrency(_options.Kind))
        {
            var table = await WithRetryAsync(
                () => new V1.QueryService.QueryServiceClient(_channel).GetStageTableAsync(new V1.GetStageTableRequest(), _headers, DateTime.UtcNow.AddSeconds(30), cancellationToken).ResponseAsync,
                cancellationToken);
            currency = table.CurrencyCode;
        }

        var state = ImportState.For(_options);
        var resumeAfter = _options.Restart ? 0 : await state.RowsDoneAsync(cancellationToken);
        ResumedAfter = resumeAfter;
        if (resumeAfter > 0)
        {
            await _log.WriteLineAsync($"import: resuming after row {resumeAfter:N0} ({state.Path}; --restart sends every row again)");
        }

        if (_options.RejectsFile is not null || resumeAfter > 0)
        {
            OpenRejects(append: resumeAfter > 0); // a new run starts the rejects afresh; a resumed one adds to them
        }

        var mapper = new ImportMapper(_options.Kind, currency);
        var batch = new List<(long Row, V1.Event Event)>(_options.BatchSize);
        var lastLine = Stopwatch.StartNew();
        long lastRow = resumeAfter;
        await foreach (var row in ImportRowReader.ReadAsync(_options.File, jsonLines, cancellationToken))
        {
            if (row.Number <= resumeAfter)
            {
                mapper.Skip(row);
                continue;
            }

            _rows++;
            IReadOnlyList<V1.Event> events;
            try
            {
                events = mapper.Map(row);
            }
            catch (RowException ex)
            {
                Reject(row.Number, "", ex.Field, ex.Reason);
                events = [];
            }

            // A row's events travel in one batch, so a batch answered means its rows are done (the resume point).
            if (batch.Count > 0 && batch.Count + events.Count > _options.BatchSize)
            {
                await SendAsync(batch, cancellationToken);
                batch.Clear();
                await state.SaveAsync(lastRow, cancellationToken);
                if (bar is not null)
                {
                    bar.Description = $"{_rows:N0} rows, {_accepted:N0} accepted, {_duplicates:N0} duplicates, {_rejected:N0} rejected";
                    bar.Value = Math.Min(bar.MaxValue, _rows + resumeAfter);
                }
                else if (_options.OnBatch is null && lastLine.Elapsed > TimeSpan.FromSeconds(2))
                {
                    await _log.WriteLineAsync($"import: {Progress}");
                    lastLine.Restart();
                }
            }

            batch.AddRange(events.Select(e => (row.Number, e)));
            lastRow = row.Number;
        }

        if (batch.Count > 0)
        {
            await SendAsync(batch, cancellationToken);
        }

        await state.SaveAsync(lastRow, cancellationToken);
        if (_stream is not null)
        {
            await _stream.RequestStream.CompleteAsync();
        }
    }

    /// <summary>The row a resumed run started after (0 for a run from the start).</summary>
    public long ResumedAfter { get; private set; }

    /// <summary>Sends one batch until every event is answered: accepted, duplicate or refused.</summary>
    private async Task SendAsync(List<(long Row, V1.Event Event)> batch, CancellationToken cancellationToken)
    {
        var pending = batch.ToList();
        for (var attempt = 0; pending.Count > 0; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attempt >= MaxAttempts)
            {
                throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, $"the server stayed unavailable for {MaxAttempts} attempts"));
            }

            if (attempt > 0)
            {
                _retries++;
                await Task.Delay(Backoff(attempt), cancellationToken);
            }

            V1.IngestResponse response;
            try
            {
                response = await SendOnStreamAsync(pending, cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("the import was cancelled", ex, cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.DeadlineExceeded)
            {
                // The stream is gone: whatever this batch did is unknown; a re-send answers DUPLICATE for what it did.
                ResetStream();
                if (ex.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay is { } delay)
                {
                    await Task.Delay(delay.ToTimeSpan(), cancellationToken);
                }

                continue;
            }

            var again = new List<(long Row, V1.Event Event)>();
            for (var i = 0; i < response.Results.Count && i < pending.Count; i++)
            {
                var result = response.Results[i];
                switch (result.Status)
                {
                    case V1.EventStatus.Accepted:
                        _accepted++;
                        break;
                    case V1.EventStatus.Duplicate:
                        _duplicates++;
                        break;
                    case V1.EventStatus.Unavailable or V1.EventStatus.Internal:
                        again.Add(pending[i]);
                        break;
                    default:
                        var field = Api.ApiErrors.FieldOf(result.Error);
                        var reason = result.Error?.GetDetail<ErrorInfo>()?.Reason;
                        Reject(pending[i].Row, pending[i].Event.EventId, field, $"{result.Status}: {result.Error?.Message}{(reason is null ? "" : $" ({reason})")}");
                        break;
                }
            }

            pending = again;
            if (again.Count == 0)
            {
                _batches++;
                _options.OnBatch?.Invoke(Progress);
            }
        }
    }

    private async Task<V1.IngestResponse> SendOnStreamAsync(List<(long Row, V1.Event Event)> events, CancellationToken cancellationToken)
    {
        _stream ??= new V1.IngestService.IngestServiceClient(_channel).Ingest(_headers, cancellationToken: cancellationToken);
        var request = new V1.IngestRequest { BatchId = (_batches + 1).ToString(CultureInfo.InvariantCulture) };
        request.Events.Add(events.Select(e => e.Event));
        try
        {
            await _stream.RequestStream.WriteAsync(request, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // The call ended (the server closed it) before this write: a new stream takes the batch.
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the ingest stream was closed", ex));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            if (!await _stream.ResponseStream.MoveNext(timeout.Token))
            {
                throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the server ended the ingest stream"));
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "no answer to a batch within 60 s"));
        }

        return _stream.ResponseStream.Current;
    }

    private void ResetStream()
    {
        _stream?.Dispose();
        _stream = null;
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, attempt - 1)) * (0.8 + (Random.Shared.NextDouble() * 0.4)));

    private static async Task<T> WithRetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }

    private void OpenRejects(bool append = false)
    {
        if (_rejects is not null)
        {
            return;
        }

        var header = !append || !File.Exists(RejectsPath) || new FileInfo(RejectsPath).Length == 0;
        _rejectsFile = new StreamWriter(RejectsPath, append);
        _rejects = CsvWriter.Create(_rejectsFile, null, leaveOpen: true);
        if (header)
        {
            _rejects.WriteRecord(["row", "field", "reason", "event_id"]);
        }
    }

    /// <summary>Writes a refused or unreadable row; a deal row whose two events are both refused counts once.</summary>
    private void Reject(long row, string eventId, string field, string reason)
    {
        if (row != _lastRejectedRow)
        {
            _rejected++;
            _lastRejectedRow = row;
        }

        OpenRejects();
        _rejects!.WriteRecord([row.ToString(CultureInfo.InvariantCulture), field, reason, eventId]);
    }

    public async ValueTask DisposeAsync()
    {
        _stream?.Dispose();
        if (_rejects is not null)
        {
            await _rejects.DisposeAsync();
        }

        if (_rejectsFile is not null)
        {
            await _rejectsFile.DisposeAsync();
        }

        _channel.Dispose();
    }
}
