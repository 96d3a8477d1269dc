using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace SalesOps.TestSupport;

/// <summary>
/// SSL for a <see cref="PostgresServer"/>: the server's certificate and key (PEM), and whether every TCP connection
/// must use SSL (<c>hostssl</c>-only <c>pg_hba.conf</c>, so <c>SSL Mode=Disable</c> is refused).
/// </summary>
public sealed record PostgresSsl(string CertificatePem, string KeyPem, bool Required);

/// <summary>
/// A throwaway PostgreSQL server for tests: a fresh data directory under the temp folder, a free loopback
/// port, trust authentication for the <c>postgres</c> role. It can be stopped and started again on the same
/// directory and port (to simulate an outage) and is deleted on dispose.
/// </summary>
/// <remarks>
/// Needs the PostgreSQL server binaries (<c>initdb</c>, <c>pg_ctl</c>) on PATH or under
/// <c>/usr/lib/postgresql/*/bin</c>. <c>initdb</c> refuses to run as root, so when the tests run as root the
/// server is created and run as the <c>postgres</c> OS user. <c>fsync</c> stays on: tests that check
/// durability rely on a commit meaning what it says.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan InitDbTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    // Servers not yet disposed, stopped at process exit if a test run ends without disposing them.
    private static readonly ConcurrentDictionary<PostgresServer, byte> Live = new();

    private readonly string _binDirectory;
    private readonly bool _runAsServiceUser;
    private readonly string _rootDirectory;
    private readonly string _logFile;
    private readonly PostgresSsl? _ssl;
    private int _disposed;

    private PostgresServer(string binDirectory, bool runAsServiceUser, string rootDirectory, int port, PostgresSsl? ssl)
    {
        _ssl = ssl;
        _binDirectory = binDirectory;
        _runAsServiceUser = runAsServiceUser;
        _rootDirectory = rootDirectory;
        _logFile = Path.Combine(rootDirectory, "server.log");
        DataDirectory = Path.Combine(rootDirectory, "data");
        Port = port;
    }

    static PostgresServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Live.Keys)
            {
                // Bounded by the process timeouts inside; nothing may escape a ProcessExit handler.
                server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            }
        };
    }

    /// <summary>The loopback TCP port the server listens on (kept across <see cref="StopAsync"/>/<see cref="StartAgainAsync"/>).</summary>
    public int Port { get; }

    /// <summary>The server's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the server is currently started (as far as this object knows).</summary>
    public bool IsRunning { get; private set; }

    /// <summary>
    /// A connection string for <paramref name="database"/> on this server, as the <c>postgres</c> superuser,
    /// with short connect timeouts so an outage shows up quickly.
    /// </summary>
    public string ConnectionString(string database = "salesops")
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = ServiceUser,
            Database = database,
            Pooling = true,
            MaxPoolSize = 50,
            Timeout = 5,
            CommandTimeout = 30,
            IncludeErrorDetail = true,
        };
        return builder.ConnectionString;
    }

    /// <summary>
    /// Creates a fresh data directory, starts the server on a free loopback port and waits until it accepts
    /// connections.
    /// </summary>
    public static Task<PostgresServer> StartAsync(CancellationToken ct = default) => StartAsync(null, ct);

    /// <summary>As <see cref="StartAsync(CancellationToken)"/>, with SSL on when <paramref name="ssl"/> is given.</summary>
    public static async Task<PostgresServer> StartAsync(PostgresSsl? ssl, CancellationToken ct = default)
    {
        var binDirectory = FindBinDirectory();
        var runAsServiceUser = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

        // The service user must be able to reach the directory, so as root stay out of root's own folders.
        var tempBase = runAsServiceUser ? "/tmp" : Path.GetTempPath();
        var rootDirectory = Path.Combine(tempBase, "salesops-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(rootDirectory);

        PostgresServer? server = null;
        try
        {
            if (runAsServiceUser)
            {
                var chown = await ExternalProcess.RunAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", rootDirectory], ControlTimeout, rootDirectory, ct).ConfigureAwait(false);
                if (chown.ExitCode != 0)
                {
                    throw new InvalidOperationException(
                        $"Running as root, so PostgreSQL must run as the OS user '{ServiceUser}' (initdb refuses root), but {rootDirectory} " +
                        $"could not be handed to it: {chown.Output}. The user comes with the postgresql package.");
                }
            }

            // A port found free can be taken before the server binds it; try a few.
            Exception? lastFailure = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                server = new PostgresServer(binDirectory, runAsServiceUser, rootDirectory, FreeLoopbackPort(), ssl);
                Live.TryAdd(server, 0);
                if (attempt == 0)
                {
                    await server.InitDbAsync(ct).ConfigureAwait(false);
                    await server.WriteSslFilesAsync(ct).ConfigureAwait(false);
                }

                try
                {
                    await server.StartCoreAsync(ct).ConfigureAwait(false);
                    return server;
                }
                catch (InvalidOperationException ex) when (!ct.IsCancellationRequested)
                {
                    lastFailure = ex;
                    await server.StopQuietlyAsync("immediate").ConfigureAwait(false);
                    Live.TryRemove(server, out _);
                }
            }

            throw lastFailure!;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                TryDeleteDirectory(rootDirectory);
            }

            throw;
        }
    }

    /// <summary>
    /// Stops the server with <c>pg_ctl stop -m fast</c> (used to simulate a database outage): sessions are
    /// disconnected, committed work stays. Does nothing if the server is not running.
    /// </summary>
    public async Task StopAsync()
    {
        if (File.Exists(PidFile))
        {
            await RunPgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], CancellationToken.None).ConfigureAwait(false);
        }

        IsRunning = false;
    }

    /// <summary>
    /// Starts the server again on the same data directory and port and waits until it accepts connections.
    /// Each pooled Npgsql connection opened before the outage fails once on its next use (SQLSTATE 57P01,
    /// "terminating connection due to administrator command") and is then discarded; call
    /// <c>NpgsqlConnection.ClearPool</c> to avoid that.
    /// </summary>
    public Task StartAgainAsync() =>
        IsRunning && File.Exists(PidFile) ? WaitUntilAcceptingConnectionsAsync(CancellationToken.None) : StartCoreAsync(CancellationToken.None);

    private string PidFile => Path.Combine(DataDirectory, "postmaster.pid");

    /// <summary>Stops the server (immediate mode) if it runs and deletes its directory. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Even when we think it is stopped: a failed start may have left a postmaster behind.
        await StopQuietlyAsync("immediate").ConfigureAwait(false);
        TryDeleteDirectory(_rootDirectory);
        Live.TryRemove(this, out _);
    }

    private async Task InitDbAsync(CancellationToken ct)
    {
        var outcome = await RunAsServerUserAsync(
            Path.Combine(_binDirectory, "initdb"),
            ["-D", DataDirectory, "-U", ServiceUser, "--auth=trust", "-E", "UTF8", "--locale=C"],
            InitDbTimeout,
            ct).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed (exit {outcome.ExitCode}) for {DataDirectory}:{Environment.NewLine}{outcome.Output}");
        }
    }

    /// <summary>
    /// Puts the certificate and key in the data directory, owned by the server's user, the key mode 0600 (PostgreSQL
    /// refuses a key others can read), and with <see cref="PostgresSsl.Required"/> replaces <c>pg_hba.conf</c> by
    /// <c>hostssl</c> lines only.
    /// </summary>
    private async Task WriteSslFilesAsync(CancellationToken ct)
    {
        if (_ssl is null)
        {
            return;
        }

        var certificate = Path.Combine(DataDirectory, "server.crt");
        var key = Path.Combine(DataDirectory, "server.key");
        await File.WriteAllTextAsync(certificate, _ssl.CertificatePem, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(key, _ssl.KeyPem, ct).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (_ssl.Required)
        {
            // Existing file: rewriting it keeps its owner and mode.
            await File.WriteAllTextAsync(
                Path.Combine(DataDirectory, "pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
                ct).ConfigureAwait(false);
        }

        if (_runAsServiceUser)
        {
            var chown = await ExternalProcess.RunAsync("chown", [$"{ServiceUser}:{ServiceUser}", certificate, key], ControlTimeout, _rootDirectory, ct).ConfigureAwait(false);
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"could not hand the SSL files to '{ServiceUser}': {chown.Output}");
            }
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        WriteSettings();
        var outcome = await RunAsServerUserAsync(
            Path.Combine(_binDirectory, "pg_ctl"),
            ["start", "-D", DataDirectory, "-l", _logFile, "-w", "-t", ((int)ReadyTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
            ReadyTimeout + TimeSpan.FromSeconds(10),
            ct).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"pg_ctl start failed (exit {outcome.ExitCode}) on port {Port}:{Environment.NewLine}{outcome.Output}{Environment.NewLine}Server log:{Environment.NewLine}{ReadLogTail()}");
        }

        IsRunning = true;
        await WaitUntilAcceptingConnectionsAsync(ct).ConfigureAwait(false);
    }

    private async Task WaitUntilAcceptingConnectionsAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false, Timeout = 2 }.ConnectionString;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                last = ex;
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL on port {Port} did not accept connections within {ReadyTimeout.TotalSeconds:0} s ({last?.Message}).{Environment.NewLine}Server log:{Environment.NewLine}{ReadLogTail()}",
            last);
    }

    private void WriteSettings()
    {
        // Written on every start so the port and socket directory always match this object.
        var settings = string.Join(
            '\n',
            "listen_addresses = '127.0.0.1'",
            $"port = {Port.ToString(CultureInfo.InvariantCulture)}",
            $"unix_socket_directories = '{_rootDirectory}'",
            "max_connections = 200",
            "shared_buffers = 32MB",
            "fsync = on",
            "synchronous_commit = on",
            "log_min_messages = warning",
            _ssl is null ? "ssl = off" : "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'",
            "");
        File.WriteAllText(Path.Combine(DataDirectory, "postgresql.auto.conf"), settings);
    }

    private async Task StopQuietlyAsync(string mode)
    {
        try
        {
            if (File.Exists(PidFile))
            {
                await RunPgCtlAsync(["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", "30"], CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Disposal must not throw; the directory is removed next anyway.
        }

        IsRunning = false;
    }

    private async Task RunPgCtlAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var outcome = await RunAsServerUserAsync(Path.Combine(_binDirectory, "pg_ctl"), arguments, ControlTimeout, ct).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {string.Join(' ', arguments)} failed (exit {outcome.ExitCode}):{Environment.NewLine}{outcome.Output}");
        }
    }

    private Task<ProcessOutcome> RunAsServerUserAsync(string executable, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        return _runAsServiceUser
            ? ExternalProcess.RunAsync("runuser", ["-u", ServiceUser, "--", executable, .. arguments], timeout, _rootDirectory, ct)
            : ExternalProcess.RunAsync(executable, arguments, timeout, _rootDirectory, ct);
    }

    private string ReadLogTail()
    {
        try
        {
            if (!File.Exists(_logFile))
            {
                return "(no server log)";
            }

            var text = File.ReadAllText(_logFile);
            return text.Length <= 4000 ? text : text[^4000..];
        }
        catch (IOException ex)
        {
            return $"(server log unreadable: {ex.Message})";
        }
    }

    /// <summary>
    /// The directory holding <c>initdb</c> and <c>pg_ctl</c>: the one on PATH (links resolved, so <c>pg_ctl</c>
    /// finds its <c>postgres</c>), else the highest version under <c>/usr/lib/postgresql/*/bin</c>.
    /// </summary>
    private static string FindBinDirectory()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initDb = new FileInfo(Path.Combine(directory, "initdb"));
            var pgCtl = new FileInfo(Path.Combine(directory, "pg_ctl"));
            if (!initDb.Exists || !pgCtl.Exists)
            {
                continue;
            }

            var realInitDb = initDb.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? initDb;
            var realDirectory = realInitDb.DirectoryName!;
            if (File.Exists(Path.Combine(realDirectory, "pg_ctl")) && File.Exists(Path.Combine(realDirectory, "postgres")))
            {
                return realDirectory;
            }
        }

        const string DebianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(DebianRoot))
        {
            var best = Directory.GetDirectories(DebianRoot)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
                .Where(c => c.Version is not null
                    && File.Exists(Path.Combine(c.Directory, "initdb"))
                    && File.Exists(Path.Combine(c.Directory, "pg_ctl"))
                    && File.Exists(Path.Combine(c.Directory, "postgres")))
                .OrderByDescending(c => c.Version)
                .FirstOrDefault();
            if (best.Directory is not null)
            {
                return best.Directory;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries not found: initdb, pg_ctl and postgres are neither on PATH nor under /usr/lib/postgresql/*/bin. " +
            "Install the postgresql package (e.g. apt-get install postgresql) to run the database tests.");
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version) ? version : null;

    private static int FreeLoopbackPort() => Net.LoopbackPorts.Free();

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp folder must not fail a test run.
        }
    }
}
