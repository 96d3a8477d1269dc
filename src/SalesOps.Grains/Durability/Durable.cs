namespace SalesOps.Grains.Durability;

/// <summary>The one way grains make an applied input durable.</summary>
internal static class Durable
{
    /// <summary>
    /// Journals the input and waits for the commit. If the write fails, the activation is deactivated (its state is
    /// ahead of the journal) and the failure propagates, so the caller is never told the input was accepted.
    /// </summary>
    public static async Task WriteAsync(IGrainBase grain, GrainJournal journal, JournalEntry entry)
    {
        try
        {
            await journal.WriteAsync(entry);
        }
        catch (JournalUnavailableException)
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
