using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using SalesOps.Access;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Access;

/// <summary>
/// The <c>keys</c> command: <c>create</c>, <c>list</c> and <c>revoke</c> API keys, through a running server's admin RPC
/// (<c>--server</c>, default the local one; the caller's key from <c>--api-key</c> or <c>SALESOPS_API_KEY</c>, none
/// needed against a local development server), or straight into the store of a deployment whose server is not running:
/// the database of a postgres-mode cluster (<c>--connection-string</c>) or the embedded store's folder
/// (<c>--data-dir</c>) — how the first admin key is made before any server runs.
/// </summary>
public static class KeysCommand
{
    /// <summary>Runs <c>keys</c> with <paramref name="args"/> as the command line does (tests call it in-process).</summary>
    public static Task<int> RunAsync(string[] args) => Cli.SalesOpsCommandLine.InvokeAsync(["keys", .. args]);

    /// <summary>The <c>keys</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var keys = new Command("keys", "Create, list and revoke API keys, through a running server, or straight into a postgres deployment's database or a stopped server's embedded store.");
        var client = new Cli.ClientOptions().AddTo(keys);
        var connectionString = new Option<string>("--connection-string")
        {
            Description = "the database of a postgres deployment, instead of a server (how a cluster's first admin key is made)",
            Recursive = true,
            HelpName = "text",
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "the embedded store's folder of a server that is not running, instead of a server (how its first admin key is made)",
            Recursive = true,
            HelpName = "folder",
        };
        keys.Options.Add(connectionString);
        keys.Options.Add(dataDir);
        IAdmin Admin(ParseResult parse, bool creates = false) => (parse.GetValue(connectionString), parse.GetValue(dataDir)) switch
        {
            ({ }, { }) => throw new InvalidOperationException("--connection-string and --data-dir name two stores: give one"),
            ({ } cs, null) => new StoreAdmin(() => new PostgresStore(new Persistence.PostgresAccess(cs))),
            (null, { } folder) when !creates && !File.Exists(Path.Combine(folder, Persistence.SqliteDatabase.FileName)) =>
                throw new InvalidOperationException($"--data-dir '{Path.GetFullPath(folder)}' holds no store ({Persistence.SqliteDatabase.FileName})"),
            (null, { } folder) => new StoreAdmin(() => new SqliteStore(Persistence.SqliteDatabase.Open(folder, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))),
            _ => new ServerAdmin(client.ServerOf(parse), Cli.ClientOptions.Headers(client.KeyOf(parse))),
        };

        var role = new Option<string>("--role") { Description = "connector, screen, rep, manager or admin", Required = true };
        role.AcceptOnlyFromAmong("connector", "screen", "rep", "manager", "admin");
        var label = new Option<string>("--label") { Description = "what the key is for", Required = true };
        var region = new Option<string>("--region") { Description = "the region subtree the key is limited to", HelpName = "id" };
        var rep = new Option<string>("--rep") { Description = "the rep a rep key is for", HelpName = "id" };
        var kinds = new Option<string>("--kinds") { Description = "event kinds a connector key may send, comma-separated", HelpName = "a,b" };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "expiry, e.g. 2027-06-30T00:00:00Z", HelpName = "time" };
        var create = new Command("create", "Create a key; its secret is shown once.") { role, label, region, rep, kinds, expires };
        create.SetAction((parse, _) => RunAsync("create", async () =>
        {
            var request = new V1.CreateApiKeyRequest
            {
                Role = ParseRole(parse.GetValue(role)),
                Label = parse.GetValue(label) ?? "",
                RegionId = parse.GetValue(region) ?? "",
                RepId = parse.GetValue(rep) ?? "",
                ExpiresAt = parse.GetValue(expires) is { } e ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(e) : null,
            };
            request.EventKinds.Add((parse.GetValue(kinds) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var created = await Admin(parse, creates: true).CreateAsync(request); // a new deployment's first key makes its store
            Console.WriteLine(Describe(created.Key));
            Console.WriteLine();
            Console.WriteLine("API key (shown this once; the server keeps only a hash):");
            Console.WriteLine(created.ApiKey);
        }));

        var all = new Option<bool>("--all") { Description = "revoked and expired keys too" };
        var list = new Command("list", "List the active keys.") { all };
        list.SetAction((parse, _) => RunAsync("list", async () =>
        {
            foreach (var k in await Admin(parse).ListAsync(parse.GetValue(all)))
            {
                Console.WriteLine(Describe(k));
            }
        }));

        var keyId = new Argument<string>("key-id") { Description = "the key's id (keys list shows them)" };
        var revoke = new Command("revoke", "Revoke a key at once.") { keyId };
        revoke.SetAction((parse, _) => RunAsync("revoke", async () => Console.WriteLine(Describe(await Admin(parse).RevokeAsync(parse.GetRequiredValue(keyId))))));

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        return keys;
    }

    private static async Task<int> RunAsync(string verb, Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"keys {verb} failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
        catch (Exception ex) when (ex is FormatException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"keys {verb} failed: {ex.Message}");
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

    private interface IAdmin
    {
        Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request);

        Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all);

        Task<V1.ApiKey> RevokeAsync(string keyId);
    }

    /// <summary>Through the admin RPC of a running server.</summary>
    private sealed class ServerAdmin(string server, Metadata headers) : IAdmin
    {
        private readonly V1.AdminService.AdminServiceClient _client = new(GrpcChannel.ForAddress(server));
        private readonly Metadata _headers = headers;

        private static DateTime Due => DateTime.UtcNow.AddSeconds(30);

        public async Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request) => await _client.CreateApiKeyAsync(request, _headers, Due);

        public async Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all) =>
            (await _client.ListApiKeysAsync(new V1.ListApiKeysRequest { IncludeInactive = all }, _headers, Due)).Keys;

        public async Task<V1.ApiKey> RevokeAsync(string keyId) => (await _client.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = keyId }, _headers, Due)).Key;
    }

    /// <summary>A key store the command opened, and closes when done.</summary>
    private interface IOwnedStore : IAsyncDisposable
    {
        IApiKeyStore Keys { get; }
    }

    private sealed class PostgresStore(Persistence.PostgresAccess access) : IOwnedStore
    {
        public IApiKeyStore Keys => access;

        public ValueTask DisposeAsync() => access.DisposeAsync();
    }

    /// <summary>The embedded store, locked for the command's run: refused while a server holds the folder.</summary>
    private sealed class SqliteStore(Persistence.SqliteDatabase database) : IOwnedStore
    {
        public IApiKeyStore Keys { get; } = new Persistence.SqliteAccess(database);

        public ValueTask DisposeAsync() => database.DisposeAsync();
    }

    /// <summary>Straight into a deployment's store, with the same checks the RPC makes.</summary>
    private sealed class StoreAdmin(Func<IOwnedStore> open) : IAdmin
    {
        public async Task<V1.CreateApiKeyResponse> CreateAsync(V1.CreateApiKeyRequest request)
        {
            var (record, response) = ApiKeyRequests.Issue(request, DateTimeOffset.UtcNow, "keys command (" + Environment.UserName + ")");
            await using var store = open();
            await store.Keys.AddAsync(record);
            return response;
        }

        public async Task<IReadOnlyList<V1.ApiKey>> ListAsync(bool all)
        {
            var now = DateTimeOffset.UtcNow;
            await using var store = open();
            return (await store.Keys.ListAsync()).Where(k => all || k.IsActiveAt(now)).Select(AdminGrpcService.ToWire).ToArray();
        }

        public async Task<V1.ApiKey> RevokeAsync(string keyId)
        {
            await using var store = open();
            return AdminGrpcService.ToWire(await store.Keys.RevokeAsync(keyId, DateTimeOffset.UtcNow) ?? throw new InvalidOperationException($"no key has id '{keyId}'"));
        }
    }
}
