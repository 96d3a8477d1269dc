using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// A real server process (<c>dotnet SalesOps.Server.dll</c>, built with the tests) in postgres mode (or with the embedded store) on loopback
/// ports, reached over a real gRPC channel. Kill sends SIGKILL: no shutdown code runs.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly string[] _arguments;
    private readonly Func<ServerProcess> _restart;
    private Process? _process;

    public ServerProcess(string connectionString, string clusterId, params string[] extra)
        : this(["--storage", "postgres", "--connection-string", connectionString, "--cluster-id", clusterId], Net.FreePort(), Net.FreePort(), Net.FreePort(), Net.FreePort(), extra)
    {
    }

    private ServerProcess(string[] storage, int grpcPort, int siloPort, int gatewayPort, int webPort, string[] extra)
    {
        _restart = () => new ServerProcess(storage, grpcPort, siloPort, gatewayPort, webPort, extra);
        GrpcPort = grpcPort;
        WebPort = webPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        _arguments =
        [
            ServerDll,
            .. storage,
            "--grpc-port", GrpcPort.ToString(CultureInfo.InvariantCulture),
            "--silo-port", SiloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--web-port", WebPort.ToString(CultureInfo.InvariantCulture),
            // Find a killed silo within seconds, not the production default of tens of seconds.
            "--Membership:ProbeTimeout", "00:00:01",
            "--Membership:NumMissedProbesLimit", "2",
            "--Membership:IAmAliveTablePublishTimeout", "00:00:05",
            "--Engine:RollupInterval", "00:00:00.010",
            "--Logging:LogLevel:Default", "Warning",
            .. extra,
        ];
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}");
        Ingest = new V1.IngestService.IngestServiceClient(Channel);
        Query = new V1.QueryService.QueryServiceClient(Channel);
        Watch = new V1.WatchService.WatchServiceClient(Channel);
    }

    /// <summary>A server in the default storage mode: the embedded SQLite store in <paramref name="dataDirectory"/>.</summary>
    public static ServerProcess Embedded(string dataDirectory, params string[] extra) =>
        new(["--storage", "sqlite", "--data-dir", dataDirectory], Net.FreePort(), Net.FreePort(), Net.FreePort(), Net.FreePort(), extra);

    /// <summary>Runs one of the server binary's commands (e.g. <c>keys create …</c>) to its end: its exit code and what it printed.</summary>
    public static async Task<(int Code, string Output)> RunCommandAsync(params string[] args)
    {
        using var process = Process.Start(Dotnet([ServerDll, .. args])) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true); // a hung command must not keep holding what it opened (a store's lock)
            throw;
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary><c>dotnet</c> with <paramref name="arguments"/>, its output and errors read by the test.</summary>
    private static ProcessStartInfo Dotnet(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>A new process like this one (same ports, database and cluster), as an operator restarts a server.</summary>
    public ServerProcess Again() => _restart();

    public int GrpcPort { get; }
    public int WebPort { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public GrpcChannel Channel { get; }
    public V1.IngestService.IngestServiceClient Ingest { get; }
    public V1.QueryService.QueryServiceClient Query { get; }
    public V1.WatchService.WatchServiceClient Watch { get; }

    /// <summary>What the process printed, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The server's own build output, next to the test's (same configuration).</summary>
    private static string ServerDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = dir.Parent!.Name; // bin/<configuration>/net10.0
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SalesOps.sln")))
            {
                dir = dir.Parent;
            }

            var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("SalesOps.sln not found above the test directory"),
                "src", "SalesOps.Server", "bin", configuration, "net10.0", "SalesOps.Server.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first", path);
        }
    }

    /// <summary>Starts the process and waits until it answers gRPC.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var start = Dotnet(_arguments);
        start.WorkingDirectory = Path.GetDirectoryName(ServerDll)!;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                await Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
            {
                return; // a server requiring credentials answers, refusing the anonymous probe
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (RpcException ex)
            {
                throw new TimeoutException($"server did not answer gRPC in time ({ex.Status}):\n{Log}");
            }
        }
    }

    /// <summary>SIGKILL: the process dies at once, in the middle of whatever it was doing.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // best effort: the process is gone or going
        }

        _process?.Dispose();
        Channel.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
            if (_log.Length > 400_000)
            {
                _log.Remove(0, 200_000); // keep the latest output
            }
        }
    }
}
