using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SalesOps.TestSupport.Net;

/// <summary>
/// A network cable between a client and a server on this machine, that a test can pull out: a TCP relay on a loopback
/// port of its own to a target port. <see cref="Unplug"/> resets every open connection and every new one until
/// <see cref="Plug"/> — the client sees its streams break and its retries refused, as when an office's network drops.
/// </summary>
public sealed class LoopbackCable : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _plugged = true;
    private int _connections;

    private LoopbackCable(int target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port clients connect to instead of the target's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections relayed so far (a client that reconnects shows here).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static LoopbackCable To(int targetPort) => new(targetPort);

    /// <summary>Resets every open connection, and every new one until plugged in again.</summary>
    public void Unplug()
    {
        _plugged = false;
        foreach (var socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    public void Plug() => _plugged = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Unplug();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            if (!_plugged)
            {
                Reset(client);
                continue;
            }

            Interlocked.Increment(ref _connections);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            if (!_plugged)
            {
                // Unplugged between the accept and the line above: its reset may have missed this one.
                return;
            }

            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
            Reset(client);
            Reset(server);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes at once with a reset (no lingering, no graceful end), as a dropped network looks to the peer.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
