using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>How an append's entries share one row: packed and unpacked again, and a damaged row refused.</summary>
public sealed class JournalRowsTests
{
    [Fact]
    public void PackedEntries_UnpackUnderTheirNumbers()
    {
        byte[][] entries = [[1, 2, 3], [], [255]];

        var into = new List<JournalRecord>();
        JournalRows.Unpack(7, 9, JournalRows.Pack(entries), into);

        Assert.Equal([7L, 8, 9], into.Select(r => r.Sequence));
        Assert.Equal(entries, into.Select(r => r.Entry));
    }

    [Fact]
    public void RowOfOneEntry_IsTheEntryItself()
    {
        byte[] entry = [4, 5];

        Assert.Same(entry, JournalRows.Pack([entry]));
        var into = new List<JournalRecord>();
        JournalRows.Unpack(3, null, entry, into);
        Assert.Equal([new JournalRecord(3, entry)], into);
    }

    [Theory]
    [InlineData(7, 10, "ends before entry 10")] // one entry fewer than the row claims
    [InlineData(7, 8, "holds more than its 2 entries")] // one more
    public void RowWhoseEntriesDoNotMatchItsNumbers_IsRefused(long seq, long last, string message)
    {
        var packed = JournalRows.Pack([[1], [2], [3]]);

        var failure = Assert.Throws<InvalidDataException>(() => JournalRows.Unpack(seq, last, packed, []));

        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public void RowWhoseLengthRunsPastItsEnd_IsRefused()
    {
        byte[] damaged = [0, 0, 0, 9, 1, 2];

        var failure = Assert.Throws<InvalidDataException>(() => JournalRows.Unpack(1, 2, damaged, []));

        Assert.Contains("entry 1 runs past the row", failure.Message);
    }
}
