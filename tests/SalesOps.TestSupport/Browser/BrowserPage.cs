using System.Text.Json;
using System.Text.Json.Nodes;

namespace SalesOps.TestSupport.Browser;

/// <summary>A console message, uncaught page error (<c>pageerror</c>) or failed request (<c>requestfailed</c>) of a page.</summary>
public sealed record BrowserConsoleMessage(string Type, string Text, string? Url = null, int? Line = null)
{
    public override string ToString() => Url is null ? $"[{Type}] {Text}" : $"[{Type}] {Text} ({Url}:{Line})";
}

/// <summary>A font the browser drew a node's text with, and how many of its glyphs it used there.</summary>
public sealed record PlatformFont(string FamilyName, string? PostScriptName, bool IsCustomFont, int GlyphCount);

/// <summary>Where a navigation ended: the HTTP status (null for <c>about:</c> or a same-document navigation) and URL.</summary>
public sealed record Navigation(int? Status, string Url);

/// <summary>One page of a <see cref="BrowserSession"/>, in a browser context of its own.</summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromSeconds(10);

    private readonly BrowserSession _session;
    private int _closed;

    internal BrowserPage(BrowserSession session, int id)
    {
        _session = session;
        Id = id;
    }

    /// <summary>The bridge's id for this page.</summary>
    public int Id { get; }

    /// <summary>Navigates and waits for the <c>load</c> event.</summary>
    public async Task<Navigation> GotoAsync(string url, TimeSpan? timeout = null)
    {
        var limit = timeout ?? BrowserSession.DefaultTimeout;
        var result = await SendAsync("goto", new JsonObject { ["url"] = url, ["timeoutMs"] = Milliseconds(limit) }, limit + AnswerMargin);
        return result.Deserialize<Navigation>(Json)!;
    }

    /// <summary>
    /// Evaluates a JavaScript expression in the page (a promise is awaited) and returns its value through JSON:
    /// <c>undefined</c> comes back as <c>default</c>, a DOM node as an empty object.
    /// </summary>
    public async Task<T?> EvalAsync<T>(string expression, TimeSpan? timeout = null)
    {
        var value = await SendAsync("eval", new JsonObject { ["expression"] = expression }, timeout);
        return value.ValueKind == JsonValueKind.Undefined ? default : value.Deserialize<T>(Json);
    }

    /// <summary>
    /// Evaluates <paramref name="expression"/> every 50 ms until it is truthy and returns that value. After
    /// <paramref name="timeout"/> throws a <see cref="TimeoutException"/> naming the last value (or error) and what the
    /// page logged, errors included.
    /// </summary>
    public async Task<T> WaitForAsync<T>(string expression, TimeSpan timeout)
    {
        JsonElement value;
        try
        {
            value = await SendAsync("waitFor", new JsonObject { ["expression"] = expression, ["timeoutMs"] = Milliseconds(timeout) }, timeout + AnswerMargin);
        }
        catch (TimeoutException ex)
        {
            var console = await ConsoleAsync();
            var logged = console.Count == 0 ? " (nothing)" : Environment.NewLine + string.Join(Environment.NewLine, console);
            throw new TimeoutException($"{ex.Message}{Environment.NewLine}The page logged:{logged}", ex);
        }

        return value.Deserialize<T>(Json)!;
    }

    /// <summary>Writes a PNG of the viewport to <paramref name="path"/> (its folder is created).</summary>
    public Task ScreenshotAsync(string path) =>
        SendAsync("screenshot", new JsonObject { ["path"] = Path.GetFullPath(path) });

    public Task SetViewportAsync(int width, int height, double scale = 1) =>
        SendAsync("viewport", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = scale });

    /// <summary>Cuts this page off the network (requests fail, <c>navigator.onLine</c> is false), or reconnects it.</summary>
    public Task SetOfflineAsync(bool offline) =>
        SendAsync("setOffline", new JsonObject { ["offline"] = offline });

    /// <summary>What the page logged, threw or failed to load since the last call (the messages are taken).</summary>
    public async Task<IReadOnlyList<BrowserConsoleMessage>> ConsoleAsync()
    {
        var messages = await SendAsync("console", null);
        return messages.Deserialize<BrowserConsoleMessage[]>(Json) ?? [];
    }

    /// <summary>The fonts the browser drew the text under the first element matching <paramref name="selector"/> with.</summary>
    public async Task<IReadOnlyList<PlatformFont>> FontsAsync(string selector)
    {
        var fonts = await SendAsync("fonts", new JsonObject { ["selector"] = selector });
        return fonts.Deserialize<PlatformFont[]>(Json) ?? [];
    }

    /// <summary>Closes the page and its browser context.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                await SendAsync("closePage", null);
            }
            catch (ObjectDisposedException)
            {
                // The session closed the browser, and the page with it.
            }
        }
    }

    private Task<JsonElement> SendAsync(string op, JsonObject? fields, TimeSpan? timeout = null)
    {
        fields ??= new JsonObject();
        fields["page"] = Id;
        return _session.SendAsync(op, fields, timeout);
    }

    private static long Milliseconds(TimeSpan timeout) => (long)timeout.TotalMilliseconds;
}
