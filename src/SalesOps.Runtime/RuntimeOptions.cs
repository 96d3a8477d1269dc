namespace SalesOps.Runtime;

/// <summary>Settings of the durable runtime (bound by the host from its own configuration section).</summary>
public sealed class RuntimeOptions
{
    /// <summary>A grain writes a snapshot after this many journal entries (books may declare their own).</summary>
    public int SnapshotEvery { get; set; } = 2_000;

    /// <summary>
    /// The most messages a grain's outboxes may hold undelivered (counted by their numbers, so a merged message counts
    /// for every message it carries). Past it the grain refuses new input until delivery catches up: back-pressure
    /// instead of a queue that grows without end behind a destination that does not take its messages.
    /// </summary>
    public int MaxUndelivered { get; set; } = 100_000;
}

/// <summary>A grain refused input because its outboxes hold their bound of undelivered messages; retry later.</summary>
public sealed class BackPressureException : Exception
{
    public BackPressureException()
    {
    }

    public BackPressureException(string message) : base(message)
    {
    }

    public BackPressureException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>A message refused by <paramref name="grain"/>: its sender keeps it and retries.</summary>
    public static BackPressureException MessageRefused(string grain) =>
        new($"{grain} is delivering a backlog; the message stays with its sender and is retried");
}
