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
public sealed class AccessInterceptor(AccessPolicy policy, IOptions<AccessOptions> options) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context, request);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context, request);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context, null);
        return await continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthorizeAsync(context, null);
        await continuation(requestStream, responseStream, context);
    }

    private async Task AuthorizeAsync(ServerCallContext context, object? request)
    {
        if (AccessPolicy.IsPublic(context.Method))
        {
            return;
        }

        var http = context.GetHttpContext();
        var caller = AccessRegistration.CallerOf(http);
        if (caller is null)
        {
            if (options.Value.Required || Credentials.Present(http.Request))
            {
                throw ApiErrors.Unauthenticated();
            }

            caller = Caller.Development;
            AccessRegistration.SetCaller(http, caller);
        }

        await policy.AuthorizeAsync(caller, context.Method, request);
    }
}

/// <summary>The caller of a call that passed the <see cref="AccessInterceptor"/>.</summary>
public static class CallContextAccess
{
    public static Caller Caller(this ServerCallContext context) =>
        AccessRegistration.CallerOf(context.GetHttpContext()) ?? throw new InvalidOperationException("the call did not pass the access interceptor");
}
