using Google.Protobuf;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// Compares everything a server reports over gRPC — rep, region and company figures for a month and a year,
/// customers, and the company and region leaderboards — with a from-scratch reference engine fed the same events.
/// </summary>
public static class ServerState
{
    private static readonly string[] Periods = ["2026-11", "2026"];

    /// <summary>Polls until the server matches the reference (region roll-ups trail by a tick); fails with the differences.</summary>
    public static async Task AssertMatchesAsync(ServerProcess server, InMemorySalesEngine reference, DurableWorkload workload, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        List<string> differences;
        while (true)
        {
            try
            {
                differences = await DifferencesAsync(server, reference, workload);
            }
            catch (Grpc.Core.RpcException ex)
            {
                differences = [$"query failed: {ex.Status}"];
            }

            if (differences.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                var log = server.Log;
                Assert.Fail($"{differences.Count} differences from the reference, e.g.:\n{string.Join("\n", differences.Take(6))}\nserver log (tail):\n{log[Math.Max(0, log.Length - 6000)..]}");
            }

            await Task.Delay(250);
        }
    }

    public static async Task<List<string>> DifferencesAsync(ServerProcess server, InMemorySalesEngine reference, DurableWorkload workload)
    {
        var settings = reference.Settings;
        var differences = new List<string>();
        var deadline = () => DateTime.UtcNow.AddSeconds(10);
        foreach (var period in Periods)
        {
            var p = Period.TryParse(period, out var parsed) ? parsed : throw new InvalidOperationException(period);
            foreach (var repId in workload.RepIds)
            {
                var rep = reference.Reps[repId];
                var want = Expected(rep.Figures(), rep.Targets, settings, TargetScope.Rep, p);
                var got = (await server.Query.GetRepAsync(new V1.GetRepRequest { RepId = repId, Period = period }, deadline: deadline())).Figures;
                Compare($"rep {repId} {period}", want, got, differences);
            }

            foreach (var regionId in workload.RegionIds.Append(RegionState.CompanyId))
            {
                var region = reference.Regions[regionId];
                var want = Expected(region.Figures, region.Targets, settings, TargetScope.Region, p);
                var got = (await server.Query.GetRegionAsync(new V1.GetRegionRequest { RegionId = regionId, Period = period }, deadline: deadline())).Figures;
                Compare($"region {regionId} {period}", want, got, differences);
                foreach (var metric in new[] { LeaderboardMetric.Bookings, LeaderboardMetric.Activities, LeaderboardMetric.Collections })
                {
                    var board = region.Board(new BoardKey(p, metric));
                    var wantRows = board is null ? [] : board.Top(1_000).Select(e => $"{e.Rank}:{e.RepId}:{e.Score}").ToList();
                    var view = await server.Query.GetLeaderboardAsync(
                        new V1.GetLeaderboardRequest { ScopeRegionId = regionId, Period = period, Metric = ProtoMapper.ToWire((LeaderboardMetric)metric), Top = 1_000 },
                        deadline: deadline());
                    var gotRows = view.Top.Select(e => $"{e.Rank}:{e.RepId}:{e.Score}").ToList();
                    if (!wantRows.SequenceEqual(gotRows))
                    {
                        differences.Add($"board {regionId} {period} {metric}: want [{string.Join(", ", wantRows.Take(5))}...] got [{string.Join(", ", gotRows.Take(5))}...]");
                    }
                }
            }
        }

        foreach (var customerId in workload.CustomerIds)
        {
            var c = reference.Customers[customerId];
            var got = await server.Query.GetCustomerAsync(new V1.GetCustomerRequest { CustomerId = customerId }, deadline: deadline());
            var want = (c.OrderCount, c.LifetimeValue, c.Collections, c.LastContact);
            var have = ((int)got.Orders, got.LifetimeValue.MinorUnits, got.Collections.MinorUnits, got.LastContact?.ToDateTimeOffset());
            if (want != have)
            {
                differences.Add($"customer {customerId}: want {want} got {have}");
            }
        }

        return differences;
    }

    /// <summary>What the server should report, with the fields that depend on the moment of the query (pace, last year to date, the plan) left out.</summary>
    private static V1.Figures Expected(FigureSet figures, TargetBook targets, EngineSettings settings, TargetScope scope, Period period) =>
        WithoutPace(ProtoMapper.ToFigures(FigureReport.Build(figures, targets, settings, scope, period, DateTimeOffset.UtcNow), settings.CurrencyCode));

    private static V1.Figures WithoutPace(V1.Figures figures)
    {
        var copy = figures.Clone();
        foreach (var t in copy.Targets)
        {
            t.ElapsedShare = 0;
            t.Pace = 0;
            t.BehindPace = false;
        }

        copy.Plan = null; // its working days, buying platform and rates all follow the clock; its inputs are compared above
        foreach (var y in copy.SamePeriodLastYear)
        {
            y.LastYearToDate = 0;
            y.Growth = 0;
            y.Behind = false;
        }

        return copy;
    }

    private static void Compare(string what, V1.Figures want, V1.Figures got, List<string> differences)
    {
        got = WithoutPace(got);
        if (!want.Equals(got))
        {
            differences.Add($"{what}:\n  want {JsonFormatter.Default.Format(want)}\n  got  {JsonFormatter.Default.Format(got)}");
        }
    }
}
