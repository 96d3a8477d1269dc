using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SalesOps.Server.Api;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>
/// Input no client should send, through the real server: refused with a status that says what is wrong, quoting
/// at most a short prefix of it, and nothing changed.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HostileInputTests(ServerFixture server) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private const string IngestOne = "/salesops.v1.IngestService/IngestOne";
    private readonly RawGrpc _raw = new(server.Address);

    public void Dispose() => _raw.Dispose();

    private async Task<Scenario> SetUpAsync(string prefix)
    {
        var s = new Scenario(prefix);
        foreach (var e in new SalesEvent[] { s.Region("r"), s.Rep("ann", "r"), s.Customer("acme"), s.Open("o1", "ann", "acme", 10_000, h: 1) })
        {
            Assert.Equal(V1.EventStatus.Accepted, (await server.Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow + Deadline)).Result.Status);
        }

        return s;
    }

    private Task<V1.GetRepResponse> RepAsync(Scenario s) =>
        server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = "2026-11" }, deadline: DateTime.UtcNow + Deadline).ResponseAsync;

    private async Task<RpcException> RefusedAsync(SalesEvent e) =>
        await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow + Deadline).ResponseAsync);

    [Fact]
    public async Task OccurredAtOutsideTheYearsOrTooFarAhead_RefusedNamingOccurredAtAndNothingChanged()
    {
        var s = await SetUpAsync("hostile-time");
        var before = await RepAsync(s);
        var now = server.Time.GetUtcNow();

        var year9500 = await RefusedAsync(s.Activity("ann", 0) with { OccurredAt = new DateTimeOffset(9500, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var year1850 = await RefusedAsync(s.Amount("o1", 20_000, 0) with { OccurredAt = new DateTimeOffset(1850, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var nextHour = await RefusedAsync(s.Won("o1", 0) with { OccurredAt = now.AddHours(1) });
        foreach (var refused in new[] { year9500, year1850, nextHour })
        {
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Equal("occurred_at", StatusDetails.Named(refused).Field);
        }

        Assert.Contains("future", nextHour.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before.Figures, (await RepAsync(s)).Figures);

        // Within the allowed skew (five minutes by default) a client clock running ahead is still accepted.
        var slightlyAhead = s.Activity("ann", 0) with { OccurredAt = now.AddMinutes(4) };
        Assert.Equal(V1.EventStatus.Accepted, (await server.Ingest.IngestOneAsync(slightlyAhead.ToOne(), deadline: DateTime.UtcNow + Deadline)).Result.Status);
    }

    [Fact]
    public async Task MethodPathInAnotherCase_AnswersUnimplementedAndIngestsNothing()
    {
        var s = await SetUpAsync("hostile-path");
        var activity = s.Activity("ann", 2);

        var answer = await _raw.CallAsync(IngestOne.ToUpperInvariant(), RawGrpc.Frame(activity.ToOne()));

        Assert.True(answer.Status == StatusCode.Unimplemented, answer.ToString());
        // Had the upper-case path ingested it, the exact path would now answer Duplicate.
        Assert.Equal(V1.EventStatus.Accepted, (await server.Ingest.IngestOneAsync(activity.ToOne(), deadline: DateTime.UtcNow + Deadline)).Result.Status);
        Assert.Equal(StatusCode.OK, (await _raw.CallAsync("/salesops.v1.QueryService/GetStageTable", RawGrpc.Frame([]))).Status);
    }

    public static TheoryData<string, byte[], string?, StatusCode> Garbage()
    {
        var invalidUtf8 = new byte[] { 0x0A, 0x05, 0x0A, 0x03, 0xC3, 0x28, 0xFF }; // event.event_id = three bytes that are not UTF-8
        var truncated = new byte[] { 0x0A, 0x10, (byte)'a' };                       // event promises 16 bytes, has 1
        var wrongWireType = new byte[] { 0x0B, 0x0C };                  // a group start where a string belongs
        var hugeVarint = Enumerable.Repeat((byte)0xFF, 11).ToArray();   // a tag varint longer than 10 bytes
        return new()
        {
            { "invalid UTF-8 in a string field", RawGrpc.Frame(invalidUtf8), null, StatusCode.InvalidArgument },
            { "a field cut short", RawGrpc.Frame(truncated), null, StatusCode.InvalidArgument },
            { "a wrong wire type", RawGrpc.Frame(wrongWireType), null, StatusCode.InvalidArgument },
            { "an endless varint", RawGrpc.Frame(hugeVarint), null, StatusCode.InvalidArgument },
            { "a 4 GB length prefix", RawGrpc.Frame([1, 2, 3], declaredLength: uint.MaxValue), null, StatusCode.ResourceExhausted },
            { "a 17 MB length prefix", RawGrpc.Frame([1, 2, 3], declaredLength: 17 * 1024 * 1024), null, StatusCode.ResourceExhausted },
            { "a compressed-flag byte of 7", RawGrpc.Frame([0x0A, 0x01, (byte)'x'], flag: 7), null, StatusCode.InvalidArgument },
            { "compressed without grpc-encoding", RawGrpc.Frame([0x0A, 0x01, (byte)'x'], flag: 1), null, StatusCode.InvalidArgument },
            { "compressed gzip that is not gzip", RawGrpc.Frame([0x0A, 0x01, (byte)'x'], flag: 1), "gzip", StatusCode.InvalidArgument },
            { "a body that ends inside a message", RawGrpc.Frame([0x0A, 0x01, (byte)'x'], declaredLength: 30), null, StatusCode.InvalidArgument },
            { "a body that ends inside a header", [0, 0, 0], null, StatusCode.InvalidArgument },
            { "no message at all", [], null, StatusCode.InvalidArgument },
            { "two messages on a unary call", [.. RawGrpc.Frame([]), .. RawGrpc.Frame([])], null, StatusCode.InvalidArgument },
        };
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task BytesThatAreNotOneWellFormedMessage_AnswerInvalidArgumentOrResourceExhausted(string what, byte[] body, string? encoding, StatusCode expected)
    {
        var answer = await _raw.CallAsync(IngestOne, body, encoding).Within();

        Assert.True(answer.Status == expected, $"{what}: {answer}");
        Assert.NotEmpty(answer.Message);

        // The same google.rpc.Status details as every other error: code, message and a stable reason.
        Assert.NotNull(answer.Details);
        Assert.Equal((int)expected, answer.Details.Code);
        Assert.Equal(answer.Message, answer.Details.Message);
        var info = answer.Details.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(ApiErrors.Domain, info.Domain);
        if (answer.Details.GetDetail<Google.Rpc.BadRequest>() is { } badRequest)
        {
            // Bytes the parser could skip (an unknown group) leave a message that validation then refuses by field.
            Assert.Equal(ApiErrors.InvalidField, info.Reason);
            Assert.NotEmpty(Assert.Single(badRequest.FieldViolations).Field);
        }
        else
        {
            Assert.Equal(expected == StatusCode.ResourceExhausted ? ApiErrors.RequestTooLarge : ApiErrors.MalformedRequest, info.Reason);
        }
        Assert.True(answer.HeaderBytes < 1024, $"{what}: {answer.HeaderBytes} bytes of headers");

        // The connection and the server still serve.
        Assert.Equal(StatusCode.OK, (await _raw.CallAsync("/salesops.v1.QueryService/GetStageTable", RawGrpc.Frame([]))).Status);
    }

    [Fact]
    public async Task HugePeriodOrBatchId_QuotedByAShortPrefixAndTheNextCallServed()
    {
        var s = await SetUpAsync("hostile-echo");
        var huge = new string('9', 1_000_000);

        var period = await Assert.ThrowsAsync<RpcException>(() =>
            server.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("ann"), Period = huge }, deadline: DateTime.UtcNow + Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, period.StatusCode);
        Assert.InRange(period.Status.Detail.Length, 1, 300);
        Assert.Contains("1000000 characters", period.Status.Detail, StringComparison.Ordinal);

        var target = new V1.Event
        {
            EventId = s.NextEventId(),
            OccurredAt = Timestamp.FromDateTimeOffset(s.At(1)),
            TargetSet = new V1.TargetSet { Scope = V1.TargetScope.Rep, ScopeId = s.Id("ann"), Period = huge, Metric = V1.TargetMetric.Bookings, MustAchieve = 1, Stretch = 1 },
        };
        using (var call = server.Ingest.Ingest(deadline: DateTime.UtcNow + Deadline))
        {
            var batch = new V1.IngestRequest { BatchId = new string('b', 1_000_000) };
            batch.Events.Add(Enumerable.Repeat(s.Activity("ann", 2).ToProto(), SalesOps.Server.Api.IngestGrpcService.MaxBatch + 1));
            await call.RequestStream.WriteAsync(batch).Within();
            var tooMany = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).Within());
            Assert.Equal(StatusCode.InvalidArgument, tooMany.StatusCode);
            Assert.InRange(tooMany.Status.Detail.Length, 1, 300);
        }

        var stage = await RefusedAsync(s.Stage("o1", new string('s', 100_000), 2));
        Assert.Equal("stage_id", StatusDetails.Named(stage).Field);
        Assert.InRange(stage.Status.Detail.Length, 1, 300);

        var refused = await Assert.ThrowsAsync<RpcException>(() => server.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = target }, deadline: DateTime.UtcNow + Deadline).ResponseAsync);
        Assert.Equal("period", StatusDetails.Named(refused).Field);
        Assert.InRange(refused.Status.Detail.Length, 1, 300);
        Assert.Equal(10_000, (await RepAsync(s)).Figures.OpenAmount);
    }

    /// <summary>The quote helper on its own: short input whole, long input cut, control characters replaced.</summary>
    [Fact]
    public void Quote_LongOrControlInput_ShortPrefixOnOneLine()
    {
        Assert.Equal("'2026-13'", Echo.Quote("2026-13"));
        var quoted = Echo.Quote(new string('x', 500) + "\n");
        Assert.StartsWith("'" + new string('x', Echo.MaxQuoted) + "…'", quoted, StringComparison.Ordinal);
        Assert.EndsWith("(501 characters)", quoted, StringComparison.Ordinal);
        Assert.Equal("'a?b'", Echo.Quote("a\0b"));
        // 39 characters and an emoji whose two UTF-16 halves straddle the cut: the pair is dropped whole.
        Assert.StartsWith("'" + new string('x', Echo.MaxQuoted - 1) + "…'", Echo.Quote(new string('x', Echo.MaxQuoted - 1) + "😀😀"), StringComparison.Ordinal);
    }
}

