using System.Net;

namespace SalesOps.Engine.Tests.Access;

/// <summary>The Orleans dashboard on a server that requires credentials: admins only.</summary>
[Collection(AccessCollection.Name)]
public sealed class DashboardAccessTests(AccessFixture server)
{
    private async Task<HttpStatusCode> DashboardAsync(string? credential, string path = "/dashboard/")
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress), Timeout = TimeSpan.FromSeconds(15) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (credential is not null)
        {
            request.Headers.Add(credential.Count(c => c == '.') == 2 ? "authorization" : "x-api-key", credential.Count(c => c == '.') == 2 ? "Bearer " + credential : credential);
        }

        using var response = await http.SendAsync(request).Within();
        return response.StatusCode;
    }

    [Fact]
    public async Task Dashboard_ForAnAdminKey_Answers()
    {
        Assert.Equal(HttpStatusCode.OK, await DashboardAsync(server.Keys["admin"]));
        Assert.Equal(HttpStatusCode.OK, await DashboardAsync(server.Keys["admin"], "/dashboard/DashboardCounters"));
    }

    [Theory]
    [InlineData("connector")]
    [InlineData("screen-east")]
    [InlineData("rep-ann")]
    [InlineData("manager-west")]
    [InlineData("manager-east")] // a token
    public async Task Dashboard_ForCredentialsOfAnotherRole_IsForbidden(string caller)
    {
        Assert.Equal(HttpStatusCode.Forbidden, await DashboardAsync(server.Keys[caller]));
        Assert.Equal(HttpStatusCode.Forbidden, await DashboardAsync(server.Keys[caller], "/dashboard/DashboardCounters"));
    }

    [Fact]
    public async Task Dashboard_WithoutCredentialsWhenTheyAreRequired_IsUnauthorizedEvenOnLoopback()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardAsync(null, "/dashboard/DashboardCounters"));
    }

    [Fact]
    public async Task MetricsScrape_WhenCredentialsAreRequired_IsServedWithoutThem()
    {
        var scrape = await MetricsScrape.OfAsync(server.WebAddress);

        Assert.True(scrape.Any(l => l.StartsWith("salesops_", StringComparison.Ordinal)), "the engine's meter on the scrape");
    }
}
