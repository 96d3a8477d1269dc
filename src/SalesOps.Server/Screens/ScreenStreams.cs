using System.Threading.Channels;
using Grpc.Core;

namespace SalesOps.Server.Screens;

/// <summary>
/// A response stream that hands each message, wrapped, to the one stream a screen holds: lets the watch RPCs' own
/// loops (snapshots, coalescing, cut-off of a reader that stopped) feed a multiplexed stream unchanged. A full
/// buffer makes the writer wait, so a screen that stops reading is cut off by those loops' write timeout.
/// </summary>
internal sealed class ForwardingWriter<T, TOut>(ChannelWriter<TOut> target, Func<T, ValueTask<TOut>> wrap) : IServerStreamWriter<T>
{
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken) =>
        await target.WriteAsync(await wrap(message), cancellationToken);
}

/// <summary>
/// The screen call's context as one of its parts sees it: its own cancellation (a part ends when the channel changes)
/// and response headers already sent by the screen stream itself.
/// </summary>
internal sealed class PartContext(ServerCallContext call, CancellationToken cancellation) : ServerCallContext
{
    protected override string MethodCore => call.Method;

    protected override string HostCore => call.Host;

    protected override string PeerCore => call.Peer;

    protected override DateTime DeadlineCore => call.Deadline;

    protected override Metadata RequestHeadersCore => call.RequestHeaders;

    protected override CancellationToken CancellationTokenCore => cancellation;

    protected override Metadata ResponseTrailersCore => call.ResponseTrailers;

    protected override Status StatusCore
    {
        get => call.Status;
        set => call.Status = value;
    }

    protected override WriteOptions? WriteOptionsCore
    {
        get => call.WriteOptions;
        set => call.WriteOptions = value;
    }

    protected override AuthContext AuthContextCore => call.AuthContext;

    protected override IDictionary<object, object> UserStateCore => call.UserState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => call.CreatePropagationToken(options);

    /// <summary>The screen stream sent its headers before any part started.</summary>
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
