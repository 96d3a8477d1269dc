using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>A scope's report for a period, from scratch.</summary>
public sealed partial class ReferenceModel
{
    /// <summary>
    /// The figures of a rep (<paramref name="scope"/> Rep) or a region for a period at <paramref name="now"/>, straight
    /// from the deals and items: open deals count where their owner is now, historical items where their rep was then.
    /// </summary>
    public RefReport Report(TargetScope scope, string scopeId, string period, DateTimeOffset now, ReportInputs inputs)
    {
        bool InScope(string repId, string regionId) => scope == TargetScope.Rep
            ? repId == scopeId
            : Chain(regionId, inputs.Parents).Contains(scopeId);

        // A week keeps activities only (docs/semantics.md, "Targets by dimension"): its other period figures read 0.
        var week = RefCalendar.IsWeek(period);
        var n = _open.Length;
        var stageCount = new long[n];
        var stageAmount = new long[n];
        var reached = new long[n + 1];
        decimal weighted = 0, forecastOpen = 0;
        long bookings = 0, won = 0, lost = 0, lostAmount = 0, cycle = 0, commit = 0, bestCase = 0, pipeline = 0, grossMargin = 0;
        var direction = new RefActivity.Builder();
        foreach (var d in inputs.Deals.Values)
        {
            if (InScope(d.Owner, inputs.Reps[d.Owner].CurrentRegion))
            {
                for (var level = 0; level <= d.Level; level++)
                {
                    reached[level]++;
                }

                if (IsOpen(d.Stage))
                {
                    var i = Array.FindIndex(_open, s => s.Id == d.Stage);
                    stageCount[i]++;
                    stageAmount[i] += d.Amount;
                    weighted += d.Amount * _open[i].Probability / 100m;
                    if (!week && RefCalendar.Contains(period, d.ExpectedClose))
                    {
                        forecastOpen += d.Amount * _open[i].Probability / 100m;
                        switch (_open[i].Category)
                        {
                            case ForecastCategory.Commit:
                                commit += d.Amount;
                                break;
                            case ForecastCategory.BestCase:
                                bestCase += d.Amount;
                                break;
                            default:
                                pipeline += d.Amount;
                                break;
                        }
                    }
                }
            }

            if (!week && !IsOpen(d.Stage) && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)) && RefCalendar.Contains(period, _calendar.LocalDate(d.StageAt)))
            {
                direction.Closed(d.Stage == Won, ActivitiesUpTo(d));
                if (d.Stage == Won)
                {
                    bookings += d.Amount;
                    grossMargin += d.Amount - (d.Cost ?? d.Amount);
                    won++;
                    cycle += CycleSeconds(d.OpenedAt, d.StageAt);
                }
                else
                {
                    lost++;
                    lostAmount += d.Amount;
                }
            }
        }

        long newCustomers = 0, newCustomerBookings = 0;
        foreach (var order in FirstOrders(inputs.Deals).Values)
        {
            if (!week && InScope(order.Owner, inputs.Reps[order.Owner].RegionAt(order.StageAt)) && RefCalendar.Contains(period, _calendar.LocalDate(order.StageAt)))
            {
                newCustomers++;
                newCustomerBookings += order.Amount;
            }
        }

        long collections = 0, activityTotal = 0;
        var minutes = new long[5];
        var activities = new SortedDictionary<(int, int), long>();
        var firstOrders = FirstOrders(inputs.Deals);
        var keyAccounts = KeyAccounts();
        foreach (var e in _accepted)
        {
            if (e is ActivityLogged a && RefCalendar.Contains(period, _calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)))
            {
                direction.Add(
                    a.Type,
                    a.DurationMinutes,
                    a.CustomerId.Length == 0
                        ? []
                        :
                        [
                            keyAccounts.Contains(a.CustomerId) ? KeyAccountGroup : OtherAccountGroup,
                            firstOrders.TryGetValue(a.CustomerId, out var firstOrder) && firstOrder.StageAt.UtcTicks < a.OccurredAt.UtcTicks ? ExistingCustomerGroup : NewCustomerGroup,
                        ]);
                if (!week && a.OpportunityId.Length > 0 && inputs.Deals.TryGetValue(a.OpportunityId, out var forDeal) && forDeal.ProductLine.Length > 0)
                {
                    direction.ForProductLine(forDeal.ProductLine, a.DurationMinutes);
                }

                activityTotal++;
                minutes[(int)a.TimeCategory] += a.DurationMinutes;
                activities[((int)a.Type, (int)a.TimeCategory)] = activities.GetValueOrDefault(((int)a.Type, (int)a.TimeCategory)) + 1;
            }
            else if (e is PaymentReceived p && !week && RefCalendar.Contains(period, _calendar.LocalDate(p.OccurredAt)) && InScope(p.RepId, inputs.Reps[p.RepId].RegionAt(p.OccurredAt)))
            {
                collections += p.Amount;
            }
        }

        static double Ratio(double a, double b) => b == 0 ? 0 : a / b;

        var targets = new List<RefTarget>();
        var elapsed = _calendar.ElapsedShare(period, now);
        var mine = inputs.Targets.Where(kv => kv.Key.Scope == scope && kv.Key.Id == scopeId && kv.Key.Period == period)
            .OrderBy(kv => (int)kv.Key.Metric).ThenBy(kv => (int)kv.Value.Dimension.Kind).ThenBy(kv => kv.Value.Dimension.Value ?? "", StringComparer.Ordinal);
        foreach (var ((_, _, _, metric, dimension), t) in mine)
        {
            var actual = dimension.Length > 0
                ? DimensionActual(t, InScope, inputs)
                : metric switch
                {
                    TargetMetric.Bookings => bookings,
                    TargetMetric.Collections => collections,
                    TargetMetric.NewCustomers => newCustomers,
                    TargetMetric.GrossMargin => grossMargin,
                    _ => activityTotal,
                };
            var expected = t.MustAchieve * elapsed;

            // Pace is only meaningful while the period runs: before it, nothing is expected yet; after it, the
            // target is met or missed, not behind (docs/semantics.md, "pace").
            targets.Add(new RefTarget(
                dimension.Length == 0 ? metric.ToString() : $"{metric}/{dimension}",
                actual,
                t.MustAchieve,
                t.Stretch,
                Ratio(actual, t.MustAchieve),
                Ratio(actual, t.Stretch),
                Ratio(actual, expected),
                elapsed is > 0 and < 1 && actual < Math.Floor(expected)));
        }

        var conversion = new double[n];
        for (var i = 0; i < n; i++)
        {
            conversion[i] = Ratio(reached[i + 1], reached[i]);
        }

        // Same period last year: the whole of it, and up to the same point (months over in full, the current one pro rata).
        static string YearBefore(string p) => (int.Parse(p[..4], CultureInfo.InvariantCulture) - 1).ToString("D4", CultureInfo.InvariantCulture) + p[4..];

        RefSums In(string p) => Sums(d => RefCalendar.Contains(p, d));
        var lastYear = In(YearBefore(period));
        long[] toDate = [0, 0, 0, 0];
        var (first, end) = RefCalendar.Days(period);
        for (var m = first; m < end; m = m.AddMonths(1))
        {
            var share = _calendar.ElapsedShare(RefCalendar.MonthCode(m), now);
            if (share == 0)
            {
                break;
            }

            var sums = In(YearBefore(RefCalendar.MonthCode(m)));
            long[] month = [sums.Bookings, sums.Collections, sums.Won, sums.NewCustomers];
            for (var i = 0; i < month.Length; i++)
            {
                toDate[i] += share == 1 ? month[i] : Math.Min(month[i], (long)Math.Floor(month[i] * share));
            }
        }

        var yoy = new List<RefYearOnYear>();
        foreach (var (name, actual, whole, i) in week ? [] : new[]
        {
            ("Bookings", bookings, lastYear.Bookings, 0), ("Collections", collections, lastYear.Collections, 1), ("WonCount", won, lastYear.Won, 2),
            ("NewCustomers", newCustomers, lastYear.NewCustomers, 3),
        })
        {
            yoy.Add(new RefYearOnYear(
                name,
                actual,
                whole,
                toDate[i],
                toDate[i] == 0 ? 0 : (actual - toDate[i]) / (double)toDate[i],
                elapsed is > 0 and < 1 && toDate[i] > 0 && actual < toDate[i] * (1 - BehindLastYearShare)));
        }

        return new RefReport(
            stageCount.Sum(),
            stageAmount.Sum(),
            weighted,
            stageCount,
            stageAmount,
            reached,
            conversion,
            bookings,
            won,
            lost,
            lostAmount,
            collections,
            Ratio(won, won + lost),
            Ratio(bookings, won),
            Ratio(cycle / 86_400.0, won),
            bookings + forecastOpen,
            bookings + commit,
            bookings + commit + bestCase,
            bookings + commit + bestCase + pipeline,
            activityTotal,
            activities,
            minutes,
            targets,
            yoy,
            newCustomers,
            newCustomerBookings,
            bookings - newCustomerBookings,
            RefPlanning.Plan(
                inputs.Targets.GetValueOrDefault((scope, scopeId, period, TargetMetric.Bookings, "")),
                period,
                now,
                _calendar,
                _planMinHistory,
                scope == TargetScope.Rep,
                bookings,
                forecastOpen,
                Sums),
            grossMargin)
        {
            Coverage = Coverage(scope, scopeId, period, inputs),
            Activity = direction.Build(won),
            Suggestions = Suggestions(scope, scopeId, period, inputs, metric => metric switch
            {
                TargetMetric.Bookings => In(YearBefore(period)).Bookings,
                TargetMetric.Collections => In(YearBefore(period)).Collections,
                TargetMetric.NewCustomers => In(YearBefore(period)).NewCustomers,
                TargetMetric.GrossMargin => GrossMarginIn(YearBefore(period)),
                _ => ActivitiesIn(YearBefore(period)),
            }),
        };

        // The period figures of this scope for the local dates a predicate takes (last year's; the funnel's history).
        // Gross margin of the scope's deals won in a period (last year's, for a suggested target).
        long GrossMarginIn(string p) => inputs.Deals.Values
            .Where(d => d.Stage == Won && d.Cost is not null && RefCalendar.Contains(p, _calendar.LocalDate(d.StageAt))
                && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)))
            .Sum(d => d.Amount - d.Cost!.Value);

        long ActivitiesIn(string p) => _accepted.OfType<ActivityLogged>()
            .Count(a => RefCalendar.Contains(p, _calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)));

        RefSums Sums(Func<DateOnly, bool> inPeriod)
        {
            long b = 0, w = 0, c = 0, n = 0, nb = 0, proposals = 0, visits = 0, calls = 0;
            foreach (var d in inputs.Deals.Values)
            {
                if (d.Stage == Won && inPeriod(_calendar.LocalDate(d.StageAt)) && InScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt)))
                {
                    b += d.Amount;
                    w++;
                }
            }

            foreach (var first in FirstOrders(inputs.Deals).Values)
            {
                if (inPeriod(_calendar.LocalDate(first.StageAt)) && InScope(first.Owner, inputs.Reps[first.Owner].RegionAt(first.StageAt)))
                {
                    n++;
                    nb += first.Amount;
                }
            }

            foreach (var e in _accepted)
            {
                if (e is PaymentReceived pay && inPeriod(_calendar.LocalDate(pay.OccurredAt)) && InScope(pay.RepId, inputs.Reps[pay.RepId].RegionAt(pay.OccurredAt)))
                {
                    c += pay.Amount;
                }
                else if (e is ActivityLogged a && inPeriod(_calendar.LocalDate(a.OccurredAt)) && InScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt)))
                {
                    proposals += a.Type == ActivityType.Proposal ? 1 : 0;
                    visits += a.Type == ActivityType.Visit ? 1 : 0;
                    calls += a.Type == ActivityType.Call ? 1 : 0;
                }
            }

            return new RefSums(b, w, c, n, nb, proposals, visits, calls);
        }
    }

    /// <summary>
    /// The actual of a target for one dimension value, from scratch (docs/semantics.md, "Targets by dimension"): the
    /// scope's activities of that type in the target's period, counted where the rep was when logging them.
    /// </summary>
    private long DimensionActual(TargetSet t, Func<string, string, bool> inScope, ReportInputs inputs)
    {
        var period = RefCalendar.CodeOf(t.Period);
        return t.Dimension.Kind switch
        {
            DimensionKind.ActivityType => _accepted.OfType<ActivityLogged>().Count(a =>
                a.Type.ToString() == t.Dimension.Value && RefCalendar.Contains(period, _calendar.LocalDate(a.OccurredAt))
                && inScope(a.RepId, inputs.Reps[a.RepId].RegionAt(a.OccurredAt))),
            _ when t.Metric == TargetMetric.Collections => _accepted.OfType<PaymentReceived>()
                .Where(p => p.CustomerId == t.Dimension.Value && RefCalendar.Contains(period, _calendar.LocalDate(p.OccurredAt))
                    && inScope(p.RepId, inputs.Reps[p.RepId].RegionAt(p.OccurredAt)))
                .Sum(p => p.Amount),
            _ => inputs.Deals.Values
                .Where(d => d.Stage == Won && AttributeOf(d, t.Dimension.Kind) == t.Dimension.Value
                    && RefCalendar.Contains(period, _calendar.LocalDate(d.StageAt)) && inScope(d.Owner, inputs.Reps[d.Owner].RegionAt(d.StageAt))
                    && (t.Metric == TargetMetric.Bookings || d.Cost is not null))
                .Sum(d => t.Metric == TargetMetric.Bookings ? d.Amount : d.Amount - d.Cost!.Value),
        };

        static string AttributeOf(RefDeal d, DimensionKind kind) => kind switch
        {
            DimensionKind.ProductLine => d.ProductLine,
            DimensionKind.Channel => d.Channel,
            _ => d.CustomerId,
        };
    }
}
