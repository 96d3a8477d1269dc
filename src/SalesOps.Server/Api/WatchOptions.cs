namespace SalesOps.Server.Api;

/// <summary>Watch stream settings bound from configuration section <c>Watch</c>.</summary>
public sealed class WatchOptions
{
    public const string Section = "Watch";

    /// <summary>
    /// How long one message may wait for a client that does not read before its stream is ended with
    /// <c>RESOURCE_EXHAUSTED</c>. A reading client takes each message within milliseconds; the flow-control windows
    /// absorb some tens of kilobytes before a write waits at all.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After the write timeout, how long the server waits for the client to take the message it was writing (then
    /// the status follows) before it resets the stream instead. Nothing more is queued for the client meanwhile.
    /// </summary>
    public TimeSpan CutOffGrace { get; set; } = TimeSpan.FromMinutes(2);
}
