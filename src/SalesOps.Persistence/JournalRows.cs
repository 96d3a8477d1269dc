using System.Buffers.Binary;
using SalesOps.Runtime;

namespace SalesOps.Persistence;

/// <summary>
/// How an append's entries share one journal row (schema script 0007): a row of one entry holds that entry as it is
/// (and <c>last_seq</c> is NULL, as in every row written before the script); a row of several holds them packed, each
/// a 4-byte big-endian length and then its bytes. One row per append halves the rows a busy journal inserts, indexes
/// and later deletes: a rep book's or region's carried batch is one append of many entries.
/// </summary>
public static class JournalRows
{
    /// <summary>The stored bytes of one append's entries (one entry: itself).</summary>
    public static byte[] Pack(IReadOnlyList<byte[]> entries)
    {
        if (entries.Count == 1)
        {
            return entries[0];
        }

        var length = 0;
        foreach (var entry in entries)
        {
            length = checked(length + sizeof(int) + entry.Length);
        }

        var packed = new byte[length];
        var at = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt32BigEndian(packed.AsSpan(at), entry.Length);
            entry.CopyTo(packed, at + sizeof(int));
            at += sizeof(int) + entry.Length;
        }

        return packed;
    }

    /// <summary>
    /// Adds the entries of the row that starts at <paramref name="seq"/> and ends at <paramref name="last"/> (null: a
    /// row of one entry) to <paramref name="into"/>, numbered; throws when the row does not hold exactly that many.
    /// </summary>
    public static void Unpack(long seq, long? last, byte[] stored, List<JournalRecord> into)
    {
        if (last is not { } end)
        {
            into.Add(new JournalRecord(seq, stored));
            return;
        }

        var at = 0;
        for (var number = seq; number <= end; number++)
        {
            if (stored.Length - at < sizeof(int))
            {
                throw new InvalidDataException($"journal row {seq}–{end} ends before entry {number}");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(stored.AsSpan(at));
            if (length < 0 || length > stored.Length - at - sizeof(int))
            {
                throw new InvalidDataException($"journal row {seq}–{end}: entry {number} runs past the row");
            }

            into.Add(new JournalRecord(number, stored.AsSpan(at + sizeof(int), length).ToArray()));
            at += sizeof(int) + length;
        }

        if (at != stored.Length)
        {
            throw new InvalidDataException($"journal row {seq}–{end} holds more than its {end - seq + 1} entries");
        }
    }
}
