using System.Net;
using System.Net.Sockets;

namespace SalesOps.TestSupport.Net;

/// <summary>
/// Loopback ports for servers a test starts and binds later. Not the kernel's bind-to-0 port: that one comes from the
/// ephemeral range (32768–60999 here), the same range every outgoing connection of the parallel tests (Npgsql, gRPC
/// clients) takes its source port from, so between the test choosing it and the server binding it, a connection could
/// take it and the server would fail with "address already in use" (seen once in CI). These come from below that range,
/// drawn at random, never handed out twice by this process, and checked free when handed out.
/// </summary>
public static class LoopbackPorts
{
    private const int First = 20_000;
    private const int End = 32_768; // the kernel's default first ephemeral port

    private static readonly HashSet<int> Handed = new();

    /// <summary>A loopback port nothing listens on now and this process has not handed out before.</summary>
    public static int Free()
    {
        lock (Handed)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(First, End);
                if (!Handed.Contains(port) && CanBind(port))
                {
                    Handed.Add(port);
                    return port;
                }
            }
        }

        // Nearly every port in the range taken: fall back to the kernel's choice.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
