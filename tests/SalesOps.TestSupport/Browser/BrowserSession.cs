using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SalesOps.TestSupport.Browser;

/// <summary>An error the browser bridge answered with (an exception in the page, a failed navigation, ...).</summary>
public sealed class BrowserException(string message) : Exception(message);

/// <summary>
/// The machine's headless Chromium, driven through <c>tests/browser/bridge.mjs</c> (puppeteer-core) in a Node process
/// of its own: JSON lines on its stdin and stdout, one request and one answer each, matched by id. Pages are opened
/// with <see cref="OpenPageAsync"/>; several may be open at once, each in a browser context of its own.
/// </summary>
/// <remarks>
/// Needs <c>node</c> on PATH, <c>tests/browser/node_modules</c> (<c>npm ci --prefix tests/browser</c>) and Chromium at
/// <c>SALESOPS_CHROMIUM</c> or <c>/usr/bin/chromium</c> (<c>apt-get install -y chromium fonts-noto-cjk</c>). Every
/// request is bounded by a timeout. If the test process ends without disposing the session, the bridge sees its
/// stdin close and closes the browser.
/// </remarks>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>How long an operation may take unless it says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(15);
    private const int StandardErrorTailLines = 40;

    private readonly Process _process;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<string> _standardErrorTail = new();
    private readonly Task _reader;
    private long _nextId;
    private int _disposed;

    private BrowserSession(Process process, Action<string> log)
    {
        _process = process;
        _log = log;
        _process.ErrorDataReceived += (_, e) => OnStandardError(e.Data);
        _process.BeginErrorReadLine();
        _reader = Task.Run(ReadAnswersAsync);
    }

    /// <summary>The browser's product and version, e.g. <c>Chrome/156.0.8078.114</c>.</summary>
    public string BrowserVersion { get; private set; } = "";

    /// <summary>
    /// Starts the bridge and the browser, and waits until the browser answers. <paramref name="log"/> receives the
    /// bridge's stderr (its own messages and the browser's), line by line.
    /// </summary>
    public static async Task<BrowserSession> StartAsync(Action<string>? log = null)
    {
        var bridge = Path.Combine(Repository.Root, "tests", "browser", "bridge.mjs");
        var modules = Path.Combine(Repository.Root, "tests", "browser", "node_modules", "puppeteer-core");
        if (!Directory.Exists(modules))
        {
            throw new InvalidOperationException(
                $"The browser tests' Node packages are not installed ({modules} is missing): run `npm ci --prefix tests/browser` in {Repository.Root}.");
        }

        var chromium = Environment.GetEnvironmentVariable("SALESOPS_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {chromium} (SALESOPS_CHROMIUM or /usr/bin/chromium): run `apt-get install -y chromium fonts-noto-cjk`.");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetDirectoryName(bridge)!,
        };
        start.ArgumentList.Add(bridge);
        start.Environment["SALESOPS_CHROMIUM"] = chromium;

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Could not start `node` ({ex.Message}): the browser tests need Node.js 18 or later on PATH (`apt-get install -y nodejs npm`).", ex);
        }

        var session = new BrowserSession(process, log ?? (_ => { }));
        try
        {
            var version = await session.SendAsync("version", null, StartTimeout);
            session.BrowserVersion = version.GetString() ?? "";
            return session;
        }
        catch (Exception ex) when (ex is BrowserException or TimeoutException or IOException)
        {
            var tail = session.StandardErrorTail();
            await session.DisposeAsync();
            throw new InvalidOperationException(
                $"The browser did not start ({chromium}): {ex.Message}{Environment.NewLine}bridge stderr:{Environment.NewLine}{tail}", ex);
        }
    }

    /// <summary>Opens a page (a fresh browser context: no cookies or storage shared) with the given viewport.</summary>
    public async Task<BrowserPage> OpenPageAsync(int width, int height, double scale = 1)
    {
        var id = await SendAsync("open", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = scale });
        return new BrowserPage(this, id.GetInt32());
    }

    /// <summary>
    /// Sends one request and waits for its answer's value at most <paramref name="timeout"/> (default
    /// <see cref="DefaultTimeout"/>). An error answer throws a <see cref="BrowserException"/>, or a
    /// <see cref="TimeoutException"/> when the bridge itself gave up waiting.
    /// </summary>
    public Task<JsonElement> SendAsync(string op, JsonObject? fields, TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return RequestAsync(op, fields, timeout ?? DefaultTimeout);
    }

    private async Task<JsonElement> RequestAsync(string op, JsonObject? fields, TimeSpan limit)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = fields?.DeepClone().AsObject() ?? new JsonObject();
        request["id"] = id;
        request["op"] = op;
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await WriteAsync(op, request.ToJsonString(), limit);
            try
            {
                return await answer.Task.WaitAsync(limit);
            }
            catch (TimeoutException) when (!answer.Task.IsCompleted)
            {
                throw new TimeoutException($"The browser bridge did not answer `{op}` within {limit.TotalSeconds:0.#} s.");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task WriteAsync(string op, string line, TimeSpan limit)
    {
        if (!await _writeLock.WaitAsync(limit))
        {
            throw new TimeoutException($"Could not send `{op}` to the browser bridge within {limit.TotalSeconds:0.#} s.");
        }

        try
        {
            await _process.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException ex)
        {
            throw new IOException($"The browser bridge is gone (`{op}`): {ex.Message}{Environment.NewLine}{StandardErrorTail()}", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the browser (which removes its profile), then ends the bridge and whatever it left running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                await RequestAsync("close", null, CloseTimeout);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception ex) when (ex is BrowserException or TimeoutException or IOException or InvalidOperationException)
        {
            _log($"closing the browser: {ex.Message}");
        }
        finally
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
            {
                // Already gone.
            }

            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _process.Dispose();
            _writeLock.Dispose();
        }
    }

    private async Task ReadAnswersAsync()
    {
        var exit = "the bridge closed its stdout";
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                Dispatch(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            exit = ex.Message;
        }

        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var waiting))
            {
                waiting.TrySetException(new IOException($"{exit} before answering.{Environment.NewLine}{StandardErrorTail()}"));
            }
        }
    }

    private void Dispatch(string line)
    {
        JsonElement answer;
        try
        {
            using var document = JsonDocument.Parse(line);
            answer = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            _log($"bridge stdout (not an answer): {line}");
            return;
        }

        if (!answer.TryGetProperty("id", out var id) || !id.TryGetInt64(out var key) || !_pending.TryRemove(key, out var waiting))
        {
            _log($"bridge answer nobody waits for: {line}");
            return;
        }

        if (answer.GetProperty("ok").GetBoolean())
        {
            waiting.TrySetResult(answer.TryGetProperty("value", out var value) ? value : default);
            return;
        }

        var error = answer.GetProperty("error").GetString() ?? "(no message)";
        waiting.TrySetException(answer.TryGetProperty("timedOut", out var timedOut) && timedOut.GetBoolean()
            ? new TimeoutException(error)
            : new BrowserException(error));
    }

    private void OnStandardError(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_standardErrorTail)
        {
            _standardErrorTail.Enqueue(line);
            while (_standardErrorTail.Count > StandardErrorTailLines)
            {
                _standardErrorTail.Dequeue();
            }
        }

        _log(line);
    }

    private string StandardErrorTail()
    {
        lock (_standardErrorTail)
        {
            return string.Join(Environment.NewLine, _standardErrorTail);
        }
    }
}
