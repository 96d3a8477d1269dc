using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;

namespace SalesOps.Engine.Tests;

/// <summary>What the server answered to a hand-built request: the gRPC status and how big its status parts were.</summary>
/// <param name="HeaderBytes">Bytes of every response header and trailer (names and values): what an echo inflates.</param>
public sealed record RawAnswer(int HttpStatus, StatusCode? Status, string Message, int HeaderBytes, int BodyBytes, Google.Rpc.Status? Details = null)
{
    public override string ToString() => $"HTTP {HttpStatus}, grpc-status {Status?.ToString() ?? "none"} '{Message}', {HeaderBytes} header bytes, {BodyBytes} body bytes";
}

/// <summary>
/// gRPC by hand over HTTP/2 cleartext: any path, any frame bytes, so tests can send what no gRPC client would.
/// </summary>
public sealed class RawGrpc(string address) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>One length-prefixed frame: flag byte, 4-byte big-endian length, payload.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, byte flag = 0, uint? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength ?? (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] Frame(IMessage message) => Frame(message.ToByteArray());

    public async Task<RawAnswer> CallAsync(string path, byte[] body, string? encoding = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address + path)
        {
            Version = HttpVersion.Version20, // a request's own version, not the client's default, decides: h2c needs 2.0 exactly
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (encoding is not null)
        {
            request.Headers.Add("grpc-encoding", encoding);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var content = await response.Content.ReadAsByteArrayAsync(ct);
        var status = Value(response, "grpc-status");
        var message = Value(response, "grpc-message") is { } m ? Uri.UnescapeDataString(m) : "";
        var headerBytes = Size(response.Headers) + Size(response.Content.Headers) + Size(response.TrailingHeaders);
        return new RawAnswer(
            (int)response.StatusCode,
            status is null ? null : (StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message,
            headerBytes,
            content.Length,
            Value(response, "grpc-status-details-bin") is { } details ? Google.Rpc.Status.Parser.ParseFrom(Base64(details)) : null);
    }

    private static string? Value(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
        : response.Headers.TryGetValues(name, out var h) ? h.First()
        : null;

    /// <summary>Binary metadata is base64, and gRPC implementations may leave out its padding.</summary>
    private static byte[] Base64(string value) => Convert.FromBase64String(value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '='));

    private static int Size(HttpHeaders headers) => headers.Sum(h => h.Key.Length + h.Value.Sum(v => v.Length));

    public void Dispose() => _http.Dispose();
}
