using System.Reflection;

namespace SalesOps.Server.Screens;

/// <summary>
/// The office screen page, served by the server itself from files embedded in the assembly (Screens/Page): no web
/// server and no build step of its own. <c>/screen/&lt;channel&gt;</c> is the page, <c>/screen/assets/&lt;file&gt;</c>
/// its script and style; the page reads the channel from its path and everything else over the web port's JSON
/// stream (ScreenService.WatchScreen). The files hold no data, so they are served without credentials.
/// </summary>
public static class ScreenPages
{
    private static readonly Dictionary<string, (string ContentType, byte[] Bytes)> Assets = Load();

    /// <summary>The page's content security policy: its own script, style and stream; avatars from anywhere over HTTPS.</summary>
    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' https: data:; " +
        "media-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication MapScreenPages(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.Redirect("/screen/" + ChannelRules.DefaultName));
        app.MapGet("/screen", () => Results.Redirect("/screen/" + ChannelRules.DefaultName));
        app.MapGet("/screen/{name}", (string name, HttpContext context) => Serve(context, "index.html"));
        app.MapGet("/screen/assets/{file}", (string file, HttpContext context) => Serve(context, file));
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = Policy;
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(ScreenPages).Assembly;
        const string prefix = "SalesOps.Server.Screens.Page.";
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name] = (ContentTypeOf(name), copy.ToArray());
        }

        return assets;
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".wav" => "audio/wav",
        _ => "application/octet-stream",
    };
}
