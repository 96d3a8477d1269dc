using Grpc.Core;
using Microsoft.Extensions.Options;
using SalesOps.Abstractions;
using SalesOps.Access;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Api;
using SalesOps.Server.Push;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Access;

/// <summary>
/// Who may call what, in one place: every RPC of the API has a rule here (a method without one is refused), and the
/// ingest path asks <see cref="CheckEventAsync"/> for each event. A rule names the roles that may call the method and
/// the scope the request touches (a region, a rep, a deal, a customer); the caller's region subtree must cover it.
/// An empty region in a request (<c>scope_region_id</c>, <c>region_id</c>, a region <c>scope_id</c>) means the caller's
/// own region subtree. Refusals are <c>PERMISSION_DENIED</c> naming the field and what was refused, the same whether
/// or not what was named exists, so they tell nothing beyond the caller's own scope.
/// </summary>
public sealed partial class AccessPolicy(RegionTree regions, RepDirectory reps, GrainRefs grains, IOptions<AccessOptions> options)
{
    /// <summary>What a method gives access to.</summary>
    private enum Kind
    {
        /// <summary>Anyone authenticated (the stage table and currency: configuration, no figures).</summary>
        Configuration,

        /// <summary>Leaderboards: screens, reps (their region), managers, admins.</summary>
        Boards,

        /// <summary>The alert stream: as boards, but company-wide boards being public does not open company-wide alerts.</summary>
        Alerts,

        /// <summary>Figures and lists of deals: managers and admins in scope; a rep for their own.</summary>
        Figures,

        /// <summary>Events in: connectors, managers (planning), reps (their forecasts), admins; checked per event.</summary>
        Ingest,

        /// <summary>Keys and audit: admins only.</summary>
        Admin,
    }

    /// <summary>What a request touches: the field that names it, and how to find its region.</summary>
    private readonly record struct Touch(TouchKind Kind, string Id, string Field);

    private enum TouchKind
    {
        Nothing,
        Region,
        Rep,
        Opportunity,
        Customer,

        /// <summary>A deal that must be in scope if it exists (an activity may name one not opened yet).</summary>
        OptionalDeal,
    }

    /// <summary>An event refused before the engine sees it: PERMISSION_DENIED, or NOT_FOUND for a reference not known yet.</summary>
    public sealed record Refusal(StatusCode Code, string Field, string Message);

    private sealed record Rule(Kind Kind, Func<object?, Caller, Touch[]> Touches);

    private static readonly Touch[] NoTouch = [];

    private static readonly HashSet<string> PublicMethods = new(StringComparer.Ordinal)
    {
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.health.v1.Health/List",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    };

    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        [Method(V1.IngestService.Descriptor, "Ingest")] = new(Kind.Ingest, (_, _) => NoTouch),
        [Method(V1.IngestService.Descriptor, "IngestOne")] = new(Kind.Ingest, (_, _) => NoTouch),
        [Method(V1.IngestService.Descriptor, "BatchIngest")] = new(Kind.Ingest, (_, _) => NoTouch),
        [Method(V1.QueryService.Descriptor, "GetRep")] = new(Kind.Figures, (r, _) => [Rep(((V1.GetRepRequest)r!).RepId, "rep_id")]),
        [Method(V1.QueryService.Descriptor, "GetRegion")] = new(Kind.Figures, (r, c) => [Region(Own((V1.GetRegionRequest)r!, c), "region_id")]),
        [Method(V1.QueryService.Descriptor, "GetCustomer")] = new(Kind.Figures, (r, _) => [new(TouchKind.Customer, ((V1.GetCustomerRequest)r!).CustomerId, "customer_id")]),
        [Method(V1.QueryService.Descriptor, "GetOpportunity")] = new(Kind.Figures, (r, _) => [new(TouchKind.Opportunity, ((V1.GetOpportunityRequest)r!).OpportunityId, "opportunity_id")]),
        [Method(V1.QueryService.Descriptor, "GetLeaderboard")] = new(Kind.Boards, (r, c) => [Region(Own((V1.GetLeaderboardRequest)r!, c), "scope_region_id")]),
        [Method(V1.QueryService.Descriptor, "GetStageTable")] = new(Kind.Configuration, (_, _) => NoTouch),
        [Method(V1.QueryService.Descriptor, "ListOrphanedOpportunities")] = new(Kind.Figures, (r, c) => [Region(Own((V1.ListOrphanedOpportunitiesRequest)r!, c), "scope_region_id")]),
        [Method(V1.QueryService.Descriptor, "ListAtRiskOpportunities")] = new(Kind.Figures, AtRisk),
        [Method(V1.QueryService.Descriptor, "GetForecastSubmissions")] = new(Kind.Figures, (r, c) => [Scoped(((V1.GetForecastSubmissionsRequest)r!).Scope, Own((V1.GetForecastSubmissionsRequest)r!, c))]),
        [Method(V1.QueryService.Descriptor, "GetActivityReport")] = new(Kind.Figures, (r, c) => [Scoped(((V1.GetActivityReportRequest)r!).Scope, Own((V1.GetActivityReportRequest)r!, c))]),
        [Method(V1.QueryService.Descriptor, "GetPipelineHistory")] = new(Kind.Figures, (r, c) => [Scoped(((V1.GetPipelineHistoryRequest)r!).Scope, Own((V1.GetPipelineHistoryRequest)r!, c))]),
        [Method(V1.WatchService.Descriptor, "WatchLeaderboard")] = new(Kind.Boards, (r, c) => [Region(Own((V1.WatchLeaderboardRequest)r!, c), "scope_region_id")]),
        [Method(V1.WatchService.Descriptor, "WatchAlerts")] = new(Kind.Alerts, (r, c) => [Region(Own((V1.WatchAlertsRequest)r!, c), "scope_region_id")]),
        // What a screen shows is authorized when it opens (ScreenGrpcService): each board as WatchLeaderboard of its scope,
        // each region of a target-progress or team slide and its alert region as WatchAlerts of it.
        [Method(V1.ScreenService.Descriptor, "WatchScreen")] = new(Kind.Boards, (_, _) => NoTouch),
        [Method(V1.ScreenService.Descriptor, "GetChannel")] = new(Kind.Boards, (_, _) => NoTouch),
        [Method(V1.ScreenService.Descriptor, "ListChannels")] = new(Kind.Boards, (_, _) => NoTouch),
        [Method(V1.ScreenService.Descriptor, "PutChannel")] = new(Kind.Admin, (_, _) => NoTouch),
        [Method(V1.ScreenService.Descriptor, "DeleteChannel")] = new(Kind.Admin, (_, _) => NoTouch),
        [Method(V1.AdminService.Descriptor, "CreateApiKey")] = new(Kind.Admin, (_, _) => NoTouch),
        [Method(V1.AdminService.Descriptor, "ListApiKeys")] = new(Kind.Admin, (_, _) => NoTouch),
        [Method(V1.AdminService.Descriptor, "RevokeApiKey")] = new(Kind.Admin, (_, _) => NoTouch),
        [Method(V1.AdminService.Descriptor, "ListAuditRecords")] = new(Kind.Admin, (_, _) => NoTouch),
    };

    /// <summary>The event kinds a manager may send: a plan for their subtree, not what happened in it.</summary>
    private static readonly HashSet<V1.Event.KindOneofCase> PlanningKinds =
        [V1.Event.KindOneofCase.TargetSet, V1.Event.KindOneofCase.ForecastSubmitted, V1.Event.KindOneofCase.PlanningInputsRecorded];

    /// <summary>Every method the policy has a rule for, or lets through without credentials (for the test that no RPC lacks one).</summary>
    public static IReadOnlyCollection<string> KnownMethods => [.. Rules.Keys, .. PublicMethods];

    /// <summary>True for the methods anyone may call without credentials (health and, when enabled, reflection).</summary>
    public static bool IsPublic(string method) => PublicMethods.Contains(method);

    /// <summary>The field names of <c>Event.kind</c>, which name event kinds in keys.</summary>
    public static IReadOnlySet<string> EventKindNames { get; } =
        V1.Event.Descriptor.Oneofs.Single(o => o.Name == "kind").Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Lets the call through, or throws <c>PERMISSION_DENIED</c>. May rewrite an empty region in the request to the
    /// caller's own (see the class summary), so the service answers for what was checked.
    /// </summary>
    public async Task AuthorizeAsync(Caller caller, string method, object? request)
    {
        if (!Rules.TryGetValue(method, out var rule))
        {
            throw Denied("", $"{caller.Describe()} may not call {method}");
        }

        if (caller.Role == Role.Admin)
        {
            return;
        }

        if (!Allows(caller.Role, rule.Kind))
        {
            throw Denied("", $"{caller.Describe()} may not call {method}");
        }

        if (caller.Role == Role.Rep)
        {
            // A rep's region is where the rep is now.
            caller = caller with { RegionId = await RepRegionAsync(caller.RepId) ?? "" };
        }

        foreach (var touch in rule.Touches(request, caller))
        {
            await EnsureCoversAsync(caller, rule.Kind, touch);
        }
    }

    /// <summary>
    /// Null when the caller may send the event; otherwise the refusal (<c>PERMISSION_DENIED</c>, or <c>NOT_FOUND</c>
    /// for a reference not known yet, which the CRM retries as it would for the engine's own answer).
    /// </summary>
    public async ValueTask<Refusal?> CheckEventAsync(Caller caller, V1.Event ev, BatchReferences batch)
    {
        if (caller.Role == Role.Admin || ev.KindCase == V1.Event.KindOneofCase.None)
        {
            return null;
        }

        var allowed = caller.Role switch
        {
            Role.Connector => caller.EventKinds is null || caller.EventKinds.Contains(KindName(ev.KindCase)),
            Role.Manager => PlanningKinds.Contains(ev.KindCase),
            Role.Rep => ev.ForecastSubmitted is { Scope: V1.TargetScope.Rep } f && f.ScopeId == caller.RepId,
            _ => false,
        };
        if (!allowed)
        {
            var kind = KindName(ev.KindCase);
            return Refused(kind, $"{caller.Describe()} may not send {kind} events" + (caller.Role == Role.Rep ? " (a rep submits only their own forecasts)" : ""));
        }

        if (caller.IsCompanyWide || caller.Role == Role.Rep)
        {
            // Nothing of the batch needs to be remembered: no later event is checked against a region.
            return null;
        }

        foreach (var touch in TouchesOf(ev))
        {
            var region = await RegionOfAsync(touch, batch);
            if (region is null)
            {
                if (touch.Kind == TouchKind.OptionalDeal)
                {
                    continue;
                }

                return new Refusal(StatusCode.NotFound, touch.Field, $"{Echo.Quote(touch.Id)} is not known");
            }

            if (!await regions.IsWithinAsync(region, caller.RegionId))
            {
                return Refused(touch.Field, $"{Echo.Quote(touch.Id)} is outside region {Echo.Quote(caller.RegionId)} of {caller.Describe()}");
            }
        }

        // A join or an opening defines something only when it is new: one naming an existing rep or deal (which the
        // engine will refuse) must not make a later event of the batch look like it is inside the scope.
        if (ev.KindCase switch
            {
                V1.Event.KindOneofCase.RepJoined => await RepRegionAsync(ev.RepJoined.RepId) is null,
                V1.Event.KindOneofCase.OpportunityOpened => await OwnerOfAsync(ev.OpportunityOpened.OpportunityId) is null,
                _ => true,
            })
        {
            batch.Note(ev);
        }

        return null;
    }

    /// <summary>The field name of an event kind (<c>opportunity_won</c>).</summary>
    public static string KindName(V1.Event.KindOneofCase kind) => V1.Event.Descriptor.FindFieldByNumber((int)kind)?.Name ?? "unknown";

    private static Refusal Refused(string field, string message) => new(StatusCode.PermissionDenied, field, message);

    private bool Allows(Role role, Kind kind) => kind switch
    {
        Kind.Configuration => true,
        Kind.Boards or Kind.Alerts => role is Role.Screen or Role.Rep or Role.Manager,
        Kind.Figures => role is Role.Manager or Role.Rep,
        Kind.Ingest => role is Role.Connector or Role.Manager or Role.Rep,
        _ => false,
    };

    private async Task EnsureCoversAsync(Caller caller, Kind kind, Touch touch)
    {
        if (touch.Kind == TouchKind.Nothing)
        {
            return;
        }

        if (caller.Role == Role.Rep)
        {
            await EnsureRepCoversAsync(caller, kind, touch);
            return;
        }

        if (kind == Kind.Boards && options.Value.CompanyBoardsVisibleToAll && touch is { Kind: TouchKind.Region, Id: RegionState.CompanyId })
        {
            return;
        }

        if (caller.IsCompanyWide)
        {
            return;
        }

        var region = touch.Kind == TouchKind.Customer ? RegionState.CompanyId : await RegionOfAsync(touch, null);
        if (region is null || !await regions.IsWithinAsync(region, caller.RegionId))
        {
            throw Denied(touch.Field, touch.Kind == TouchKind.Customer
                ? $"customers are company-wide; {caller.Describe()} reads region {Echo.Quote(caller.RegionId)} only"
                : $"{Echo.Quote(touch.Id)} is not within region {Echo.Quote(caller.RegionId)} of {caller.Describe()}");
        }
    }

    /// <summary>A rep reads their own figures and deals, and the boards and alerts of their current region.</summary>
    private async Task EnsureRepCoversAsync(Caller caller, Kind kind, Touch touch)
    {
        if (kind is Kind.Boards or Kind.Alerts)
        {
            if (kind == Kind.Boards && options.Value.CompanyBoardsVisibleToAll && touch is { Kind: TouchKind.Region, Id: RegionState.CompanyId })
            {
                return;
            }

            if (touch.Kind != TouchKind.Region || caller.RegionId.Length == 0 || !await regions.IsWithinAsync(touch.Id, caller.RegionId))
            {
                throw Denied(touch.Field, $"{Echo.Quote(touch.Id)} is not within the region of {caller.Describe()}");
            }

            return;
        }

        var mine = touch.Kind switch
        {
            TouchKind.Rep => touch.Id == caller.RepId,
            TouchKind.Opportunity => await OwnerOfAsync(touch.Id) == caller.RepId,
            _ => false,
        };
        if (!mine)
        {
            throw Denied(touch.Field, $"{caller.Describe()} reads only their own figures and deals, not {Echo.Quote(touch.Id)}");
        }
    }

    /// <summary>The region a touch is in now; null when what it names is not known.</summary>
    private async ValueTask<string?> RegionOfAsync(Touch touch, BatchReferences? batch)
    {
        switch (touch.Kind)
        {
            case TouchKind.Region:
                return touch.Id;
            case TouchKind.Customer:
                return RegionState.CompanyId;
            case TouchKind.Rep:
                return batch?.RegionOf(touch.Id) ?? await RepRegionAsync(touch.Id);
            case TouchKind.Opportunity or TouchKind.OptionalDeal:
                var owner = batch?.OwnerOf(touch.Id) ?? await OwnerOfAsync(touch.Id);
                return owner is null ? null : batch?.RegionOf(owner) ?? await RepRegionAsync(owner);
            default:
                return RegionState.CompanyId;
        }
    }

    private async ValueTask<string?> RepRegionAsync(string repId)
    {
        if (repId.Length == 0)
        {
            return null;
        }

        var region = (await reps.CurrentAsync(repId)).RegionId;
        return string.IsNullOrEmpty(region) ? null : region;
    }

    private async ValueTask<string?> OwnerOfAsync(string opportunityId)
    {
        if (opportunityId.Length == 0)
        {
            return null;
        }

        var s = await grains.Book(OpportunityBooks.Of(opportunityId)).GetSnapshotAsync(opportunityId);
        return s.Opened ? s.OwnerRepId : null;
    }

    private static Touch Region(string id, string field) => new(TouchKind.Region, id, field);

    private static Touch Rep(string id, string field) => new(TouchKind.Rep, id, field);

    private static Touch Deal(string id) => new(TouchKind.Opportunity, id, "opportunity_id");

    /// <summary>A target scope: a rep, or a region (empty for the company). An unspecified scope is the service's to refuse.</summary>
    private static Touch Scoped(V1.TargetScope scope, string id) => scope switch
    {
        V1.TargetScope.Rep => Rep(id, "scope_id"),
        V1.TargetScope.Region => Region(id.Length == 0 ? RegionState.CompanyId : id, "scope_id"),
        V1.TargetScope.Unspecified => new Touch(TouchKind.Nothing, "", "scope"),
        _ => new Touch(TouchKind.Customer, "", "scope"), // a scope this policy does not know: company-wide callers only
    };

    private static Touch[] AtRisk(object? request, Caller caller)
    {
        var r = (V1.ListAtRiskOpportunitiesRequest)request!;
        if (caller.Role == Role.Rep)
        {
            // A rep lists their own deals only (no rep_id: theirs), with no region named (a region is not theirs to read).
            if (!r.HasRepId)
            {
                r.RepId = caller.RepId;
            }

            return r.ScopeRegionId.Length == 0 ? [Rep(r.RepId, "rep_id")] : [Rep(r.RepId, "rep_id"), Region(r.ScopeRegionId, "scope_region_id")];
        }

        var region = Own(r, caller);
        return r.HasRepId ? [Region(region, "scope_region_id"), Rep(r.RepId, "rep_id")] : [Region(region, "scope_region_id")];
    }

    // An empty region means the caller's own; the request is rewritten so the service answers for what was checked.
    private static string Own(V1.GetRegionRequest r, Caller c) => r.RegionId = OwnRegion(r.RegionId, c);

    private static string Own(V1.GetLeaderboardRequest r, Caller c) => r.ScopeRegionId = OwnRegion(r.ScopeRegionId, c);

    private static string Own(V1.WatchLeaderboardRequest r, Caller c) => r.ScopeRegionId = OwnRegion(r.ScopeRegionId, c);

    private static string Own(V1.WatchAlertsRequest r, Caller c) => r.ScopeRegionId = OwnRegion(r.ScopeRegionId, c);

    private static string Own(V1.ListOrphanedOpportunitiesRequest r, Caller c) => r.ScopeRegionId = OwnRegion(r.ScopeRegionId, c);

    private static string Own(V1.ListAtRiskOpportunitiesRequest r, Caller c) => r.ScopeRegionId = OwnRegion(r.ScopeRegionId, c);

    private static string Own(V1.GetForecastSubmissionsRequest r, Caller c) => r.ScopeId = OwnScope(r.Scope, r.ScopeId, c);

    private static string Own(V1.GetActivityReportRequest r, Caller c) => r.ScopeId = OwnScope(r.Scope, r.ScopeId, c);

    private static string Own(V1.GetPipelineHistoryRequest r, Caller c) => r.ScopeId = OwnScope(r.Scope, r.ScopeId, c);

    private static string OwnScope(V1.TargetScope scope, string id, Caller c) => scope == V1.TargetScope.Region ? OwnRegion(id, c) : id;

    /// <summary>An empty region is the caller's own subtree (for a rep, their current region; the company for company-wide callers).</summary>
    private static string OwnRegion(string requested, Caller c) => requested.Length > 0 ? requested : c.RegionId.Length > 0 ? c.RegionId : RegionState.CompanyId;

    private static string Method(Google.Protobuf.Reflection.ServiceDescriptor service, string name) =>
        $"/{service.FullName}/{service.FindMethodByName(name)?.Name ?? throw new InvalidOperationException($"{service.FullName} has no method {name}")}";

    private static RpcException Denied(string field, string message) => ApiErrors.Denied(field, message);
}
