using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SalesOps.Server.Hosting;

namespace SalesOps.Engine.Tests;

/// <summary>The log wrapper the server installs: a repeated fault is logged once per window, then its count.</summary>
public sealed partial class RepeatedFaultLogTests
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery to {Target} failed")]
    private static partial void LogDeliveryFailed(ILogger logger, string target, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} accepted")]
    private static partial void LogAccepted(ILogger logger, string eventId);

    [Fact]
    public void ThousandsOfTheSameFault_LoggedOnceThenCountedPerWindow()
    {
        var time = new FakeTimeProvider(TestClock.Start);
        var sink = new Sink();
        using (var log = new RepeatedFaultLog([sink], time))
        {
            var logger = log.CreateLogger("SalesOps.Grains.Courier");
            var regions = Enumerable.Range(0, 7).Select(i => $"region-{i}").ToArray();
            var ids = Enumerable.Range(0, 5_000).Select(i => $"e{i}").ToArray();
            var fault = new TimeoutException("database down");
            for (var i = 0; i < ids.Length; i++)
            {
                LogDeliveryFailed(logger, regions[i % regions.Length], fault);
                LogAccepted(logger, ids[i]);
            }

            LogDeliveryFailed(logger, "r", new InvalidOperationException("another fault"));

            // One whole entry per distinct fault (template and exception type), every Information entry.
            Assert.Equal(2, sink.Entries.Count(e => e.Level == LogLevel.Error));
            Assert.Equal(5_000, sink.Entries.Count(e => e.Level == LogLevel.Information));
            Assert.NotNull(sink.Entries.First(e => e.Level == LogLevel.Error).Exception);

            // The window ends: the count is logged, without a stack trace.
            time.Advance(RepeatedFaultLog.Window);
            var summary = Assert.Single(sink.Entries, e => e.Message.Contains("more like it", StringComparison.Ordinal));
            Assert.StartsWith("4999 more like it", summary.Message, StringComparison.Ordinal);
            Assert.Contains("Delivery to {Target} failed", summary.Message, StringComparison.Ordinal);
            Assert.Contains(nameof(TimeoutException), summary.Message, StringComparison.Ordinal);
            Assert.Null(summary.Exception);

            // Still failing in the next window: one whole entry again.
            LogDeliveryFailed(logger, "region-1", new TimeoutException("database down"));
            Assert.Equal(3, sink.Entries.Count(e => e.Level == LogLevel.Error && e.Exception is not null));
            LogDeliveryFailed(logger, "region-1", new TimeoutException("database down"));
        }

        // Disposing logs what was still being counted.
        Assert.StartsWith("1 more like it", sink.Entries[^1].Message, StringComparison.Ordinal);
    }

    private sealed record Entry(LogLevel Level, string Message, Exception? Exception);

    private sealed class Sink : ILoggerProvider, ILogger
    {
        public List<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add(new Entry(logLevel, formatter(state, exception), exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
