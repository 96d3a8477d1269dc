using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Access;

/// <summary>
/// The real server with credentials required: a bootstrap admin key, API keys it creates through the admin RPC, and
/// bearer tokens signed by a key set the fixture writes (as an identity provider would publish it). A small company:
/// east (with east-north under it) and west, reps ann (east), cid (east-north) and bob (west), a won deal each for ann
/// and bob, an open one for cid.
/// </summary>
public sealed class AccessFixture : ServerFixture
{
    public const string Issuer = "https://idp.salesops.test";
    public const string Audience = "salesops-api";

    public static readonly string AdminKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly RSA SigningKey = RSA.Create(2048);
    private static readonly string KeySetFile = WriteKeySet();

    public AccessFixture()
        : base(new Dictionary<string, string>
        {
            ["Auth:Required"] = "true",
            ["Auth:BootstrapAdminKey"] = AdminKey,
            ["Auth:Jwt:Issuers:0"] = Issuer,
            ["Auth:Jwt:Audiences:0"] = Audience,
            ["Auth:Jwt:JwksFile"] = KeySetFile,
            ["Auth:KeyCacheTtl"] = "00:00:01",
            // The bad-credential tests all come from loopback; the throttle has its own server (AccessLimitTests).
            ["Auth:Limits:FailedAuthenticationsPerMinute"] = "1000",
        })
    {
    }

    public Scenario S { get; } = new("acc");

    /// <summary>API keys by name, created by the admin in <see cref="InitializeAsync"/>.</summary>
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var admin = Clients(AdminKey);
        foreach (var e in new SalesEvent[]
        {
            S.Region("east"), S.Region("east-north", "east"), S.Region("west"),
            S.Rep("ann", "east"), S.Rep("cid", "east-north"), S.Rep("bob", "west"), S.Customer("acme"),
            S.Open("o-ann", "ann", "acme", 40_000, h: 1), S.Won("o-ann", 2),
            S.Open("o-bob", "bob", "acme", 30_000, h: 1), S.Won("o-bob", 2),
            S.Open("o-cid", "cid", "acme", 20_000, h: 1),
        })
        {
            await admin.Ingest.IngestOneAsync(e.ToOne(), deadline: DateTime.UtcNow.AddSeconds(15));
        }

        Keys["connector"] = await CreateKeyAsync(admin, new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "CRM, company-wide" });
        Keys["connector-east"] = await CreateKeyAsync(admin, new V1.CreateApiKeyRequest
        {
            Role = V1.Role.Connector, Label = "CRM of east", RegionId = S.Id("east"), EventKinds = { "activity_logged", "opportunity_opened", "opportunity_won" },
        });
        Keys["screen-east"] = await CreateKeyAsync(admin, new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "East office TV", RegionId = S.Id("east") });
        Keys["rep-ann"] = await CreateKeyAsync(admin, new V1.CreateApiKeyRequest { Role = V1.Role.Rep, Label = "Ann's phone", RepId = S.Id("ann") });
        Keys["manager-west"] = await CreateKeyAsync(admin, new V1.CreateApiKeyRequest { Role = V1.Role.Manager, Label = "West manager's tool", RegionId = S.Id("west") });
        Keys["admin"] = AdminKey;
        Keys["manager-east"] = Token(new() { ["sub"] = "mia", ["salesops_role"] = "manager", ["salesops_region"] = S.Id("east") });
        Keys["rep-ann-token"] = Token(new() { ["sub"] = "ann", ["salesops_role"] = "rep", ["salesops_rep"] = S.Id("ann") });
    }

    public static async Task<string> CreateKeyAsync(ApiClients admin, V1.CreateApiKeyRequest request) =>
        (await admin.Admin.CreateApiKeyAsync(request, deadline: DateTime.UtcNow.AddSeconds(15))).ApiKey;

    /// <summary>Clients that send <paramref name="credential"/>: an API key, or a JWT (as a bearer token); none when null.</summary>
    public ApiClients Clients(string? credential) => new(Address, credential);

    /// <summary>A token signed with the published key, valid for an hour unless the claims say otherwise.</summary>
    public static string Token(Dictionary<string, object> claims, string issuer = Issuer, string audience = Audience,
        DateTime? notBefore = null, DateTime? expires = null, RSA? signWith = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = (notBefore ?? now).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddSeconds(-1),
            Expires = expires ?? now.AddHours(1),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? SigningKey) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public static string UnsignedToken(Dictionary<string, object> claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(claims) { ["iss"] = Issuer, ["aud"] = Audience, ["nbf"] = now - 1, ["exp"] = now + 3600 };
        return B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + B64(System.Text.Json.JsonSerializer.Serialize(payload)) + ".";
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    /// <summary>The published key set, as an identity provider serves it.</summary>
    public static string KeySetJson()
    {
        var p = SigningKey.ExportParameters(false);
        return $$"""{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
    }

    private static string WriteKeySet()
    {
        var path = Path.Combine(Path.GetTempPath(), $"salesops-jwks-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, KeySetJson());
        return path;
    }
}

/// <summary>The key set served over HTTP on loopback, as an identity provider's JWKS URL; counts the reads.</summary>
public sealed class KeySetServer : IDisposable
{
    private readonly System.Net.HttpListener _listener = new();
    private int _reads;

    public KeySetServer()
    {
        var port = Net.FreePort();
        Url = $"http://127.0.0.1:{port}/.well-known/jwks.json";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    public int Reads => Volatile.Read(ref _reads);

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        var body = Encoding.UTF8.GetBytes(AccessFixture.KeySetJson());
        while (_listener.IsListening)
        {
            try
            {
                var context = await _listener.GetContextAsync();
                Interlocked.Increment(ref _reads);
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
            catch (Exception e) when (e is System.Net.HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
        }
    }
}

/// <summary>The API's clients over one channel that sends a credential with every call.</summary>
public sealed class ApiClients : IDisposable
{
    private readonly GrpcChannel _channel;

    public ApiClients(string address, string? credential, HttpMessageHandler? handler = null)
    {
        var options = new GrpcChannelOptions { HttpHandler = handler };
        if (credential is not null)
        {
            var header = credential.Count(c => c == '.') == 2 ? ("authorization", "Bearer " + credential) : ("x-api-key", credential);
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add(header.Item1, header.Item2);
                return Task.CompletedTask;
            }));
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }

        _channel = GrpcChannel.ForAddress(address, options);
        Ingest = new V1.IngestService.IngestServiceClient(_channel);
        Query = new V1.QueryService.QueryServiceClient(_channel);
        Watch = new V1.WatchService.WatchServiceClient(_channel);
        Admin = new V1.AdminService.AdminServiceClient(_channel);
        Screens = new V1.ScreenService.ScreenServiceClient(_channel);
    }

    public V1.IngestService.IngestServiceClient Ingest { get; }
    public V1.QueryService.QueryServiceClient Query { get; }
    public V1.WatchService.WatchServiceClient Watch { get; }
    public V1.AdminService.AdminServiceClient Admin { get; }
    public V1.ScreenService.ScreenServiceClient Screens { get; }

    public void Dispose() => _channel.Dispose();
}

[CollectionDefinition(Name)]
public sealed class AccessCollection : ICollectionFixture<AccessFixture>
{
    public const string Name = "access";
}
