namespace SalesOps.Server.Access;

/// <summary>
/// Where a call's credentials are: metadata <c>x-api-key</c> (an API key), or <c>authorization: Bearer …</c> holding
/// either a JWT (three dot-separated parts) or an API key.
/// </summary>
public static class Credentials
{
    public const string ApiKeyHeader = "x-api-key";
    private const string BearerPrefix = "Bearer ";

    /// <summary>True when the request carries any credentials at all (valid or not).</summary>
    public static bool Present(HttpRequest request) =>
        request.Headers.ContainsKey(ApiKeyHeader) || request.Headers.Authorization.Count > 0;

    /// <summary>The bearer token when it has the shape of a JWT.</summary>
    public static bool IsJwt(HttpRequest request) => Bearer(request) is { } token && token.Count(c => c == '.') == 2;

    /// <summary>The API key presented, if any (null when the credentials are a JWT or absent).</summary>
    public static string? ApiKeyOf(HttpRequest request)
    {
        if (request.Headers.TryGetValue(ApiKeyHeader, out var key))
        {
            return key.Count == 1 ? key[0]?.Trim() ?? "" : "";
        }

        var bearer = Bearer(request);
        return bearer is null || bearer.Count(c => c == '.') == 2 ? null : bearer;
    }

    private static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value)
        {
            return header.Count == 0 ? null : "";
        }

        return value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? value[BearerPrefix.Length..].Trim() : "";
    }
}
