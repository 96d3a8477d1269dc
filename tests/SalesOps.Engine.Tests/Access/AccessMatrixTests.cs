using Grpc.Core;
using SalesOps.Domain;
using SalesOps.Server.Access;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Access;

/// <summary>
/// Every RPC for every role, inside and outside its region scope, against the real server: the exact status, and
/// for a refusal nothing but the status (no figure, no row, no count).
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class AccessMatrixTests(AccessFixture server)
{
    private const StatusCode Ok = StatusCode.OK;
    private const StatusCode Denied = StatusCode.PermissionDenied;

    private static readonly string[] Callers = ["admin", "connector", "connector-east", "screen-east", "rep-ann", "rep-ann-token", "manager-east", "manager-west"];

    /// <summary>
    /// Expected status per call, one column per caller in the order of <see cref="Callers"/>:
    /// A admin, C connector (company), E connector of east (activities, openings, wins), S screen of east,
    /// R rep ann (key), T rep ann (token), M manager of east (token), W manager of west (key).
    /// </summary>
    private static readonly (string Call, string Expected)[] Matrix =
    [
        //                                A  C  E  S  R  T  M  W
        ("GetRep ann",                   "Y  n  n  n  Y  Y  Y  n"),
        ("GetRep bob",                   "Y  n  n  n  n  n  n  Y"),
        ("GetRegion east-north",         "Y  n  n  n  n  n  Y  n"),
        ("GetRegion west",               "Y  n  n  n  n  n  n  Y"),
        ("GetCustomer acme",             "Y  n  n  n  n  n  n  n"),
        ("GetOpportunity o-ann",         "Y  n  n  n  Y  Y  Y  n"),
        ("GetOpportunity o-bob",         "Y  n  n  n  n  n  n  Y"),
        ("GetLeaderboard east",          "Y  n  n  Y  Y  Y  Y  n"),
        ("GetLeaderboard west",          "Y  n  n  n  n  n  n  Y"),
        ("GetLeaderboard company",       "Y  n  n  n  n  n  n  n"),
        ("GetStageTable",                "Y  Y  Y  Y  Y  Y  Y  Y"),
        ("ListOrphaned east",            "Y  n  n  n  n  n  Y  n"),
        ("ListOrphaned west",            "Y  n  n  n  n  n  n  Y"),
        ("ListAtRisk east",              "Y  n  n  n  n  n  Y  n"),
        ("ListAtRisk west",              "Y  n  n  n  n  n  n  Y"),
        ("ListAtRisk rep ann",           "Y  n  n  n  Y  Y  Y  n"),
        ("ListAtRisk rep bob",           "Y  n  n  n  n  n  n  Y"),
        ("ListAtRisk mine",              "Y  n  n  n  Y  Y  Y  Y"),
        ("Forecasts rep ann",            "Y  n  n  n  Y  Y  Y  n"),
        ("Forecasts region west",        "Y  n  n  n  n  n  n  Y"),
        ("ActivityReport rep ann",       "Y  n  n  n  Y  Y  Y  n"),
        ("ActivityReport region east",   "Y  n  n  n  n  n  Y  n"),
        ("ActivityReport rep bob",       "Y  n  n  n  n  n  n  Y"),
        ("PipelineHistory rep ann",      "Y  n  n  n  Y  Y  Y  n"),
        ("PipelineHistory region west",  "Y  n  n  n  n  n  n  Y"),
        ("WatchLeaderboard east",        "Y  n  n  Y  Y  Y  Y  n"),
        ("WatchLeaderboard west",        "Y  n  n  n  n  n  n  Y"),
        ("WatchAlerts east",             "Y  n  n  Y  Y  Y  Y  n"),
        ("WatchAlerts west",             "Y  n  n  n  n  n  n  Y"),
        ("IngestOne activity ann",       "Y  Y  Y  n  n  n  n  n"),
        ("IngestOne activity bob",       "Y  Y  n  n  n  n  n  n"),
        ("IngestOne target east",        "Y  Y  n  n  n  n  Y  n"),
        ("IngestOne target west",        "Y  Y  n  n  n  n  n  Y"),
        ("IngestOne forecast ann",       "Y  Y  n  n  Y  Y  Y  n"),
        ("IngestOne forecast bob",       "Y  Y  n  n  n  n  n  Y"),
        ("IngestOne customer new",       "Y  Y  n  n  n  n  n  n"),
        ("Ingest stream opens",          "Y  Y  Y  n  Y  Y  Y  Y"),
        ("ListApiKeys",                  "Y  n  n  n  n  n  n  n"),
        ("ListAuditRecords",             "Y  n  n  n  n  n  n  n"),
        ("CreateApiKey",                 "Y  n  n  n  n  n  n  n"),
        ("RevokeApiKey",                 "Y  n  n  n  n  n  n  n"),
        ("WatchScreen default",          "Y  n  n  Y  Y  Y  Y  Y"),
        ("WatchScreen east",             "Y  n  n  Y  Y  Y  Y  n"),
        ("WatchScreen west",             "Y  n  n  n  n  n  n  Y"),
        ("WatchScreen teams east,east-north", "Y  n  n  Y  Y  Y  Y  n"),
        ("WatchScreen teams east,west",  "Y  n  n  n  n  n  n  n"),
        ("WatchScreen targets west",     "Y  n  n  n  n  n  n  Y"),
        ("WatchScreen alerts-of west",   "Y  n  n  n  n  n  n  n"),
        ("GetChannel",                   "Y  n  n  Y  Y  Y  Y  Y"),
        ("ListChannels",                 "Y  n  n  Y  Y  Y  Y  Y"),
        ("PutChannel",                   "Y  n  n  n  n  n  n  n"),
        ("DeleteChannel",                "Y  n  n  n  n  n  n  n"),
    ];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (call, expected) in Matrix)
        {
            var marks = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Callers.Length, marks.Length);
            for (var i = 0; i < Callers.Length; i++)
            {
                data.Add(call, Callers[i], marks[i]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryRpc_ForEveryRole_InsideAndOutsideItsScope_AnswersExactlyAsThePolicySays(string call, string caller, string expected)
    {
        using var clients = server.Clients(server.Keys[caller]);
        var status = await RunAsync(clients, call);
        Assert.Equal(expected == "Y" ? Ok : Denied, status);
    }

    [Fact]
    public void EveryMethodOfTheContract_HasARule()
    {
        var methods = new[] { V1.IngestService.Descriptor, V1.QueryService.Descriptor, V1.WatchService.Descriptor, V1.AdminService.Descriptor, V1.ScreenService.Descriptor }
            .SelectMany(s => s.Methods.Select(m => $"/{s.FullName}/{m.Name}"));
        Assert.All(methods, m => Assert.Contains(m, AccessPolicy.KnownMethods));
    }

    [Fact]
    public async Task ListsInScope_HoldOnlyRowsOfTheScope_AndAnEmptyScopeMeansTheCallersOwn()
    {
        using var manager = server.Clients(server.Keys["manager-east"]);
        var board = await manager.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { Metric = V1.LeaderboardMetric.Bookings, Period = "2026-11", Top = 100 }, deadline: Due);
        Assert.Equal(server.S.Id("east"), board.ScopeRegionId);
        Assert.Contains(board.Top, r => r.RepId == server.S.Id("ann"));
        Assert.DoesNotContain(board.Top, r => r.RepId == server.S.Id("bob"));
        var atRisk = await manager.Query.ListAtRiskOpportunitiesAsync(new V1.ListAtRiskOpportunitiesRequest(), deadline: Due);
        Assert.DoesNotContain(atRisk.Opportunities, o => o.OwnerRepId == server.S.Id("bob"));
        var region = await manager.Query.GetRegionAsync(new V1.GetRegionRequest { Period = "2026-11" }, deadline: Due);
        Assert.Equal(server.S.Id("east"), region.RegionId);
    }

    [Fact]
    public async Task AlertStreams_CarryOnlyAlertsOfTheCallersRegionSubtree()
    {
        var s = server.S;
        using var admin = Admin();
        foreach (var e in new SalesEvent[]
        {
            s.Open("big-bob", "bob", "acme", 700_000, h: 7), s.Won("big-bob", 8),
            s.Open("big-cid", "cid", "acme", 800_000, h: 7), s.Won("big-cid", 8),
        })
        {
            await admin.Ingest.IngestOneAsync(e.ToOne(), deadline: Due);
        }

        // The whole retained log, replayed (after_sequence 0) to a screen of east (empty scope: its own) and a manager of west.
        var east = await ReplayAsync(server.Keys["screen-east"], s.Id("big-cid"));
        var west = await ReplayAsync(server.Keys["manager-west"], s.Id("big-bob"));

        Assert.Contains(east, a => a.BigDealWon?.OpportunityId == s.Id("big-cid"));
        Assert.All(east, a => Assert.Contains(a.RegionId, new[] { s.Id("east"), s.Id("east-north") }));
        Assert.Contains(west, a => a.BigDealWon?.OpportunityId == s.Id("big-bob"));
        Assert.All(west, a => Assert.Equal(s.Id("west"), a.RegionId));
    }

    /// <summary>The alerts a caller's stream replays until <paramref name="until"/>'s big-deal alert (or 10 s).</summary>
    private async Task<List<V1.WatchAlertsResponse>> ReplayAsync(string credential, string until)
    {
        using var clients = server.Clients(credential);
        using var stream = clients.Watch.WatchAlerts(new V1.WatchAlertsRequest { AfterSequence = 0 }, deadline: DateTime.UtcNow.AddSeconds(10));
        var seen = new List<V1.WatchAlertsResponse>();
        try
        {
            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
                seen.Add(stream.ResponseStream.Current);
                if (stream.ResponseStream.Current.BigDealWon?.OpportunityId == until)
                {
                    break;
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
        }

        return seen;
    }

    [Fact]
    public async Task AConnectorsBatch_IsCheckedEventByEvent_AndRefusedEventsChangeNothing()
    {
        using var connector = server.Clients(server.Keys["connector-east"]);
        var s = server.S;
        var before = (await Admin().Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("bob"), Period = "2026-11" }, deadline: Due)).Figures;
        using var call = connector.Ingest.Ingest(deadline: Due);
        var batch = new V1.IngestRequest { BatchId = "acc-batch-1" };
        batch.Events.Add(new[]
        {
            s.Rep("dan", "east-north", h: 3).ToProto(),         // kind not on the key
            s.Activity("ann", 3).ToProto(),                      // in scope
            s.Activity("bob", 3).ToProto(),                      // bob is in west
            s.Open("o-ann-2", "ann", "acme", 5_000, h: 3).ToProto(),
            s.Won("o-ann-2", 4).ToProto(),                       // a deal opened earlier in the same batch
            s.Won("o-bob", 4).ToProto(),                         // bob's deal
            s.Activity("nobody", 3).ToProto(),                   // not known (yet): retryable, as the engine would say
        });
        await call.RequestStream.WriteAsync(batch);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var results = call.ResponseStream.Current.Results.Select(r => (r.Status, r.Error?.Message ?? "")).ToArray();

        Assert.Equal(
            [V1.EventStatus.PermissionDenied, V1.EventStatus.Accepted, V1.EventStatus.PermissionDenied, V1.EventStatus.Accepted,
             V1.EventStatus.Accepted, V1.EventStatus.PermissionDenied, V1.EventStatus.NotFound],
            results.Select(r => r.Status));
        Assert.StartsWith("rep_joined: API key", results[0].Item2, StringComparison.Ordinal);
        Assert.StartsWith("rep_id: ", results[2].Item2, StringComparison.Ordinal);
        Assert.Contains("outside region", results[2].Item2, StringComparison.Ordinal);
        Assert.Equal(ApiErrors.NotPermitted, StatusDetails.Named(call.ResponseStream.Current.Results[5].Error).Reason);
        var after = (await Admin().Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("bob"), Period = "2026-11" }, deadline: Due)).Figures;
        Assert.Equal(before.Activities, after.Activities);
    }

    [Fact]
    public async Task AJoinOrOpeningOfWhatExistsElsewhere_DoesNotOpenLaterEventsOfTheBatch()
    {
        var s = server.S;
        using var admin = Admin();
        var key = await AccessFixture.CreateKeyAsync(admin, new V1.CreateApiKeyRequest { Role = V1.Role.Connector, Label = "east, every kind", RegionId = s.Id("east") });
        using var connector = server.Clients(key);
        var bobJoinsEast = s.Rep("bob", "east", h: 9).ToProto();
        var bobMovesEast = s.Move("bob", "east", 9.5).ToProto();
        var openBobsDeal = s.Open("o-bob", "ann", "acme", 1_000, h: 9).ToProto();
        var winBobsDeal = s.Won("o-bob", 9.5).ToProto();
        var activityOnBobsDeal = s.Activity("ann", 9).ToProto();
        activityOnBobsDeal.ActivityLogged.OpportunityId = s.Id("o-bob");
        var activityOnALaterDeal = s.Activity("ann", 9).ToProto();
        activityOnALaterDeal.ActivityLogged.OpportunityId = s.Id("o-not-yet");
        using var call = connector.Ingest.Ingest(deadline: Due);
        var batch = new V1.IngestRequest { BatchId = "acc-launder" };
        batch.Events.Add(new[] { bobJoinsEast, bobMovesEast, openBobsDeal, winBobsDeal, activityOnBobsDeal, activityOnALaterDeal });
        await call.RequestStream.WriteAsync(batch);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var results = call.ResponseStream.Current.Results.Select(r => r.Status).ToArray();
        // The join and the opening pass the policy (their own fields are in scope) and the engine refuses them; what
        // came after them in the batch is checked against where bob and his deal really are.
        Assert.Equal(
            [V1.EventStatus.FailedPrecondition, V1.EventStatus.PermissionDenied, V1.EventStatus.FailedPrecondition, V1.EventStatus.PermissionDenied,
             V1.EventStatus.PermissionDenied, V1.EventStatus.Accepted],
            results);
        var bob = await admin.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id("bob") }, deadline: Due);
        Assert.Equal(s.Id("west"), bob.RegionId);
    }

    private DateTime Due => DateTime.UtcNow.AddSeconds(15);

    private ApiClients Admin() => server.Clients(AccessFixture.AdminKey);

    private V1.Channel BoardChannel(string name, string region) => new()
    {
        Name = name,
        Slides = { new V1.Slide { Board = new V1.BoardSlide { ScopeRegionId = server.S.Id(region), Metric = V1.LeaderboardMetric.Bookings } } },
    };

    /// <summary>A channel (put by the admin) with one board of <paramref name="region"/>.</summary>
    private async Task<string> BoardChannelAsync(string region)
    {
        var name = "matrix-" + region;
        using var admin = Admin();
        await admin.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = BoardChannel(name, region) }, deadline: Due);
        return name;
    }

    /// <summary>A channel (put by the admin) with a team slide of <paramref name="regions"/>, or the target progress of the one region.</summary>
    private async Task<string> FigureChannelAsync(string kind, string[] regions)
    {
        var name = $"matrix-{kind}-{string.Join('-', regions)}";
        var slide = kind == "teams"
            ? new V1.Slide { Team = new V1.TeamSlide { RegionIds = { regions.Select(server.S.Id) }, Metric = V1.TargetMetric.Bookings } }
            : new V1.Slide { TargetProgress = new V1.TargetProgressSlide { ScopeRegionId = server.S.Id(regions[0]) } };
        using var admin = Admin();
        await admin.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = new V1.Channel { Name = name, Slides = { slide } } }, deadline: Due);
        return name;
    }

    /// <summary>A channel (put by the admin) with east's board and the alerts of <paramref name="region"/>.</summary>
    private async Task<string> AlertsOfChannelAsync(string region)
    {
        var channel = BoardChannel("matrix-alerts-of-" + region, "east");
        channel.AlertRegionId = server.S.Id(region);
        using var admin = Admin();
        await admin.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = channel }, deadline: Due);
        return channel.Name;
    }

    private async Task<StatusCode> RunAsync(ApiClients c, string call)
    {
        var s = server.S;
        var due = Due;
        var parts = call.Split(' ');
        try
        {
            switch (parts[0])
            {
                case "GetRep":
                    await c.Query.GetRepAsync(new V1.GetRepRequest { RepId = s.Id(parts[1]) }, deadline: due);
                    break;
                case "GetRegion":
                    await c.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = s.Id(parts[1]) }, deadline: due);
                    break;
                case "GetCustomer":
                    await c.Query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = s.Id(parts[1]) }, deadline: due);
                    break;
                case "GetOpportunity":
                    await c.Query.GetOpportunityAsync(new V1.GetOpportunityRequest { OpportunityId = s.Id(parts[1]) }, deadline: due);
                    break;
                case "GetLeaderboard":
                    await c.Query.GetLeaderboardAsync(new V1.GetLeaderboardRequest { ScopeRegionId = Region(parts[1]), Metric = V1.LeaderboardMetric.Bookings }, deadline: due);
                    break;
                case "GetStageTable":
                    await c.Query.GetStageTableAsync(new V1.GetStageTableRequest(), deadline: due);
                    break;
                case "ListOrphaned":
                    await c.Query.ListOrphanedOpportunitiesAsync(new V1.ListOrphanedOpportunitiesRequest { ScopeRegionId = s.Id(parts[1]) }, deadline: due);
                    break;
                case "ListAtRisk":
                    var atRisk = parts[1] switch
                    {
                        "rep" => new V1.ListAtRiskOpportunitiesRequest { RepId = s.Id(parts[2]) },
                        "mine" => new V1.ListAtRiskOpportunitiesRequest(),
                        _ => new V1.ListAtRiskOpportunitiesRequest { ScopeRegionId = s.Id(parts[1]) },
                    };
                    await c.Query.ListAtRiskOpportunitiesAsync(atRisk, deadline: due);
                    break;
                case "Forecasts":
                    await c.Query.GetForecastSubmissionsAsync(new V1.GetForecastSubmissionsRequest { Scope = Scope(parts[1]), ScopeId = s.Id(parts[2]), Period = "2026-11" }, deadline: due);
                    break;
                case "ActivityReport":
                    await c.Query.GetActivityReportAsync(new V1.GetActivityReportRequest { Scope = Scope(parts[1]), ScopeId = s.Id(parts[2]), Period = "2026-11" }, deadline: due);
                    break;
                case "PipelineHistory":
                    await c.Query.GetPipelineHistoryAsync(new V1.GetPipelineHistoryRequest
                    {
                        Scope = Scope(parts[1]), ScopeId = s.Id(parts[2]), Period = "2026-11",
                        FromDate = new Google.Type.Date { Year = 2026, Month = 11, Day = 1 }, ToDate = new Google.Type.Date { Year = 2026, Month = 11, Day = 10 },
                    }, deadline: due);
                    break;
                case "WatchLeaderboard":
                    using (var board = c.Watch.WatchLeaderboard(new V1.WatchLeaderboardRequest { ScopeRegionId = s.Id(parts[1]), Metric = V1.LeaderboardMetric.Bookings }, deadline: due))
                    {
                        Assert.True(await board.ResponseStream.MoveNext(CancellationToken.None));
                        Assert.True(board.ResponseStream.Current.Snapshot);
                    }

                    break;
                case "WatchAlerts":
                    // An allowed stream stays open waiting for alerts: it runs into its short deadline.
                    using (var alerts = c.Watch.WatchAlerts(new V1.WatchAlertsRequest { ScopeRegionId = s.Id(parts[1]) }, deadline: DateTime.UtcNow.AddSeconds(1.5)))
                    {
                        var e = await Assert.ThrowsAsync<RpcException>(() => alerts.ResponseStream.MoveNext(CancellationToken.None));
                        return e.StatusCode == StatusCode.DeadlineExceeded ? Ok : e.StatusCode;
                    }

                case "IngestOne":
                    await c.Ingest.IngestOneAsync(new V1.IngestOneRequest { Event = EventFor(parts[1], parts[2]) }, deadline: due);
                    break;
                case "Ingest":
                    using (var stream = c.Ingest.Ingest(deadline: due))
                    {
                        await stream.RequestStream.CompleteAsync();
                        Assert.False(await stream.ResponseStream.MoveNext(CancellationToken.None));
                    }

                    break;
                case "ListApiKeys":
                    await c.Admin.ListApiKeysAsync(new V1.ListApiKeysRequest(), deadline: due);
                    break;
                case "ListAuditRecords":
                    await c.Admin.ListAuditRecordsAsync(new V1.ListAuditRecordsRequest(), deadline: due);
                    break;
                case "CreateApiKey":
                    await c.Admin.CreateApiKeyAsync(new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "made in the matrix" }, deadline: due);
                    break;
                case "RevokeApiKey":
                    var victim = await AccessFixture.CreateKeyAsync(Admin(), new V1.CreateApiKeyRequest { Role = V1.Role.Screen, Label = "to revoke" });
                    await c.Admin.RevokeApiKeyAsync(new V1.RevokeApiKeyRequest { KeyId = victim.Split('_')[1] }, deadline: due);
                    break;
                case "WatchScreen":
                    // "default" shows the caller's own region; "east"/"west" a channel whose board is that region's;
                    // "teams a,b" a team slide of those regions; "targets r" the target progress of r; "alerts-of r"
                    // east's board with the alerts of r.
                    var name = parts[1] switch
                    {
                        "default" => "default",
                        "teams" or "targets" => await FigureChannelAsync(parts[1], parts[2].Split(',')),
                        "alerts-of" => await AlertsOfChannelAsync(parts[2]),
                        _ => await BoardChannelAsync(parts[1]),
                    };
                    using (var screen = c.Screens.WatchScreen(new V1.WatchScreenRequest { Name = name }, deadline: due))
                    {
                        Assert.True(await screen.ResponseStream.MoveNext(CancellationToken.None));
                        Assert.NotNull(screen.ResponseStream.Current.Channel);
                    }

                    break;
                case "GetChannel":
                    await c.Screens.GetChannelAsync(new V1.GetChannelRequest { Name = "default" }, deadline: due);
                    break;
                case "ListChannels":
                    await c.Screens.ListChannelsAsync(new V1.ListChannelsRequest(), deadline: due);
                    break;
                case "PutChannel":
                    await c.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = BoardChannel("matrix-put", "east") }, deadline: due);
                    break;
                case "DeleteChannel":
                    var doomed = "matrix-delete-" + Guid.NewGuid().ToString("N")[..8];
                    using (var admin = Admin())
                    {
                        await admin.Screens.PutChannelAsync(new V1.PutChannelRequest { Channel = BoardChannel(doomed, "east") }, deadline: due);
                    }

                    await c.Screens.DeleteChannelAsync(new V1.DeleteChannelRequest { Name = doomed }, deadline: due);
                    break;
                default:
                    throw new ArgumentException(call);
            }

            return Ok;
        }
        catch (RpcException e)
        {
            if (e.StatusCode == Denied)
            {
                Assert.Equal(ApiErrors.NotPermitted, e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
            }

            return e.StatusCode;
        }
    }

    private static readonly Period December = Period.TryParse("2026-12", out var p) ? p : throw new InvalidOperationException();

    private string Region(string name) => name == RegionState.CompanyId ? name : server.S.Id(name);

    private static V1.TargetScope Scope(string word) => word == "rep" ? V1.TargetScope.Rep : V1.TargetScope.Region;

    private V1.Event EventFor(string kind, string who)
    {
        var s = server.S;
        return kind switch
        {
            "activity" => s.Activity(who, 5).ToProto(),
            "target" => s.RegionTarget(who, "2026-12", 100_000).ToProto(),
            "forecast" => new ForecastSubmitted(s.NextEventId(), s.At(5), TargetScope.Rep, s.Id(who), December, 10_000, 20_000, "matrix", "").ToProto(),
            "customer" => s.Customer("acme-" + s.NextEventId(), 5).ToProto(),
            _ => throw new ArgumentException(kind),
        };
    }
}
