using Grpc.Core;
using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;
using SalesOps.Server.Push;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Api;

/// <summary>gRPC queries: read grain snapshots and derive the figures with the domain's report.</summary>
public sealed class QueryGrpcService(
    GrainRefs grains,
    KnownEntities known,
    RepDirectory reps,
    OrphanedDeals orphans,
    AtRiskDeals atRisk,
    RegionTree regions,
    EngineSettings settings,
    EngineClock clock) : V1.QueryService.QueryServiceBase
{
    public override async Task<V1.GetRepResponse> GetRep(V1.GetRepRequest request, ServerCallContext context)
    {
        var id = RequestGuard.Id(request.RepId, "rep_id");
        var period = RequestGuard.PeriodOrCurrent(request.Period, settings, clock);
        var s = await grains.RepBookOf(id).GetSnapshotAsync(id);
        if (!s.Joined)
        {
            throw RequestGuard.NotFound("rep_id", $"rep '{id}' is not known");
        }

        return new V1.GetRepResponse
        {
            RepId = s.RepId,
            Name = s.Name,
            RegionId = s.RegionId,
            Role = ProtoMapper.ToWire((RepRole)s.Role),
            Style = ProtoMapper.ToWire((RepStyle)s.Style),
            Figures = Report(s.Counters, s.Targets, s.Inputs, TargetScope.Rep, period),
        };
    }

    public override async Task<V1.GetRegionResponse> GetRegion(V1.GetRegionRequest request, ServerCallContext context)
    {
        var id = string.IsNullOrEmpty(request.RegionId) ? RegionState.CompanyId : RequestGuard.Id(request.RegionId, "region_id");
        var period = RequestGuard.PeriodOrCurrent(request.Period, settings, clock);
        var s = await grains.Region(id).GetSnapshotAsync();
        if (!s.Defined)
        {
            throw RequestGuard.NotFound("region_id", $"region '{id}' is not defined");
        }

        return new V1.GetRegionResponse { RegionId = s.RegionId, Name = s.Name, ParentRegionId = s.ParentId, Figures = Report(s.Counters, s.Targets, s.Inputs, TargetScope.Region, period) };
    }

    public override async Task<V1.GetCustomerResponse> GetCustomer(V1.GetCustomerRequest request, ServerCallContext context)
    {
        var id = RequestGuard.Id(request.CustomerId, "customer_id");
        var s = await grains.Customer(id).GetSnapshotAsync();
        if (!s.Registered)
        {
            throw RequestGuard.NotFound("customer_id", $"customer '{id}' is not registered");
        }

        return new V1.GetCustomerResponse
        {
            CustomerId = s.CustomerId,
            Name = s.Name,
            Orders = s.Orders,
            LifetimeValue = ProtoMapper.ToMoney(s.LifetimeValue, settings.CurrencyCode),
            Collections = ProtoMapper.ToMoney(s.Collections, settings.CurrencyCode),
            LastOrder = ProtoMapper.ToTimestamp(s.LastOrder),
            LastContact = ProtoMapper.ToTimestamp(s.LastContact),
        };
    }

    public override async Task<V1.GetOpportunityResponse> GetOpportunity(V1.GetOpportunityRequest request, ServerCallContext context)
    {
        var id = RequestGuard.Id(request.OpportunityId, "opportunity_id");
        var s = await grains.Book(OpportunityBooks.Of(id)).GetSnapshotAsync(id);
        if (!s.Opened)
        {
            throw RequestGuard.NotFound("opportunity_id", $"opportunity '{id}' has not been opened");
        }

        var stage = settings.Stages.Stages[s.StageIndex];
        return new V1.GetOpportunityResponse
        {
            OpportunityId = s.OpportunityId,
            OwnerRepId = s.OwnerRepId,
            CustomerId = s.CustomerId,
            Amount = ProtoMapper.ToMoney(s.Amount, settings.CurrencyCode),
            ProductLine = s.ProductLine,
            Channel = s.Channel,
            ExpectedClose = ProtoMapper.ToDate(DateOnly.FromDayNumber(s.ExpectedCloseDay)),
            StageId = stage.Id,
            ProbabilityPercent = stage.ProbabilityPercent,
            OpenedAt = ProtoMapper.ToTimestamp(s.OpenedAt),
            StageChangedAt = ProtoMapper.ToTimestamp(s.StageChangedAt),
        };
    }

    public override async Task<V1.GetLeaderboardResponse> GetLeaderboard(V1.GetLeaderboardRequest request, ServerCallContext context)
    {
        var scope = RequestGuard.ScopeId(request.ScopeRegionId);
        var period = RequestGuard.PeriodOrCurrent(request.Period, settings, clock);
        var metric = RequestGuard.Metric(request.Metric);
        var top = RequestGuard.Bounded(request.Top, 10, 1_000, "top");
        var around = RequestGuard.Bounded(request.Around, 2, 50, "around");
        await RequestGuard.EnsureScopeDefinedAsync(known, scope);
        var board = await grains.Region(scope).GetLeaderboardAsync(period.Code, (byte)metric, top, request.AroundRepId ?? "", around);
        var view = new V1.GetLeaderboardResponse
        {
            ScopeRegionId = scope,
            Period = period.ToString(),
            Metric = ProtoMapper.ToWire(metric),
            Version = board.Version,
            Total = board.Total,
        };
        var profiles = await reps.ProfilesAsync(board.Top.Concat(board.Around).Select(r => r.RepId).ToList());
        var regionNames = await regions.NamesAsync(profiles);
        view.Top.Add(board.Top.Select((r, i) => ProtoMapper.ToEntry(r, profiles[i], regionNames[i])));
        view.Around.Add(board.Around.Select((r, i) => ProtoMapper.ToEntry(r, profiles[board.Top.Length + i], regionNames[board.Top.Length + i])));
        return view;
    }

    public override Task<V1.GetStageTableResponse> GetStageTable(V1.GetStageTableRequest request, ServerCallContext context)
    {
        var view = new V1.GetStageTableResponse { CurrencyCode = settings.CurrencyCode, TimeZone = settings.Calendar.TimeZone.Id };
        var stages = settings.Stages;
        for (var i = 0; i < stages.Stages.Count; i++)
        {
            var s = stages.Stages[i];
            view.Stages.Add(new V1.Stage
            {
                StageId = s.Id,
                Name = s.Name,
                ProbabilityPercent = s.ProbabilityPercent,
                Category = ProtoMapper.ToWire(s.Category),
                Open = stages.IsOpen(i),
            });
        }

        return Task.FromResult(view);
    }

    public override async Task<V1.ListOrphanedOpportunitiesResponse> ListOrphanedOpportunities(
        V1.ListOrphanedOpportunitiesRequest request,
        ServerCallContext context)
    {
        var scope = RequestGuard.ScopeId(request.ScopeRegionId);
        await RequestGuard.EnsureScopeDefinedAsync(known, scope);
        var list = await orphans.ListAsync(owner => regions.IsWithinAsync(owner.RegionId, scope));
        var view = new V1.ListOrphanedOpportunitiesResponse { ScopeRegionId = scope };
        view.Opportunities.Add(list.Select(o => new V1.OrphanedOpportunity
        {
            OpportunityId = o.Deal.OpportunityId,
            CustomerId = o.Deal.CustomerId,
            Amount = ProtoMapper.ToMoney(o.Deal.Amount, settings.CurrencyCode),
            StageId = settings.Stages.Stages[o.Deal.StageIndex].Id,
            OwnerRepId = o.Owner.RepId,
            OwnerName = o.Owner.Name,
            OwnerRegionId = o.Owner.RegionId,
            OwnerLeftOn = ProtoMapper.ToDate(DateOnly.FromDayNumber(o.Owner.LeftOnDay)),
        }));
        return view;
    }

    public override async Task<V1.ListAtRiskOpportunitiesResponse> ListAtRiskOpportunities(
        V1.ListAtRiskOpportunitiesRequest request,
        ServerCallContext context)
    {
        var scope = RequestGuard.ScopeId(request.ScopeRegionId);
        var rep = request.HasRepId ? RequestGuard.Id(request.RepId, "rep_id") : null;
        await RequestGuard.EnsureScopeDefinedAsync(known, scope);
        if (rep is not null && !await known.ExistsAsync(new EntityRef(EntityKind.Rep, rep, "rep_id")))
        {
            throw RequestGuard.NotFound("rep_id", $"rep '{rep}' is not known");
        }

        var now = clock.Now;
        var view = new V1.ListAtRiskOpportunitiesResponse
        {
            ScopeRegionId = scope,
            AsOf = ProtoMapper.ToTimestamp(now),
            PushLimit = settings.AtRisk.PushLimit,
        };
        var customers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (d, owner) in await atRisk.ListAsync(now))
        {
            if ((rep is not null && d.OwnerRepId != rep) || !await regions.IsWithinAsync(owner.RegionId, scope))
            {
                continue;
            }

            if (!customers.TryGetValue(d.CustomerId, out var customer))
            {
                customers[d.CustomerId] = customer = (await grains.Customer(d.CustomerId).GetSnapshotAsync()).Name;
            }

            var row = new V1.AtRiskOpportunity
            {
                OpportunityId = d.OpportunityId,
                OwnerRepId = d.OwnerRepId,
                OwnerName = owner.Name,
                OwnerRegionId = owner.RegionId,
                CustomerId = d.CustomerId,
                CustomerName = customer,
                Amount = ProtoMapper.ToMoney(d.Amount, settings.CurrencyCode),
                StageId = settings.Stages.Stages[d.StageIndex].Id,
                StageChangedAt = ProtoMapper.ToTimestamp(d.StageChangedAt),
                DaysInStage = d.DaysInStage,
                StallDays = d.StallDays,
                ExpectedClose = ProtoMapper.ToDate(DateOnly.FromDayNumber(d.ExpectedCloseDay)),
                DaysOverdue = Math.Max(0, d.DaysOverdue),
                PushCount = d.Pushes,
            };
            row.Conditions.Add(ProtoMapper.ToWire((RiskConditions)d.Conditions));
            view.Opportunities.Add(row);
        }

        return view;
    }

    public override async Task<V1.GetForecastSubmissionsResponse> GetForecastSubmissions(
        V1.GetForecastSubmissionsRequest request,
        ServerCallContext context)
    {
        var scope = RequestGuard.Scope(request.Scope);
        var id = ScopeIdOf(scope, request.ScopeId);
        var period = RequestGuard.InCalendar(RequestGuard.PeriodOrCurrent(request.Period, settings, clock));
        var (counters, forecasts) = await ScopeAsync(scope, id);
        var view = ForecastView.Build(ForecastRow.ToBook(forecasts), Counter.ToSet(counters), settings.Stages, period, clock.Now, settings.Forecasts);
        return ProtoMapper.ToForecast(view, scope, id, settings.CurrencyCode);
    }

    public override async Task<V1.GetPipelineHistoryResponse> GetPipelineHistory(V1.GetPipelineHistoryRequest request, ServerCallContext context)
    {
        var scope = RequestGuard.Scope(request.Scope);
        var id = ScopeIdOf(scope, request.ScopeId);
        var period = RequestGuard.InCalendar(RequestGuard.PeriodOrCurrent(request.Period, settings, clock));
        if (period.IsWeek)
        {
            throw RequestGuard.Invalid("period", "a pipeline is kept for a year, quarter or month, not a week");
        }

        var (from, to) = PipelineHistoryMapper.Days(request, period, settings.Calendar.LocalDate(clock.Now));
        var (counters, _) = await ScopeAsync(scope, id);
        var figures = Counter.ToSet(counters);
        return PipelineHistoryMapper.ToResponse(
            scope,
            id,
            PipelineOverTime.Waterfall(figures, period, from, to),
            PipelineOverTime.Trend(figures, Period.Containing(to).Month),
            settings.CurrencyCode);
    }

    /// <summary>A rep's or region's id; empty with scope REGION is the company.</summary>
    private static string ScopeIdOf(TargetScope scope, string? requested) =>
        scope == TargetScope.Region && string.IsNullOrEmpty(requested) ? RegionState.CompanyId : RequestGuard.Id(requested, "scope_id");

    /// <summary>The counters and forecast submissions of a rep or region; NOT_FOUND naming <c>scope_id</c> when it does not exist.</summary>
    private async Task<(Counter[] Counters, ForecastRow[] Forecasts)> ScopeAsync(TargetScope scope, string id)
    {
        if (scope == TargetScope.Rep)
        {
            var rep = await grains.RepBookOf(id).GetSnapshotAsync(id);
            return rep.Joined ? (rep.Counters, rep.Forecasts) : throw RequestGuard.NotFound("scope_id", $"rep '{id}' is not known");
        }

        var region = await grains.Region(id).GetSnapshotAsync();
        return region.Defined ? (region.Counters, region.Forecasts) : throw RequestGuard.NotFound("scope_id", $"region '{id}' is not defined");
    }

    public override async Task<V1.GetActivityReportResponse> GetActivityReport(V1.GetActivityReportRequest request, ServerCallContext context)
    {
        var scope = RequestGuard.Scope(request.Scope);
        var id = scope == TargetScope.Region && string.IsNullOrEmpty(request.ScopeId) ? RegionState.CompanyId : RequestGuard.Id(request.ScopeId, "scope_id");
        var period = RequestGuard.InCalendar(RequestGuard.PeriodOrCurrent(request.Period, settings, clock));
        // One period's counters, not the whole snapshot: a rep's report also reads the company's, whose counters are many.
        var counters = scope == TargetScope.Rep
            ? await grains.RepBookOf(id).GetCountersAsync(id, period.Code) ?? throw RequestGuard.NotFound("scope_id", $"rep '{id}' is not known")
            : await grains.Region(id).GetCountersAsync(period.Code) ?? throw RequestGuard.NotFound("scope_id", $"region '{id}' is not defined");
        var report = ActivityReport.Build(Counter.ToSet(counters), period);
        var company = id == RegionState.CompanyId && scope == TargetScope.Region
            ? report
            : ActivityReport.Build(Counter.ToSet(await grains.Region(RegionState.CompanyId).GetCountersAsync(period.Code) ?? []), period);
        return ActivityReportMapper.ToResponse(scope, id, report, company.Quality);
    }

    private V1.Figures Report(Counter[] counters, TargetRow[] targets, PlanningInputsRow[] inputs, TargetScope scope, Period period) =>
        ProtoMapper.ToFigures(
            FigureReport.Build(Counter.ToSet(counters), TargetRow.ToBook(targets), settings, scope, period, clock.Now, PlanningInputsRow.ToBook(inputs)),
            settings.CurrencyCode);
}
