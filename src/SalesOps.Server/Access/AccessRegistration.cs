using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SalesOps.Access;
using SalesOps.Server.Hosting;

namespace SalesOps.Server.Access;

/// <summary>Wires authentication (API keys, bearer JWTs, the development identity) and the access policy into the host.</summary>
public static partial class AccessRegistration
{
    /// <summary>The scheme that picks API key or JWT by what the call carries.</summary>
    public const string Scheme = "SalesOps";

    /// <summary>The key under which a call's <see cref="Caller"/> is kept in <c>HttpContext.Items</c>.</summary>
    private static readonly object CallerKey = typeof(Caller);

    /// <summary>
    /// Registers authentication and the policy. Fails start-up, saying what to configure, when the server would be
    /// reachable beyond loopback with no credentials required.
    /// </summary>
    public static void AddSalesOpsAccess(this WebApplicationBuilder builder, ServerOptions server, StorageOptions storage)
    {
        var section = builder.Configuration.GetSection(AccessOptions.Section);
        var options = section.Get<AccessOptions>() ?? new AccessOptions();
        var bootstrap = ApiKeyValidator.BootstrapKey(options);
        if (!options.Required && !Endpoints.IsLoopback(server.GrpcHost))
        {
            throw new InvalidOperationException(
                $"Server:GrpcHost '{server.GrpcHost}' is reachable beyond this machine, and no credentials are required: set Auth:Required=true " +
                "(Auth__Required=true) with a first admin key (Auth:BootstrapAdminKeyFile, a file holding at least 32 random characters, " +
                "e.g. `openssl rand -base64 32`) and/or bearer tokens (Auth:Jwt:Issuers, Auth:Jwt:Audiences, Auth:Jwt:JwksUrl or JwksFile); " +
                "README, \"Access\". Or bind to 127.0.0.1 for local development.");
        }

        if (options.Required && bootstrap is null && !options.Jwt.IsConfigured && !storage.IsDurable)
        {
            throw new InvalidOperationException(
                $"Auth:Required=true, but nobody could ever authenticate: in {storage.Mode} mode no key can be made before the server runs, so configure a first admin key " +
                "(Auth:BootstrapAdminKeyFile or Auth:BootstrapAdminKey) or bearer tokens (Auth:Jwt:*)");
        }

        builder.Services.Configure<AccessOptions>(section);
        if (storage.IsSqlite)
        {
            builder.Services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<Persistence.SqliteAccess>());
            builder.Services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<Persistence.SqliteAccess>());
        }
        else if (storage.IsPostgres)
        {
            builder.Services.AddSingleton(_ => new Persistence.PostgresAccess(storage.ConnectionString));
            builder.Services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<Persistence.PostgresAccess>());
            builder.Services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<Persistence.PostgresAccess>());
        }
        else
        {
            builder.Services.AddSingleton<IApiKeyStore, MemoryApiKeyStore>();
            builder.Services.AddSingleton<IAuditLog>(_ => new MemoryAuditLog(Math.Max(1, options.AuditMemoryEventIds)));
        }

        builder.Services.AddSingleton<ApiKeyValidator>();
        builder.Services.AddSingleton<AccessPolicy>();
        builder.Services.AddSingleton<AccessInterceptor>();
        builder.Services.AddSingleton<CallerLimits>();
        var auth = builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                options.Jwt.IsConfigured && Credentials.IsJwt(context.Request) ? JwtBearerDefaults.AuthenticationScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (options.Jwt.IsConfigured)
        {
            auth.AddJwtBearer(o => ConfigureJwt(o, options.Jwt));
        }
    }

    /// <summary>
    /// With credentials required in sqlite mode and neither a bootstrap key nor tokens configured, the store must already
    /// hold an active admin key (made with <c>keys create --data-dir</c> before the server ran): otherwise nobody could
    /// ever authenticate, and start-up fails saying how to make one.
    /// </summary>
    public static void EnsureSomeoneCanAuthenticate(this WebApplication app, StorageOptions storage)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccessOptions>>().Value;
        if (!options.Required || !storage.IsSqlite || ApiKeyValidator.BootstrapKey(options) is not null || options.Jwt.IsConfigured)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var keys = app.Services.GetRequiredService<IApiKeyStore>().ListAsync().GetAwaiter().GetResult();
        if (!keys.Any(k => k.Role == Role.Admin && k.IsActiveAt(now)))
        {
            var folder = Path.GetFullPath(storage.DataDirectory);
            throw new InvalidOperationException(
                $"Auth:Required=true, but the store in '{folder}' holds no active admin key, so nobody could ever authenticate: with no server running, create one with " +
                $"`keys create --role admin --label \"first admin\" --data-dir '{folder}'`, or configure Auth:BootstrapAdminKeyFile or bearer tokens (Auth:Jwt:*)");
        }
    }

    /// <summary>Says at start what the access mode is; loudly when calls without credentials act as an admin.</summary>
    public static void LogAccessMode(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccessOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SalesOps.Access");
        if (!options.Required)
        {
            LogDevelopmentIdentity(logger);
        }
        else
        {
            var bootstrap = app.Services.GetRequiredService<ApiKeyValidator>().HasBootstrapKey;
            LogRequired(logger, bootstrap, options.Jwt.IsConfigured);
        }
    }

    /// <summary>The call's caller as the authentication handlers left it; null when it presented no valid credentials.</summary>
    public static Caller? CallerOf(HttpContext context) => context.Items.TryGetValue(CallerKey, out var c) ? c as Caller : null;

    /// <summary>Keeps the caller of an authorized call where services find it (<see cref="CallerOf"/>).</summary>
    public static void SetCaller(HttpContext context, Caller caller) => context.Items[CallerKey] = caller;

    /// <summary>A successful authentication as <paramref name="caller"/>.</summary>
    public static AuthenticateResult Success(HttpContext context, Caller caller, string scheme)
    {
        SetCaller(context, caller);
        var identity = new ClaimsIdentity(scheme);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, caller.Id));
        identity.AddClaim(new Claim(ClaimTypes.Role, Caller.RoleName(caller.Role)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), scheme));
    }

    private static void ConfigureJwt(JwtBearerOptions o, JwtOptions jwt)
    {
        if (jwt.Issuers.Length == 0 || jwt.Audiences.Length == 0)
        {
            throw new InvalidOperationException("Auth:Jwt needs Auth:Jwt:Issuers and Auth:Jwt:Audiences (at least one of each) besides its signing keys");
        }

        o.MapInboundClaims = false;
        o.RequireHttpsMetadata = false;
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuers = jwt.Issuers,
            ValidAudiences = jwt.Audiences,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = jwt.ClockSkew,
            // Asymmetric signatures only: a key set publishes public keys, never a shared secret.
            ValidAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"],
        };
        var address = jwt.JwksUrl.Length > 0 ? jwt.JwksUrl : Path.GetFullPath(jwt.JwksFile);
        IDocumentRetriever documents = jwt.JwksUrl.Length > 0
            ? new HttpDocumentRetriever { RequireHttps = !Uri.TryCreate(jwt.JwksUrl, UriKind.Absolute, out var uri) || !uri.IsLoopback }
            : new FileDocumentRetriever();
        o.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(address, new KeySetRetriever(jwt.Issuers[0]), documents)
        {
            AutomaticRefreshInterval = jwt.KeysRefresh,
        };
        o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                if (CallerOfToken(context.Principal, context.SecurityToken, jwt) is { } caller)
                {
                    SetCaller(context.HttpContext, caller);
                }
                else
                {
                    context.Fail("the token names no subject, or no valid role, region or rep");
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>The caller a validated token stands for: one known role, a region (company for an admin), and a rep for a rep.</summary>
    private static Caller? CallerOfToken(ClaimsPrincipal? principal, SecurityToken token, JwtOptions jwt)
    {
        if (principal is null)
        {
            return null;
        }

        var roles = principal.FindAll(jwt.RoleClaim).Select(c => Caller.ParseRole(c.Value)).Distinct().ToArray();
        if (roles is not [{ } role])
        {
            return null;
        }

        // The subject names the caller in refusals, limits and the audit: a token without one is not taken.
        var subject = principal.FindFirst("sub")?.Value ?? "";
        if (subject.Length is 0 or > 300)
        {
            return null;
        }

        var region = principal.FindFirst(jwt.RegionClaim)?.Value?.Trim() ?? "";
        var rep = principal.FindFirst(jwt.RepClaim)?.Value?.Trim() ?? "";
        var caller = role switch
        {
            Role.Admin => new Caller(CallerKind.Jwt, subject, role, Domain.RegionState.CompanyId, "", null, KeyLimits.Defaults),
            Role.Rep when rep.Length > 0 => new Caller(CallerKind.Jwt, subject, role, "", rep, null, KeyLimits.Defaults),
            Role.Connector or Role.Screen or Role.Manager when region.Length > 0 => new Caller(CallerKind.Jwt, subject, role, region, "", null, KeyLimits.Defaults),
            _ => null,
        };
        return caller is null ? null : caller with { ExpiresAt = token.ValidTo == DateTime.MinValue ? null : new DateTimeOffset(token.ValidTo, TimeSpan.Zero) };
    }

    /// <summary>Reads a JSON Web Key Set (a file or a URL) as the configuration the JWT handler validates against.</summary>
    private sealed class KeySetRetriever(string issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var set = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JsonWebKeySet = set };
            foreach (var key in set.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            return configuration;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "DEVELOPMENT IDENTITY: calls without credentials act as an admin (Auth:Required is false). This is allowed only because the " +
        "gRPC endpoint is bound to loopback. Set Auth:Required=true to require an API key or a bearer token on every call (README, \"Access\").")]
    private static partial void LogDevelopmentIdentity(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every call needs credentials: API keys (bootstrap admin key: {Bootstrap}), bearer tokens: {Jwt}")]
    private static partial void LogRequired(ILogger logger, bool bootstrap, bool jwt);
}
