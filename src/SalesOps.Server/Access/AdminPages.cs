using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using SalesOps.Access;
using SalesOps.Server.Hosting;

namespace SalesOps.Server.Access;

/// <summary>
/// The Orleans dashboard (Microsoft.Orleans.Dashboard) on the web port, for admins only: an admin API key or token,
/// or — when credentials are not required — the development identity of a caller on this machine, exactly as the
/// gRPC gate (<see cref="AccessInterceptor"/>) grants it. Anyone else gets 401 (no or invalid credentials) or 403
/// (valid credentials of another role).
/// </summary>
public static class AdminPages
{
    /// <summary>The authorization policy of admin-only pages.</summary>
    public const string AdminPolicy = "salesops-admin";

    /// <summary>Registers the dashboard's silo services and the admin policy; nothing when the dashboard is turned off.</summary>
    public static void AddAdminPages(this WebApplicationBuilder builder, ISiloBuilder silo, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(server);
        if (TelemetryOptions.From(builder.Configuration).DashboardPath.Length == 0 || server.EffectiveWebPort is null)
        {
            return;
        }

        // The dashboard's grain profiler runs only while someone has the dashboard open (GrainProfilerOptions), so
        // the engine pays for it only then.
        silo.AddDashboard();
        builder.Services.AddSingleton<IAuthorizationHandler, AdminRequirement.Handler>();
        builder.Services.AddAuthorization(o => o.AddPolicy(AdminPolicy, p => p.AddRequirements(new AdminRequirement(server))));
    }

    /// <summary>Maps the dashboard at <see cref="TelemetryOptions.DashboardPath"/>, behind <see cref="AdminPolicy"/>.</summary>
    public static void MapAdminPages(this WebApplication app, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(app);
        var path = TelemetryOptions.From(app.Configuration).DashboardPath;
        if (path.Length == 0 || server.EffectiveWebPort is null)
        {
            return;
        }

        app.MapOrleansDashboard(routePrefix: path).RequireAuthorization(AdminPolicy);
    }

    /// <summary>An admin caller, on the web port.</summary>
    internal sealed class AdminRequirement(ServerOptions server) : IAuthorizationRequirement
    {
        public ServerOptions Server { get; } = server;

        internal sealed class Handler(IOptions<AccessOptions> options, CallerLimits limits) : AuthorizationHandler<AdminRequirement>
        {
            protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminRequirement requirement)
            {
                if (context.Resource is HttpContext http && Endpoints.IsWebConnection(http, requirement.Server) && IsAdmin(http))
                {
                    context.Succeed(requirement);
                }

                return Task.CompletedTask;
            }

            private bool IsAdmin(HttpContext http)
            {
                if (AccessRegistration.CallerOf(http) is { } caller)
                {
                    return caller.Role == Role.Admin;
                }

                var address = http.Connection.RemoteIpAddress;
                if (Credentials.Present(http.Request))
                {
                    // Bad credentials count against the address as on the gRPC gate: guessing keys here is throttled too.
                    limits.FailedAuthentication(address);
                    return false;
                }

                // The development identity, on the terms the gRPC gate gives it: no credentials required, none sent,
                // a loopback peer, and a request no other site could have made a browser here send.
                return !options.Value.Required
                    && address is not null && System.Net.IPAddress.IsLoopback(address)
                    && AccessInterceptor.FromThisMachine(http.Request);
            }
        }
    }
}
