using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace SalesOps.Server.Api;

/// <summary>
/// Middleware in front of every gRPC method: the path must name the method exactly, and the request's message
/// frames are checked as they arrive, so that malformed input answers <c>INVALID_ARGUMENT</c> (or
/// <c>RESOURCE_EXHAUSTED</c> for size) instead of what Grpc.AspNetCore decides before any service code runs.
/// </summary>
/// <remarks>
/// <para>
/// Routing matches paths case-insensitively, so <c>/SALESOPS.V1.INGESTSERVICE/INGESTONE</c> reached IngestOne and a
/// path rule in a proxy could be sidestepped. A path that is not the method's exact name answers
/// <c>UNIMPLEMENTED</c>, as an unknown method does.
/// </para>
/// <para>
/// Grpc.AspNetCore answers a length prefix above 2 GB and a compressed-flag byte other than 0 or 1 with
/// <c>UNKNOWN</c>, and a body that ends inside a message, a second message on a unary call, or a compressed message
/// without <c>grpc-encoding</c> with <c>INTERNAL</c>. Its reader is the request's <see cref="PipeReader"/>, so a
/// reader placed in front of it that sees each frame header first can refuse the frame with the right status: an
/// <see cref="RpcException"/> thrown while reading is answered with its own status.
/// </para>
/// </remarks>
public static class RequestFraming
{
    /// <summary>Adds the middleware; it must run after routing (a <see cref="WebApplication"/> routes first).</summary>
    public static IApplicationBuilder UseStrictGrpcRequests(this IApplicationBuilder app, int maxMessageBytes) =>
        app.Use(next => context =>
        {
            // JSON (transcoded) calls on the web port have paths of their own and are parsed by transcoding, which
            // answers malformed input itself.
            if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } grpc
                || context.Request.ContentType is not { } type
                || !type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
            {
                return next(context);
            }

            if (!string.Equals(context.Request.Path.Value, grpc.Method.FullName, StringComparison.Ordinal))
            {
                return UnimplementedAsync(context);
            }

            if (type.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase))
            {
                // gRPC-Web (the read services only): its middleware, after this one, translates the body.
                return next(context);
            }

            var body = context.Features.Get<IRequestBodyPipeFeature>();
            if (body is not null)
            {
                var encoding = context.Request.Headers["grpc-encoding"].ToString();
                var single = grpc.Method.Type is MethodType.Unary or MethodType.ServerStreaming;
                context.Features.Set<IRequestBodyPipeFeature>(new FramedBody(
                    new FramingReader(body.Reader, single, encoding is "" or "identity" ? null : encoding, maxMessageBytes)));
            }

            return next(context);
        });

    /// <summary>A trailers-only gRPC answer: the status in the response headers, no body.</summary>
    private static Task UnimplementedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)StatusCode.Unimplemented).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = "Method is unimplemented (method paths are case-sensitive).";
        return Task.CompletedTask;
    }

    private sealed class FramedBody(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }

    /// <summary>
    /// Passes the request body through unchanged, reading each 5-byte frame header (compressed flag, big-endian
    /// length) as it goes by. It tracks absolute offsets: where the buffer it last returned starts, and where the next
    /// header starts; the reader behind it only ever consumes whole frames, so the next header is never behind.
    /// </summary>
    /// <remarks>
    /// A gzip message is also decompressed once here, into nothing, when it has arrived whole: Grpc.AspNetCore answers
    /// a corrupt one with <c>UNKNOWN</c>. Nothing our clients send is compressed, so this costs nothing in practice.
    /// </remarks>
    private sealed class FramingReader(PipeReader inner, bool single, string? encoding, int maxMessageBytes) : PipeReader
    {
        private const int HeaderSize = 5;
        private ReadOnlySequence<byte> _last;
        private long _start;
        private long _next;
        private int _frames;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            Check(result);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Check(result);
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            _start += _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        private void Check(in ReadResult result)
        {
            _last = result.Buffer;
            var end = _start + result.Buffer.Length;
            Span<byte> header = stackalloc byte[HeaderSize];
            while (_next + HeaderSize <= end)
            {
                result.Buffer.Slice(_next - _start, HeaderSize).CopyTo(header);
                var number = _frames + 1;
                var flag = header[0];
                var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
                if (flag > 1)
                {
                    throw Invalid($"message {number}: the compressed-flag byte is {flag}; it must be 0 or 1");
                }

                if (flag == 1 && encoding is null)
                {
                    throw Invalid($"message {number} is marked compressed, but the request names no grpc-encoding");
                }

                if (length > maxMessageBytes)
                {
                    throw Exhausted($"message {number} is {length} bytes; a request message may have at most {maxMessageBytes}");
                }

                if (single && number > 1)
                {
                    throw Invalid("this method takes exactly one request message; the request carries more");
                }

                if (flag == 1 && encoding == "gzip")
                {
                    if (_next + HeaderSize + length > end)
                    {
                        break; // checked again once the whole message is here
                    }

                    CheckGzip(result.Buffer.Slice(_next - _start + HeaderSize, length), number);
                }

                _frames = number;
                _next += HeaderSize + length;
            }

            if (single && _frames == 1 && end > _next)
            {
                // Grpc.AspNetCore refuses any byte after the one message at once, before a second header is whole.
                throw Invalid("this method takes exactly one request message; the request carries more bytes after it");
            }

            if (result.IsCompleted && _next != end)
            {
                throw Invalid(_next < end
                    ? "the request ends inside a message header"
                    : "the request ends inside a message: its length prefix promises more bytes than were sent");
            }

            if (result.IsCompleted && single && _frames == 0)
            {
                throw Invalid("this method takes exactly one request message; the request carries none");
            }
        }

        private void CheckGzip(ReadOnlySequence<byte> payload, int number)
        {
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(payload.ToArray()), System.IO.Compression.CompressionMode.Decompress);
            var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                long total = 0;
                int read;
                while ((read = gzip.Read(scratch)) > 0)
                {
                    total += read;
                    if (total > maxMessageBytes)
                    {
                        throw Exhausted($"message {number} decompresses to more than {maxMessageBytes} bytes, the most a request message may have");
                    }
                }
            }
            catch (InvalidDataException)
            {
                throw Invalid($"message {number} is marked gzip-compressed but is not valid gzip data");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        private static RpcException Invalid(string message) => ApiErrors.Malformed(StatusCode.InvalidArgument, message);

        private static RpcException Exhausted(string message) => ApiErrors.Malformed(StatusCode.ResourceExhausted, message);
    }
}
