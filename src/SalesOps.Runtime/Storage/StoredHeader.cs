using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SalesOps.Runtime;

/// <summary>
/// The header every stored journal entry and snapshot starts with (ADR 0011):
/// <c>0xC5 | header format (1) | name length (1 byte) | name (ASCII) | schema version (uint16 LE)</c>, then the payload.
/// Data written before headers existed starts with an Orleans field header instead (never 0xC5).
/// </summary>
public static class StoredHeader
{
    private const byte Marker = 0xC5;
    private const byte HeaderFormat = 1;

    public static bool IsPresent(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] == Marker;

    /// <summary>Writes the header for <paramref name="name"/> and <paramref name="version"/> to <paramref name="buffer"/>.</summary>
    public static void Write(IBufferWriter<byte> buffer, string name, int version)
    {
        var length = 5 + name.Length;
        var header = buffer.GetSpan(length);
        header[0] = Marker;
        header[1] = HeaderFormat;
        header[2] = checked((byte)name.Length);
        Encoding.ASCII.GetBytes(name, header[3..]);
        BinaryPrimitives.WriteUInt16LittleEndian(header[(3 + name.Length)..], checked((ushort)version));
        buffer.Advance(length);
    }

    /// <summary>The name, version and where the payload starts; throws when the header is corrupt.</summary>
    public static (string Name, int Version, int PayloadStart) Read(ReadOnlySpan<byte> stored)
    {
        if (stored.Length < 5 || stored[0] != Marker || stored[1] != HeaderFormat || stored.Length < 5 + stored[2])
        {
            throw new InvalidDataException($"Stored header is corrupt or of an unknown format ({(stored.Length > 1 ? stored[1] : -1)}).");
        }

        var length = stored[2];
        var name = Encoding.ASCII.GetString(stored.Slice(3, length));
        var version = BinaryPrimitives.ReadUInt16LittleEndian(stored[(3 + length)..]);
        return (name, version, 5 + length);
    }
}
