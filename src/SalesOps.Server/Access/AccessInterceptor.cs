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
        using var ended = new CancellationTokenSource();
        var http = context.GetHttpContext();
        var revocation = caller.Kind == CallerKind.ApiKey && Credentials.ApiKeyOf(http.Request) is { } key
            ? CutWhenRevokedAsync(key, http, ended.Token)
            : Task.CompletedTask;
        try
        {
            await continuation(request, responseStream, context);
        }
        finally
        {
            await ended.CancelAsync();
            await revocation;
        }
    }

    /// <summary>A watch stream lives no longer than its key: once the key is revoked or expires, the stream is reset.</summary>
    private async Task CutWhenRevokedAsync(string key, HttpContext http, CancellationToken ended)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.KeyCacheTtl, ended);
                if (await keys.ValidateAsync(key, ended) is null)
                {
                    http.Abort();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            // The key store is out of reach: the stream keeps going; the next call will find out.
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
        await continuation(caller is null ? requestStream : new SizeCheckedReader<TRequest>(requestStream, limits.MaxRequestBytes(caller), caller), responseStream, context);
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

            if (options.Value.Required || presented)
            {
                throw ApiErrors.Unauthenticated();
            }

            caller = Caller.Development;
            AccessRegistration.SetCaller(http, caller);
        }

        await policy.AuthorizeAsync(caller, context.Method, request);
        return caller;
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
