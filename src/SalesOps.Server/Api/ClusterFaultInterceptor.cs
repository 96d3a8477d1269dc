using Grpc.Core;
using Grpc.Core.Interceptors;
using SalesOps.Grains;

namespace SalesOps.Server.Api;

/// <summary>
/// Turns cluster failures (a silo gone, a timed-out grain call) into <c>UNAVAILABLE</c>, which clients retry,
/// instead of the <c>UNKNOWN</c> an unhandled exception would give.
/// </summary>
public sealed class ClusterFaultInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (IsClusterFault(ex, context))
        {
            throw Unavailable(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (IsClusterFault(ex, context))
        {
            throw Unavailable(ex);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (IsClusterFault(ex, context))
        {
            throw Unavailable(ex);
        }
    }

    private static bool IsClusterFault(Exception ex, ServerCallContext context) =>
        ex is not RpcException && !context.CancellationToken.IsCancellationRequested && EventIngestor.IsTransient(ex);

    private static RpcException Unavailable(Exception ex) =>
        ApiErrors.Unavailable($"the engine could not answer now ({ex.GetType().Name}); retry");
}
