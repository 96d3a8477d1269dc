using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.Configuration;
using SalesOps.Server.Hosting;

namespace SalesOps.Engine.Tests;

/// <summary>gRPC server reflection is a setting (<c>Server:Reflection</c>): on by default on loopback, off by default elsewhere.</summary>
public static class Reflection
{
    /// <summary>The services a server lists through reflection; throws <see cref="RpcException"/> when it does not serve reflection.</summary>
    public static async Task<IReadOnlyList<string>> ListServicesAsync(GrpcChannel channel)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }).Within();
        await call.RequestStream.CompleteAsync().Within();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).Within());
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }
}

[Collection(ServerCollection.Name)]
public sealed class ReflectionOnLoopbackTests(ServerFixture server)
{
    [Fact]
    public async Task ServerOnLoopbackWithoutTheSetting_ServesReflection()
    {
        var services = await Reflection.ListServicesAsync(server.Channel);

        Assert.Contains("salesops.v1.QueryService", services);
    }
}

public sealed class ReflectionOffFixture() : ServerFixture(new Dictionary<string, string> { ["Server:Reflection"] = "false" });

public sealed class ReflectionOffTests(ReflectionOffFixture server) : IClassFixture<ReflectionOffFixture>
{
    [Fact]
    public async Task ReflectionSetToFalse_ReflectionIsNotServedAndTheApiIs()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Reflection.ListServicesAsync(server.Channel));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        var table = await server.Query.GetStageTableAsync(new Contracts.V1.GetStageTableRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal("USD", table.CurrencyCode);
    }
}

public sealed class ReflectionDefaultTests
{
    [Theory]
    [InlineData("127.0.0.1", null, true)]
    [InlineData("localhost", null, true)]
    [InlineData("::1", null, true)]
    [InlineData("0.0.0.0", null, false)]
    [InlineData("192.0.2.7", null, false)]
    [InlineData("0.0.0.0", "true", true)]
    [InlineData("127.0.0.1", "false", false)]
    public void Reflection_DefaultsToOnlyOnLoopback(string grpcHost, string? setting, bool expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Server:Reflection"] = setting })
            .Build();

        Assert.Equal(expected, Endpoints.ReflectionEnabled(configuration, new ServerOptions { GrpcHost = grpcHost }));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("192.0.2.7", false)]
    [InlineData("silo1", false)]
    [InlineData("localhost.example.com", false)]
    public void IsLoopback_IsTrueOnlyForAddressesOnlyThisMachineReaches(string host, bool expected) =>
        Assert.Equal(expected, Endpoints.IsLoopback(host));
}
