using System.Collections.Concurrent;

namespace SalesOps.Server.Hosting;

/// <summary>
/// Logs a repeated warning or error once per window with its count, instead of once per occurrence.
/// </summary>
/// <remarks>
/// During a 10-second database outage every event, retry and membership probe logged its own stack trace: 10–48 MB
/// of log, in which the one line that mattered was hard to find. A warning or error is "the same" when its category,
/// event id, message template and exception type are: the first of a window (<see cref="Window"/>) is logged whole,
/// the rest are counted, and the count is logged when the window ends ("… 4,210 more like it"). Lower levels pass
/// through untouched. It wraps every logger provider the host registered, so it applies to Orleans, Npgsql and
/// ASP.NET Core as much as to the engine's own logs.
/// </remarks>
public sealed partial class RepeatedFaultLog : ILoggerProvider
{
    /// <summary>How long a repeated fault is counted before its count is logged.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    /// <summary>Distinct faults tracked at most; beyond it (never seen in practice) faults are logged unsummarized.</summary>
    private const int MaxTracked = 10_000;

    private readonly ILoggerProvider[] _inner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<FaultKey, Repeats> _repeats = new();
    private readonly ITimer _flush;

    public RepeatedFaultLog(IEnumerable<ILoggerProvider> inner, TimeProvider time)
    {
        _inner = inner.ToArray();
        _time = time;
        _flush = time.CreateTimer(static s => ((RepeatedFaultLog)s!).Flush(force: false), this, Window, Window);
    }

    /// <summary>
    /// Replaces every <see cref="ILoggerProvider"/> registered so far with one <see cref="RepeatedFaultLog"/> over them.
    /// Call it once the host's logging is configured.
    /// </summary>
    public static void WrapProviders(IServiceCollection services)
    {
        var registered = services.Where(d => d.ServiceType == typeof(ILoggerProvider)).ToList();
        foreach (var d in registered)
        {
            services.Remove(d);
        }

        services.AddSingleton<ILoggerProvider>(sp => new RepeatedFaultLog(registered.Select(d => Create(sp, d)), TimeProvider.System));
    }

    private static ILoggerProvider Create(IServiceProvider sp, ServiceDescriptor d) =>
        (ILoggerProvider)(d.ImplementationInstance
            ?? d.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    public ILogger CreateLogger(string categoryName) =>
        new Logger(this, categoryName, _inner.Select(p => p.CreateLogger(categoryName)).ToArray());

    public void Dispose()
    {
        _flush.Dispose();
        Flush(force: true);
        foreach (var p in _inner)
        {
            p.Dispose();
        }
    }

    /// <summary>Logs the count of every fault whose window has ended (all of them when <paramref name="force"/>).</summary>
    private void Flush(bool force)
    {
        var now = _time.GetTimestamp();
        foreach (var (key, repeats) in _repeats)
        {
            int count;
            lock (repeats)
            {
                if (repeats.Suppressed == 0 || (!force && repeats.WindowStart is { } start && _time.GetElapsedTime(start, now) < Window))
                {
                    continue;
                }

                count = repeats.Suppressed;
                repeats.Suppressed = 0;
            }

            repeats.Logger.Summarize(key, repeats.Level, count);
        }
    }

    /// <summary>True when this occurrence should be logged whole; false when it was only counted.</summary>
    private bool Admit(FaultKey key, Logger logger, LogLevel level, out int suppressedBefore)
    {
        suppressedBefore = 0;
        if (!_repeats.TryGetValue(key, out var repeats))
        {
            if (_repeats.Count >= MaxTracked)
            {
                return true;
            }

            repeats = _repeats.GetOrAdd(key, _ => new Repeats(logger, level));
        }

        var now = _time.GetTimestamp();
        lock (repeats)
        {
            if (repeats.WindowStart is { } start && _time.GetElapsedTime(start, now) < Window)
            {
                repeats.Suppressed++;
                return false;
            }

            suppressedBefore = repeats.Suppressed;
            repeats.Suppressed = 0;
            repeats.WindowStart = now;
            return true;
        }
    }

    [LoggerMessage(EventId = 9_001, Message = "{Count} more like it in the last {Window} s were counted, not logged: \"{Template}\" ({Exception})")]
    private static partial void LogRepeats(ILogger logger, LogLevel level, int count, int window, string template, string exception);

    private readonly record struct FaultKey(string Category, int EventId, string? Template, Type? Exception);

    /// <summary>One fault's window: when its last whole entry was logged (null: never) and how many were counted since.</summary>
    private sealed class Repeats(Logger logger, LogLevel level)
    {
        public Logger Logger { get; } = logger;
        public LogLevel Level { get; } = level;
        public long? WindowStart { get; set; }
        public int Suppressed { get; set; }
    }

    private sealed class Logger(RepeatedFaultLog owner, string category, ILogger[] inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull =>
            inner.Length == 1 ? inner[0].BeginScope(state) : null;

        public bool IsEnabled(LogLevel logLevel) => inner.Any(l => l.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                var key = new FaultKey(category, eventId.Id, Template(state), exception?.GetType());
                if (!owner.Admit(key, this, logLevel, out var suppressed))
                {
                    return;
                }

                if (suppressed > 0)
                {
                    Summarize(key, logLevel, suppressed);
                }
            }

            foreach (var l in inner)
            {
                l.Log(logLevel, eventId, state, exception, formatter);
            }
        }

        public void Summarize(FaultKey key, LogLevel level, int count)
        {
            var template = key.Template ?? "(no template)";
            var exception = key.Exception?.Name ?? "no exception";
            foreach (var l in inner)
            {
                LogRepeats(l, level, count, (int)Window.TotalSeconds, template, exception);
            }
        }

        /// <summary>The message template of structured state; null for a plain string, whose text may vary endlessly.</summary>
        private static string? Template<TState>(TState state) =>
            state is IReadOnlyList<KeyValuePair<string, object?>> values && values.Count > 0 && values[^1].Key == "{OriginalFormat}"
                ? values[^1].Value as string
                : null;
    }
}
