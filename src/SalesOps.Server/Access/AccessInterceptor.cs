using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using SalesOps.Server.Api;

namespace SalesOps.Server.Access;

/// <summary>
/// The gate every gRPC call passes: who the caller is (the authentication handlers' verdict, or the development
/// identity when credentials are not required and none were sent), then <see cref="AccessPolicy"/>'s rule for the
/// method. Unary and server-streaming requests are checked whole before the service sees them; an ingest stream is
/// let open here and its events are checked one by one.
/// </summary>
public sealed class AccessInterceptor(AccessPolicy policy, CallerLimits limits, ApiKeyValidator keys, IOptions<AccessOptions> options) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (await AuthorizeAsync(context, request) is { } caller)
        {
            CheckSize(caller, request);
        }

        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AuthorizeAsync(context, request);
        if (caller is null)
        {
            await continuation(request, responseStream, context);
            return;
        }

        CheckSize(caller, request);
        using var watch = limits.OpenWatch(caller);
        await WhileCredentialsHoldAsync(caller, context, () => continuation(request, responseStream, context));
    }

    /// <summary>
    /// Runs a stream for no longer than its credentials hold: once its API key is revoked or expires, or its token
    /// expires, the stream is reset (checked every <see cref="AccessOptions.KeyCacheTtl"/>).
    /// </summary>
    private async Task WhileCredentialsHoldAsync(Caller caller, ServerCallContext context, Func<Task> stream)
    {
        var http = context.GetHttpContext();
        var key = caller.Kind == CallerKind.ApiKey ? Credentials.ApiKeyOf(http.Request) : null;
        if (key is null && caller.ExpiresAt is null)
        {
            await stream();
            return;
        }

        using var ended = new CancellationTokenSource();
        var watch = CutWhenCredentialsLapseAsync(key, caller.ExpiresAt, http, ended.Token);
        try
        {
            await stream();
        }
        finally
        {
            await ended.CancelAsync();
            await watch;
        }
    }

    private async Task CutWhenCredentialsLapseAsync(string? key, DateTimeOffset? expiresAt, HttpContext http, CancellationToken ended)
    {
        while (!ended.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.KeyCacheTtl, ended);
                var lapsed = expiresAt <= DateTimeOffset.UtcNow || (key is not null && await keys.ValidateAsync(key, ended) is null);
                if (lapsed)
                {
                    http.Abort();
                    return;
                }
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The key store is out of reach for now: the stream goes on, and is checked again next time.
            }
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AuthorizeAsync(context, null);
        return await continuation(caller is null ? requestStream : new SizeCheckedReader<TRequest>(requestStream, limits.MaxRequestBytes(caller), caller), context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AuthorizeAsync(context, null);
        if (caller is null)
        {
            await continuation(requestStream, responseStream, context);
            return;
        }

        var reader = new SizeCheckedReader<TRequest>(requestStream, limits.MaxRequestBytes(caller), caller);
        await WhileCredentialsHoldAsync(caller, context, () => continuation(reader, responseStream, context));
    }

    /// <summary>The caller, once let through; null for a public method.</summary>
    private async Task<Caller?> AuthorizeAsync(ServerCallContext context, object? request)
    {
        if (AccessPolicy.IsPublic(context.Method))
        {
            return null;
        }

        var http = context.GetHttpContext();
        var presented = Credentials.Present(http.Request);
        var address = http.Connection.RemoteIpAddress;
        if (presented && limits.IsThrottled(address))
        {
            // Whatever it presents now: a guess that happens to be right is refused like the others.
            throw limits.Throttled();
        }

        var caller = AccessRegistration.CallerOf(http);
        if (caller is null)
        {
            if (presented)
            {
                limits.FailedAuthentication(address);
            }

            // The development identity is for callers on this machine only (a local proxy forwarding others is not),
            // and never for a page of another site in a browser here: a cross-site request, or one addressed to a
            // host name that is not this machine's (DNS rebinding), must present credentials.
            if (options.Value.Required || presented || address is null || !System.Net.IPAddress.IsLoopback(address) || !FromThisMachine(http.Request))
            {
                throw ApiErrors.Unauthenticated();
            }

            caller = Caller.Development;
            AccessRegistration.SetCaller(http, caller);
        }

        await policy.AuthorizeAsync(caller, context.Method, request);
        return caller;
    }

    /// <summary>
    /// A request a browser could have been made to send by another site fails this: its Host is not a loopback
    /// address or <c>localhost</c>, or its Origin (or Sec-Fetch-Site) says another site sent it.
    /// </summary>
    internal static bool FromThisMachine(HttpRequest request)
    {
        var host = request.Host.Host;
        if (host.Length > 0 && !Hosting.Endpoints.IsLoopback(host))
        {
            return false;
        }

        if (request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none"))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && Hosting.Endpoints.IsLoopback(uri.Host) && uri.Port == (request.Host.Port ?? uri.Port));
    }

    private void CheckSize(Caller caller, object? request)
    {
        var max = limits.MaxRequestBytes(caller);
        if (max < int.MaxValue && request is Google.Protobuf.IMessage m && m.CalculateSize() > max)
        {
            throw SizeCheckedReader<object>.TooLarge(caller, max);
        }
    }

    /// <summary>Refuses a streamed request message larger than the caller may send.</summary>
    private sealed class SizeCheckedReader<T>(IAsyncStreamReader<T> inner, int max, Caller caller) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public static RpcException TooLarge(Caller caller, int max) =>
            ApiErrors.Exhausted($"{caller.Describe()} may send requests of at most {max} bytes", TimeSpan.FromSeconds(1));

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            if (max < int.MaxValue && inner.Current is Google.Protobuf.IMessage m && m.CalculateSize() > max)
            {
                throw TooLarge(caller, max);
            }

            return true;
        }
    }
}

/// <summary>The caller of a call that passed the <see cref="AccessInterceptor"/>.</summary>
public static class CallContextAccess
{
    public static Caller Caller(this ServerCallContext context) =>
        AccessRegistration.CallerOf(context.GetHttpContext()) ?? throw new InvalidOperationException("the call did not pass the access interceptor");
}
