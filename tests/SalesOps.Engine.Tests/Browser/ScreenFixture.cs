using SalesOps.Domain;
using SalesOps.Engine.Tests.Access;
using SalesOps.TestSupport.Browser;
using Xunit.Abstractions;
using Xunit.Sdk;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Browser;

/// <summary>
/// The real server with credentials required, an office of east (reps with Chinese and Latin names, a won deal each
/// in a known order) and one of west, screen keys for each region, and one headless Chromium for the collection.
/// </summary>
public sealed class ScreenFixture(IMessageSink diagnostics) : ServerFixture(new Dictionary<string, string>
{
    ["Auth:Required"] = "true",
    ["Auth:BootstrapAdminKey"] = AccessFixture.AdminKey,
    ["Auth:KeyCacheTtl"] = "00:00:01",
})
{
    /// <summary>East's reps, best first on the bookings board, and what each won.</summary>
    public static readonly (string Id, string Name, long Won)[] East =
    [
        ("wang", "王芳", 900_000),
        ("emily", "Emily Carter", 750_000),
        ("li", "李娜", 600_000),
        ("chen", "陈静", 450_000),
        ("omar", "Omar Haddad", 300_000),
    ];

    /// <summary>Emily's photo: a small picture inline (an https URL works alike; the test machine reaches no web).</summary>
    public const string Photo = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSI2NCIgaGVpZ2h0PSI2NCI+PHJlY3Qgd2lkdGg9IjY0IiBoZWlnaHQ9IjY0IiBmaWxsPSIjMmE3ZmZmIi8+PGNpcmNsZSBjeD0iMzIiIGN5PSIyNiIgcj0iMTIiIGZpbGw9IiNmZmYiLz48L3N2Zz4=";

    public Scenario S { get; } = new("scr");

    public BrowserSession Browser { get; private set; } = null!;

    public string ScreenEastKey { get; private set; } = "";

    public string ScreenWestKey { get; private set; } = "";

    public ApiClients Admin { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = new ApiClients(Address, AccessFixture.AdminKey);
        var events = new List<SalesEvent> { S.Region("east"), S.Region("west"), S.Customer("acme") };
        events.AddRange(East.Select(r => (SalesEvent)new RepJoined(S.NextEventId(), S.At(0), S.Id(r.Id), r.Name, S.Id("east"), RepRole.Direct, RepStyle.Hunter)
        {
            PhotoUrl = r.Id == "emily" ? Photo : "",
        }));
        events.Add(new RepJoined(S.NextEventId(), S.At(0), S.Id("west1"), "West Rep", S.Id("west"), RepRole.Direct, RepStyle.Hunter));
        // Wang has a target for the month: 900,000 of 1,200,000 (75 %).
        events.Add(S.RepTarget("wang", "2026-11", 1_200_000));
        foreach (var (id, _, won) in East)
        {
            events.Add(S.Open("deal-" + id, id, "acme", won, h: 1));
            events.Add(S.Won("deal-" + id, 2));
        }

        events.Add(S.Open("deal-west1", "west1", "acme", 100_000, h: 1));
        events.Add(S.Won("deal-west1", 2));
        await IngestAsync(events);

        ScreenEastKey = await AccessFixture.CreateKeyAsync(Admin, new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "East office TV", RegionId = S.Id("east") });
        ScreenWestKey = await AccessFixture.CreateKeyAsync(Admin, new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "West office TV", RegionId = S.Id("west") });
        Browser = await BrowserSession.StartAsync(line => diagnostics.OnMessage(new DiagnosticMessage($"browser: {line}")));
    }

    /// <summary>Sends events as the admin, one call each; a refusal throws.</summary>
    public async Task IngestAsync(IEnumerable<SalesEvent> events)
    {
        foreach (var e in events)
        {
            await Admin.Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow.AddSeconds(15)); // a refusal throws
        }
    }

    /// <summary>Puts a channel as the admin.</summary>
    public Task PutChannelAsync(V1.Channel channel) =>
        Admin.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: DateTime.UtcNow.AddSeconds(15)).ResponseAsync;

    /// <summary>The page of <paramref name="channel"/>, opened with <paramref name="key"/> in the fragment (as an installer would).</summary>
    public string ScreenUrl(string channel, string? key, string query = "") =>
        $"{WebAddress}/screen/{channel}{(query.Length > 0 ? "?" + query : "")}{(key is null ? "" : "#key=" + Uri.EscapeDataString(key))}";

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Admin?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Runs alone (after the parallel collections): it measures how soon a screen shows a win, which a machine busy with
/// other test clusters would blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScreenCollection : ICollectionFixture<ScreenFixture>
{
    public const string Name = "screens";
}
