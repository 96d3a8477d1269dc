using System.Security.Cryptography;
using System.Text;

namespace SalesOps.Access;

/// <summary>
/// The key format, <c>sok_&lt;id&gt;_&lt;secret&gt;</c>: a 12-character id (60 random bits, base32) by which the key is
/// found, and a 43-character secret (256 random bits, base64url) of which only the SHA-256 is kept. A slow password
/// hash buys nothing for 256 random bits; the comparison is constant-time. The <c>sok_</c> prefix lets secret scanners
/// recognise a leaked key.
/// </summary>
public static class ApiKeySecret
{
    public const string Prefix = "sok_";
    private const int IdLength = 12;
    private const int SecretBytes = 32;
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>A new key: its id, the whole key to hand out once, and the hash to keep.</summary>
    public static (string KeyId, string ApiKey, byte[] SecretHash) Generate()
    {
        Span<byte> idBytes = stackalloc byte[IdLength];
        RandomNumberGenerator.Fill(idBytes);
        var id = new StringBuilder(IdLength);
        foreach (var b in idBytes)
        {
            id.Append(Base32[b & 31]);
        }

        var secret = Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
        var keyId = id.ToString();
        return (keyId, Prefix + keyId + "_" + secret, Hash(secret));
    }

    /// <summary>Splits a presented key into id and secret; false when it does not have the key format.</summary>
    public static bool TryParse(string presented, out string keyId, out string secret)
    {
        keyId = secret = "";
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length != Prefix.Length + IdLength + 1 + 43
            || presented[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        keyId = presented.Substring(Prefix.Length, IdLength);
        secret = presented[(Prefix.Length + IdLength + 1)..];
        return keyId.All(c => Base32.Contains(c, StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="keyId"/> has the form of a key id (for ids named in requests).</summary>
    public static bool IsKeyId(string keyId) => keyId.Length == IdLength && keyId.All(c => Base32.Contains(c, StringComparison.Ordinal));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Constant-time: how long it takes says nothing about how much of the secret was right.</summary>
    public static bool Matches(byte[] secretHash, string secret) => CryptographicOperations.FixedTimeEquals(secretHash, Hash(secret));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
