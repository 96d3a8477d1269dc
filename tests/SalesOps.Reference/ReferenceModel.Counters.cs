using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>Counters and leaderboards, recomputed from the accepted events.</summary>
public sealed partial class ReferenceModel
{
    /// <summary>Every counter of every rep and every region (zeros left out), recomputed from the accepted events.</summary>
    public (Dictionary<string, Dictionary<CounterKey, long>> Reps, Dictionary<string, Dictionary<CounterKey, long>> Regions) Counters()
    {
        var parents = RegionParents();
        var reps = Reps();
        var repCounters = reps.Keys.ToDictionary(r => r, _ => new Dictionary<CounterKey, long>(), StringComparer.Ordinal);
        var regionCounters = parents.Keys.ToDictionary(r => r, _ => new Dictionary<CounterKey, long>(), StringComparer.Ordinal);

        void Add(string repId, string regionId, CounterKey key, long value)
        {
            repCounters[repId][key] = checked(repCounters[repId].GetValueOrDefault(key) + value);
            foreach (var r in Chain(regionId, parents))
            {
                regionCounters[r][key] = checked(regionCounters[r].GetValueOrDefault(key) + value);
            }
        }

        void Current(string repId, string figure, int a, long value) =>
            Add(repId, reps[repId].CurrentRegion, new CounterKey(figure, "", a, 0), value);

        void Dated(string repId, string region, string figure, DateOnly day, int a, int b, long value)
        {
            foreach (var period in RefCalendar.PeriodsOf(day))
            {
                Add(repId, region, new CounterKey(figure, period, a, b), value);
            }
        }

        void Historical(string repId, DateTimeOffset at, string figure, int a, int b, long value) =>
            Dated(repId, reps[repId].RegionAt(at), figure, _calendar.LocalDate(at), a, b, value);

        // A dimension value's counters: month, quarter and year, but a customer's quarter and year only.
        void ByDimension(string repId, DateTimeOffset at, string figure, DimensionKind kind, string value, long amount)
        {
            foreach (var period in RefCalendar.PeriodsOf(_calendar.LocalDate(at)).Where(p => kind != DimensionKind.Customer || p.Length != 7 || p[5] == 'Q'))
            {
                Add(repId, reps[repId].RegionAt(at), new CounterKey(Fig.Of(figure, kind, value), period, 0, 0), amount);
            }
        }

        foreach (var d in Deals().Values)
        {
            if (IsOpen(d.Stage))
            {
                var stage = Array.FindIndex(_open, s => s.Id == d.Stage);
                Current(d.Owner, Fig.PipelineCount, stage, 1);
                Current(d.Owner, Fig.PipelineAmount, stage, d.Amount);
                Dated(d.Owner, reps[d.Owner].CurrentRegion, Fig.OpenByClose, d.ExpectedClose, stage, 0, d.Amount);
            }
            else if (d.Stage == Won)
            {
                Historical(d.Owner, d.StageAt, Fig.Bookings, 0, 0, d.Amount);
                Historical(d.Owner, d.StageAt, Fig.WonCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Fig.CycleSeconds, 0, 0, CycleSeconds(d.OpenedAt, d.StageAt));
                if (d.Cost is { } cost)
                {
                    Historical(d.Owner, d.StageAt, Fig.GrossMargin, 0, 0, d.Amount - cost);
                }

                foreach (var (kind, value) in new[] { (DimensionKind.ProductLine, d.ProductLine), (DimensionKind.Channel, d.Channel), (DimensionKind.Customer, d.CustomerId) })
                {
                    if (value.Length > 0)
                    {
                        ByDimension(d.Owner, d.StageAt, Fig.Bookings, kind, value, d.Amount);
                        if (d.Cost is { } c)
                        {
                            ByDimension(d.Owner, d.StageAt, Fig.GrossMargin, kind, value, d.Amount - c);
                        }
                    }
                }
            }
            else
            {
                Historical(d.Owner, d.StageAt, Fig.LostCount, 0, 0, 1);
                Historical(d.Owner, d.StageAt, Fig.LostAmount, 0, 0, d.Amount);
            }

            for (var level = 0; level <= d.Level; level++)
            {
                Current(d.Owner, Fig.Reached, level, 1);
            }
        }

        PipelineCounters(reps, Deals(), (rep, region, key, value) => Add(rep, region, key, value));

        // A closed deal with activities logged against it by its close, in its load bucket (bucket 0 is derived, not counted).
        foreach (var d in Deals().Values.Where(d => !IsOpen(d.Stage)))
        {
            if (ActivitiesUpTo(d) is var load and > 0)
            {
                Historical(d.Owner, d.StageAt, Fig.ClosedByActivityLoad, RefActivity.LoadBucket(load), d.Stage == Won ? 0 : 1, 1);
            }
        }

        foreach (var first in FirstOrders(Deals()).Values)
        {
            Historical(first.Owner, first.StageAt, Fig.NewCustomers, 0, 0, 1);
            Historical(first.Owner, first.StageAt, Fig.NewCustomerBookings, 0, 0, first.Amount);
        }

        var dealsNow = Deals();
        var firstOrders = FirstOrders(dealsNow);
        var keyAccounts = KeyAccounts();
        foreach (var e in _accepted)
        {
            switch (e)
            {
                case ActivityLogged a:
                    Historical(a.RepId, a.OccurredAt, Fig.ActivityCount, (int)a.Type, (int)a.TimeCategory, 1);
                    Historical(a.RepId, a.OccurredAt, Fig.ActivityMinutes, 0, (int)a.TimeCategory, a.DurationMinutes);

                    // Logged against a deal that is opened (whenever it arrived) with a product line: that line's activity.
                    if (a.OpportunityId.Length > 0 && dealsNow.TryGetValue(a.OpportunityId, out var forDeal) && forDeal.ProductLine.Length > 0)
                    {
                        ByDimension(a.RepId, a.OccurredAt, Fig.ActivityCount, DimensionKind.ProductLine, forDeal.ProductLine, 1);
                        ByDimension(a.RepId, a.OccurredAt, Fig.ActivityMinutes, DimensionKind.ProductLine, forDeal.ProductLine, a.DurationMinutes);
                    }

                    if (a.CustomerId.Length > 0)
                    {
                        // Existing: the customer's earliest standing win is strictly before the activity (as the set of events stands now).
                        var existing = firstOrders.TryGetValue(a.CustomerId, out var first) && first.StageAt.UtcTicks < a.OccurredAt.UtcTicks;
                        foreach (var group in new[] { keyAccounts.Contains(a.CustomerId) ? KeyAccountGroup : OtherAccountGroup, existing ? ExistingCustomerGroup : NewCustomerGroup })
                        {
                            Historical(a.RepId, a.OccurredAt, Fig.CustomerActivityCount, group, 0, 1);
                            Historical(a.RepId, a.OccurredAt, Fig.CustomerActivityMinutes, group, 0, a.DurationMinutes);

                            // Activity figures are kept per ISO week too, direction included.
                            var weekOf = RefCalendar.WeekCode(_calendar.LocalDate(a.OccurredAt));
                            Add(a.RepId, reps[a.RepId].RegionAt(a.OccurredAt), new CounterKey(Fig.CustomerActivityCount, weekOf, group, 0), 1);
                            Add(a.RepId, reps[a.RepId].RegionAt(a.OccurredAt), new CounterKey(Fig.CustomerActivityMinutes, weekOf, group, 0), a.DurationMinutes);
                        }
                    }

                    // Activities are kept per ISO week too (docs/semantics.md, "Targets by dimension").
                    var week = RefCalendar.WeekCode(_calendar.LocalDate(a.OccurredAt));
                    var region = reps[a.RepId].RegionAt(a.OccurredAt);
                    Add(a.RepId, region, new CounterKey(Fig.ActivityCount, week, (int)a.Type, (int)a.TimeCategory), 1);
                    Add(a.RepId, region, new CounterKey(Fig.ActivityMinutes, week, 0, (int)a.TimeCategory), a.DurationMinutes);
                    break;
                case PaymentReceived p:
                    Historical(p.RepId, p.OccurredAt, Fig.Collections, 0, 0, p.Amount);
                    ByDimension(p.RepId, p.OccurredAt, Fig.Collections, DimensionKind.Customer, p.CustomerId, p.Amount);
                    break;
            }
        }

        AddTargetCounters(reps, parents, Add, regionCounters);
        foreach (var set in repCounters.Values.Concat(regionCounters.Values))
        {
            foreach (var zero in set.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList())
            {
                set.Remove(zero);
            }
        }

        return (repCounters, regionCounters);
    }

    /// <summary>
    /// Every leaderboard: for each region (and the company), period and metric, the reps currently in the region or
    /// below it that have a score, by score descending then rep id (ordinal), ranked from 1.
    /// </summary>
    /// <param name="repCounters">Every rep's counters (<see cref="Counters"/>).</param>
    /// <param name="clock">The engine's clock: accuracy boards list the periods that ended by then.</param>
    public Dictionary<RefBoard, List<RefRow>> Leaderboards(Dictionary<string, Dictionary<CounterKey, long>> repCounters, DateTimeOffset clock)
    {
        var parents = RegionParents();
        var reps = Reps();
        var targets = Targets();
        var scores = new Dictionary<string, Dictionary<(string Period, string Metric), double>>(StringComparer.Ordinal);
        foreach (var (repId, counters) in repCounters)
        {
            var mine = new Dictionary<(string, string), double>();
            foreach (var (key, value) in counters)
            {
                var metric = key.Figure switch
                {
                    Fig.Bookings => "Bookings",
                    Fig.Collections => "Collections",
                    Fig.ActivityCount => "Activities",
                    _ => null,
                };
                if (metric is not null && !RefCalendar.IsWeek(key.Period))
                {
                    mine[(key.Period, metric)] = mine.GetValueOrDefault((key.Period, metric)) + value;
                }
            }

            foreach (var ((scope, id, period, metric, dimension), target) in targets)
            {
                if (scope == TargetScope.Rep && id == repId && metric == TargetMetric.Bookings && dimension.Length == 0)
                {
                    var bookings = counters.GetValueOrDefault(new CounterKey(Fig.Bookings, period, 0, 0));
                    mine[(period, "Attainment")] = Math.Round(bookings * 100.0 / target.MustAchieve, 4);
                }
            }

            foreach (var period in SubmittedPeriods(TargetScope.Rep, repId))
            {
                if (Ended(period, clock) && Counted(TargetScope.Rep, repId, period) is { } counted)
                {
                    var bookings = counters.GetValueOrDefault(new CounterKey(Fig.Bookings, period, 0, 0));
                    mine[(period, "ForecastAccuracy")] = AccuracyPercent(bookings, counted.Commit);
                }
            }

            if (LeaveOf(repId) is { } left)
            {
                // A departed rep stays only on boards of periods that ended before the leave date.
                var leftOn = _calendar.LocalDate(left.OccurredAt);
                foreach (var key in mine.Keys.Where(k => RefCalendar.Days(k.Item1).End > leftOn).ToList())
                {
                    mine.Remove(key);
                }
            }

            scores[repId] = mine;
        }

        var boards = new Dictionary<RefBoard, List<RefRow>>();
        foreach (var region in parents.Keys)
        {
            var members = reps.Values.Where(r => Chain(r.CurrentRegion, parents).Contains(region)).Select(r => r.Id).ToList();
            foreach (var key in members.SelectMany(m => scores[m].Keys).Distinct())
            {
                var rows = members.Where(m => scores[m].ContainsKey(key)).Select(m => (Rep: m, Score: scores[m][key])).ToList();
                rows.Sort((a, b) => a.Score != b.Score ? (a.Score > b.Score ? -1 : 1) : string.CompareOrdinal(a.Rep, b.Rep));
                boards[new RefBoard(region, key.Period, key.Metric)] = rows.Select((r, i) => new RefRow(i + 1, r.Rep, r.Score)).ToList();
            }
        }

        return boards;
    }
}
