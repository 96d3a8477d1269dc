using Grpc.Core;
using Grpc.Net.Client;
using SalesOps.Access;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Access;

/// <summary>
/// The <c>keys</c> command: <c>create</c>, <c>list</c> and <c>revoke</c> API keys, through a running server's admin RPC
/// (<c>--server</c>, default the local one; the caller's key from <c>--api-key</c> or <c>SALESOPS_API_KEY</c>, none
/// needed against a local development server), or straight into the database of a postgres-mode deployment
/// (<c>--connection-string</c>: how the first admin key of a cluster can be made before any server runs).
/// </summary>
public static class KeysCommand
{
    public const string Usage =
        "usage: keys create --role connector|screen|rep|manager|admin --label \"...\" [--region <id>] [--rep <id>] [--kinds a,b] [--expires 2027-06-30T00:00:00Z]\n" +
        "       keys list [--all]\n" +
        "       keys revoke <key id>\n" +
        "   against a server: [--server http://127.0.0.1:7070] [--api-key <admin key> | env SALESOPS_API_KEY]\n" +
        "   or the database of a postgres deployment: --connection-string \"Host=...;Database=salesops;...\"";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("create" or "list" or "revoke"))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var options = Options(args.Skip(1).ToArray(), out var positional);
        try
        {
            var admin = options.TryGetValue("connection-string", out var cs) ? (IAdmin)new DatabaseAdmin(cs) : new ServerAdmin(options);
            switch (args[0])
            {
                case "create":
                    var request = new V1.CreateApiKeyRequest
                    {
                        Role = ParseRole(options.GetValueOrDefault("role")),
                        Label = options.GetValueOrDefault("label") ?? "",
                        RegionId = options.GetValueOrDefault("region") ?? "",
                        RepId = options.GetValueOrDefault("rep") ?? "",
                        ExpiresAt = options.TryGetValue("expires", out var e)
                            ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(e, System.Globalization.CultureInfo.InvariantCulture))
                            : null,
                    };
                    request.EventKinds.Add((options.GetValueOrDefault("kinds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    var created = await admin.CreateAsync(request);
                    Console.WriteLine(Describe(created.Key));
                    Console.WriteLine();
                    Console.WriteLine("API key (shown this once; the server keeps only a hash):");
                    Console.WriteLine(created.ApiKey);
                    return 0;
                case "list":
                    foreach (var k in await admin.ListAsync(options.ContainsKey("all")))
                    {
                        Console.WriteLine(Describe(k));
                    }

                    return 0;
                default:
                    if (positional.Count != 1)
                    {
                        await Console.Error.WriteLineAsync("keys revoke needs the key id (keys list shows them)");
                        return 2;
                    }

                    Console.WriteLine(Describe(await admin.RevokeAsync(positional[0])));
                    return 0;
            }
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"keys {args[0]} failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        catch (Exception ex) when (ex is FormatException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"keys {args[0]} failed: {ex.Message}");
            return 1;
        }
    }

    private static string Describe(V1.ApiKey k) =>
        $"{k.KeyId}  {Caller.RoleName((Role)k.Role),-9}  region {(k.RegionId.Length > 0 ? k.RegionId : "-")}" +
        (k.RepId.Length > 0 ? $"  rep {k.RepId}" : "") +
        (k.EventKinds.Count > 0 ? $"  kinds {string.Join(",", k.EventKinds)}" : "") +
        $"  \"{k.Label}\"  created {k.CreatedAt.ToDateTimeOffset():u} by {k.CreatedBy}" +
        (k.ExpiresAt is { } x ? $"  expires {x.ToDateTimeOffset():u}" : "") +
        (k.RevokedAt is { } r ? $"  REVOKED {r.ToDateTimeOffset():u}" : "");

    private static V1.Role ParseRole(string? text) =>
        Caller.ParseRole(text) is { } role ? (V1.Role)role : throw new FormatException("--role must be connector, screen, rep, manager or admin");

    /// <summary>The server a command calls: <c>--server</c>, the local one by default.</summary>
    internal static string ServerOf(Dictionary<string, string> options) => options.GetValueOrDefault("server") ?? "http://127.0.0.1:7070";

    /// <summary>The caller's key as call metadata: <c>--api-key</c> or <c>SALESOPS_API_KEY</c>; none against a local development server.</summary>
    internal static Metadata CallerHeaders(Dictionary<string, string> options) =>
        (options.GetValueOrDefault("api-key") ?? Environment.GetEnvironmentVariable("SALESOPS_API_KEY")) is { Length: > 0 } key
            ? [new Metadata.Entry(Credentials.ApiKeyHeader, key)]
            : [];

    internal static Dictionary<string, string> Options(string[] args, out List<string> positional)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        positional = [];
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }

            var name = args[i][2..];
            options[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }

        return options;
    }

    private interface IAdmin
    {
        Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request);

        Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all);

        Task<V1.ApiKey> RevokeAsync(string keyId);
    }

    /// <summary>Through the admin RPC of a running server.</summary>
    private sealed class ServerAdmin(Dictionary<string, string> options) : IAdmin
    {
        private readonly V1.AdminService.AdminServiceClient _client = new(GrpcChannel.ForAddress(ServerOf(options)));
        private readonly Metadata _headers = CallerHeaders(options);

        private static DateTime Due => DateTime.UtcNow.AddSeconds(30);

        public async Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request) => await _client.CreateApiKeyAsync(request, _headers, Due);

        public async Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all) =>
            (await _client.ListApiKeysAsync(new V1.ListApiKeysRequest { IncludeInactive = all }, _headers, Due)).Keys;

        public async Task<V1.ApiKey> RevokeAsync(string keyId) => (await _client.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = keyId }, _headers, Due)).Key;
    }

    /// <summary>Straight into the database of a postgres deployment, with the same checks the RPC makes.</summary>
    private sealed class DatabaseAdmin(string connectionString) : IAdmin
    {
        public async Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request)
        {
            var (record, response) = ApiKeyRequests.Issue(request, DateTimeOffset.UtcNow, "keys command (" + Environment.UserName + ")");
            await using var store = new Persistence.PostgresAccess(connectionString);
            await store.AddAsync(record);
            return response;
        }

        public async Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all)
        {
            var now = DateTimeOffset.UtcNow;
            await using var store = new Persistence.PostgresAccess(connectionString);
            return (await store.ListAsync()).Where(k => all || k.IsActiveAt(now)).Select(AdminGrpcService.ToWire).ToArray();
        }

        public async Task<V1.ApiKey> RevokeAsync(string keyId)
        {
            await using var store = new Persistence.PostgresAccess(connectionString);
            return AdminGrpcService.ToWire(await store.RevokeAsync(keyId, DateTimeOffset.UtcNow) ?? throw new InvalidOperationException($"no key has id '{keyId}'"));
        }
    }
}
