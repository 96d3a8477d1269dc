using System.Diagnostics;
using System.Text;

namespace SalesOps.TestSupport;

/// <summary>The outcome of one external command: exit code and everything it printed.</summary>
public sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Both streams, for error messages.</summary>
    public string Output => string.IsNullOrWhiteSpace(StandardError)
        ? StandardOutput.Trim()
        : $"{StandardOutput.Trim()}{Environment.NewLine}{StandardError.Trim()}".Trim();
}

/// <summary>Runs an external command with a time limit and captures its output.</summary>
public static class ExternalProcess
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> and waits at most <paramref name="timeout"/>;
    /// on timeout or cancellation the whole process tree is killed and a <see cref="TimeoutException"/>
    /// (or <see cref="OperationCanceledException"/>) carries what it printed so far.
    /// </summary>
    public static async Task<ProcessOutcome> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        var commandLine = $"{fileName} {string.Join(' ', startInfo.ArgumentList)}";
        using var process = new Process { StartInfo = startInfo };
        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(standardOutput, e.Data);
        process.ErrorDataReceived += (_, e) => Append(standardError, e.Data);

        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"Could not start '{commandLine}': {ex.Message}", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // Also waits for both redirected streams to reach end of file.
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            var soFar = new ProcessOutcome(-1, Read(standardOutput), Read(standardError)).Output;
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException($"'{commandLine}' was cancelled. Output so far:{Environment.NewLine}{soFar}", cancellationToken);
            }

            throw new TimeoutException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0.#} s. Output so far:{Environment.NewLine}{soFar}");
        }

        return new ProcessOutcome(process.ExitCode, Read(standardOutput), Read(standardError));
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }
    }

    private static string Read(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Not ours to kill any more.
        }
    }
}
