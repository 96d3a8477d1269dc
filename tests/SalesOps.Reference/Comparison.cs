using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>Compares what an engine shows with what the reference computes, listing every difference readably.</summary>
public static class Comparison
{
    /// <summary>
    /// Deals, reps, regions (with the company), customers and leaderboards; then, if those agree, every rep's and
    /// region's report and forecast view for every period in <paramref name="reportPeriods"/> at <paramref name="now"/>.
    /// Accuracy boards list the periods ended by <paramref name="boardClock"/> (the engine's clock; <paramref name="now"/>
    /// when not given).
    /// </summary>
    public static List<string> Differences(
        ReferenceModel reference, ObservedState observed, IEnumerable<string> reportPeriods, DateTimeOffset now, DateTimeOffset? boardClock = null)
    {
        var problems = new List<string>();
        var inputs = reference.Inputs();
        var (repCounters, regionCounters) = reference.Counters();

        // Deals first: a wrong deal explains wrong counters.
        SameKeys("opportunities", observed.Deals.Keys, inputs.Deals.Keys, problems);
        foreach (var d in inputs.Deals.Values)
        {
            if (observed.Deals.TryGetValue(d.Id, out var o)
                && (o.Owner != d.Owner || o.Amount != d.Amount || o.Stage != d.Stage || o.ExpectedClose != d.ExpectedClose
                    || (o.Level is { } level && level != d.Level) || (!reference.IsOpen(d.Stage) && o.StageAt != d.StageAt)))
            {
                problems.Add($"opportunity {d.Id}: engine owner {o.Owner} amount {o.Amount} stage {o.Stage}@{o.StageAt:O} close {o.ExpectedClose} level {o.Level}; "
                    + $"reference owner {d.Owner} amount {d.Amount} stage {d.Stage}@{d.StageAt:O} close {d.ExpectedClose} level {d.Level}");
            }
        }

        SameKeys("reps", observed.Reps.Keys, inputs.Reps.Keys, problems);
        foreach (var (id, rep) in inputs.Reps)
        {
            if (observed.Reps.TryGetValue(id, out var got))
            {
                if (got.Region != rep.CurrentRegion)
                {
                    problems.Add($"rep {id}: engine region {got.Region}, reference {rep.CurrentRegion}");
                }

                CompareCounters($"rep {id}", got.Counters, repCounters[id], problems);
            }
        }

        SameKeys("regions", observed.Regions.Keys, inputs.Parents.Keys, problems);
        foreach (var (id, parent) in inputs.Parents)
        {
            if (observed.Regions.TryGetValue(id, out var got))
            {
                if (got.Parent != parent)
                {
                    problems.Add($"region {id}: engine parent '{got.Parent}', reference '{parent}'");
                }

                CompareCounters($"region {id}", got.Counters, regionCounters[id], problems);
            }
        }

        var boards = reference.Leaderboards(repCounters, boardClock ?? now);
        foreach (var key in boards.Keys.Union(observed.Boards.Keys))
        {
            var want = boards.GetValueOrDefault(key) ?? [];
            var got = observed.Boards.GetValueOrDefault(key) ?? [];
            if (!observed.Boards.ContainsKey(key) && want.Count > 0)
            {
                problems.Add($"board {key.Region} {key.Period} {key.Metric} was not read; reference [{Rows(want)}]");
            }
            else if (!got.SequenceEqual(want))
            {
                problems.Add($"board {key.Region} {key.Period} {key.Metric}: engine [{Rows(got)}], reference [{Rows(want)}]");
            }
        }

        var orphans = reference.OrphanedDeals();
        if (!observed.Orphans.SequenceEqual(orphans))
        {
            problems.Add($"orphaned deals: engine [{string.Join(", ", observed.Orphans)}], reference [{string.Join(", ", orphans)}]");
        }

        var customers = reference.Customers();
        SameKeys("customers", observed.Customers.Keys, customers.Keys, problems);
        foreach (var (id, want) in customers)
        {
            if (observed.Customers.TryGetValue(id, out var got) && got != want)
            {
                problems.Add($"customer {id}: engine {got}, reference {want}");
            }
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        foreach (var period in reportPeriods)
        {
            foreach (var id in inputs.Parents.Keys)
            {
                var report = reference.Report(TargetScope.Region, id, period, now, inputs);
                CompareReport($"region {id} {period}", observed.Report(false, id, period), report, problems);
                CompareForecast($"region {id} {period}", observed.Forecast(false, id, period), reference.Forecast(TargetScope.Region, id, period, now, report, regionCounters[id]), problems);
            }

            foreach (var id in inputs.Reps.Keys)
            {
                var report = reference.Report(TargetScope.Rep, id, period, now, inputs);
                CompareReport($"rep {id} {period}", observed.Report(true, id, period), report, problems);
                CompareForecast($"rep {id} {period}", observed.Forecast(true, id, period), reference.Forecast(TargetScope.Rep, id, period, now, report, repCounters[id]), problems);
            }
        }

        return problems;
    }

    /// <summary>
    /// The at-risk list at each of the scenario's instants (<see cref="Scenario.RiskInstants"/>), with the rules the
    /// engine runs under (<paramref name="rules"/>); nothing when the observer does not read it.
    /// </summary>
    public static List<string> AtRiskDifferences(ReferenceModel reference, ObservedState observed, IEnumerable<DateTimeOffset> instants, RefRiskRules rules)
    {
        var problems = new List<string>();
        if (observed.AtRisk is not { } read)
        {
            return problems;
        }

        foreach (var at in instants)
        {
            var want = reference.AtRisk(at, rules);
            var got = read(at);
            if (!got.SequenceEqual(want))
            {
                problems.Add($"at-risk deals at {at:O}: engine [{string.Join(", ", got.Except(want))}] where the reference has [{string.Join(", ", want.Except(got))}]");
            }
        }

        return problems;
    }

    /// <summary>
    /// Every rep's and region's pipeline waterfall and trend for the reference's windows (<see cref="ReferenceModel.PipelineReader.Windows"/>:
    /// a month, quarter and year in the middle of the history, from and to days inside, across and far outside them);
    /// nothing when the observer does not read them.
    /// </summary>
    public static List<string> PipelineDifferences(ReferenceModel reference, ObservedState observed, Action<string, long>? count = null)
    {
        var problems = new List<string>();
        if (observed.Pipeline is not { } read)
        {
            return problems;
        }

        var reader = reference.Pipelines();
        var (repCounters, regionCounters) = reference.Counters();
        var scopes = repCounters.Select(r => (IsRep: true, Id: r.Key, Counters: r.Value)).Concat(regionCounters.Select(r => (IsRep: false, Id: r.Key, Counters: r.Value)));
        foreach (var (isRep, id, counters) in scopes)
        {
            foreach (var (period, from, to) in reader.Windows())
            {
                var want = reader.View(isRep, id, period, from, to, counters);
                var got = read(isRep, id, period, from, to);
                if (!got.SameAs(want))
                {
                    problems.Add($"pipeline of {(isRep ? "rep" : "region")} {id} {period} {from:yyyy-MM-dd}..{to:yyyy-MM-dd}: engine {got.Waterfall} trend [{string.Join(", ", got.Trend)}]; "
                        + $"reference {want.Waterfall} trend [{string.Join(", ", want.Trend)}]");
                }

                count?.Invoke("pipeline waterfalls compared", 1);
                foreach (var term in want.Waterfall.Terms.Where(t => t.Count != 0))
                {
                    count?.Invoke($"pipeline {term.Move}", 1);
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Logs one delivery and says how the engine's answer (<paramref name="code"/> is the result's name) differs from
    /// the reference's verdict, or null when it agrees: the same result, and for a refusal that names a field for the
    /// sender to fix (invalid, not found, a back-dated move) the same field; an event made invalid on purpose must be
    /// refused naming the field the generator broke.
    /// </summary>
    public static string? Outcome(
        Scenario sc, SalesEvent e, (Verdict Code, string Field) want, RefDedupView dedup, string code, string field, string message, List<string> log, string how = "")
    {
        log.Add($"#{log.Count} {Describe(e)} -> engine {code} {field} | reference {want.Code} {want.Field}{(dedup.Beyond ? " (beyond the de-dup window)" : "")}{how}");
        var fieldChecked = want.Code is Verdict.NotFound or Verdict.InvalidArgument || (want.Code == Verdict.FailedPrecondition && want.Field == "occurred_at");

        // Two rules refuse naming occurred_at (a back-dated move, an event beyond the de-dup window): the message tells which.
        var reasonDiffers = want == (Verdict.FailedPrecondition, "occurred_at")
            && message.Contains("de-dup window", StringComparison.Ordinal) != dedup.Beyond;
        if (code != want.Code.ToString() || (fieldChecked && field != want.Field) || reasonDiffers)
        {
            return $"outcome differs at delivery #{log.Count - 1}: engine {code} '{field}' ({message}), reference {want.Code} '{want.Field}'\n"
                + $"event: {e}\nlast deliveries:\n{string.Join('\n', log.TakeLast(30))}";
        }

        if (sc.InvalidFields.TryGetValue(e, out var badField) && (code != nameof(Verdict.InvalidArgument) || field != badField))
        {
            return $"invalid event gave {code} '{field}', expected InvalidArgument '{badField}': {e}";
        }

        return null;
    }

    private static void CompareReport(string scope, RefReport got, RefReport want, List<string> problems)
    {
        var diffs = new List<string>();
        void Same<T>(string name, T engine, T reference)
        {
            if (!EqualityComparer<T>.Default.Equals(engine, reference))
            {
                diffs.Add($"{name}: {engine} vs {reference}");
            }
        }

        // Ratios are computed in floating point by both sides, in different orders: equal within a relative 1e-9.
        void Near(string name, double engine, double reference)
        {
            if (Math.Abs(engine - reference) > 1e-9 * Math.Max(1, Math.Abs(reference)))
            {
                diffs.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {engine} vs {reference}"));
            }
        }

        void SameList<T>(string name, IReadOnlyList<T> engine, IReadOnlyList<T> reference)
        {
            if (!engine.SequenceEqual(reference))
            {
                diffs.Add($"{name}: [{string.Join(',', engine)}] vs [{string.Join(',', reference)}]");
            }
        }

        Same("open count", got.OpenCount, want.OpenCount);
        Same("gross margin", got.GrossMargin, want.GrossMargin);
        Same("open amount", got.OpenAmount, want.OpenAmount);
        Same("weighted pipeline", got.Weighted, want.Weighted);
        SameList("stage counts", got.StageCount, want.StageCount);
        SameList("stage amounts", got.StageAmount, want.StageAmount);
        SameList("stages reached", got.Reached, want.Reached.Take(want.StageCount.Length).ToList());
        for (var i = 0; i < want.Conversion.Length; i++)
        {
            Near($"stage {i} conversion", got.Conversion[i], want.Conversion[i]);
        }

        Same("bookings", got.Bookings, want.Bookings);
        Same("won", got.Won, want.Won);
        Same("lost", got.Lost, want.Lost);
        Same("lost amount", got.LostAmount, want.LostAmount);
        Same("collections", got.Collections, want.Collections);
        Same("new customers", got.NewCustomers, want.NewCustomers);
        Same("new-customer bookings", got.NewCustomerBookings, want.NewCustomerBookings);
        Same("repeat bookings", got.RepeatBookings, want.RepeatBookings);
        if (got.Activity is null || want.Activity is null || !got.Activity.SameAs(want.Activity))
        {
            diffs.Add($"activity report: {got.Activity?.ToString() ?? "none"} vs {want.Activity?.ToString() ?? "none"}");
        }

        Near("win rate", got.WinRate, want.WinRate);
        Near("average deal", got.AverageDeal, want.AverageDeal);
        Near("average cycle days", got.AverageCycleDays, want.AverageCycleDays);
        Same("forecast", got.Forecast, want.Forecast);
        Same("commit", got.Commit, want.Commit);
        Same("best case", got.BestCase, want.BestCase);
        Same("pipeline forecast", got.Pipeline, want.Pipeline);
        Same("activity total", got.ActivityTotal, want.ActivityTotal);
        SameList("activities", got.Activities.ToList(), want.Activities.ToList());
        SameList("minutes", got.Minutes, want.Minutes);
        SameList("targets", got.Targets.Select(t => (t.Metric, t.Actual, t.Must, t.Stretch)).ToList(), want.Targets.Select(t => (t.Metric, t.Actual, t.Must, t.Stretch)).ToList());
        foreach (var (g, w) in got.Targets.Zip(want.Targets))
        {
            Near($"{w.Metric} must attainment", g.MustAttainment, w.MustAttainment);
            Near($"{w.Metric} stretch attainment", g.StretchAttainment, w.StretchAttainment);
            Near($"{w.Metric} pace", g.Pace, w.Pace);
            Same($"{w.Metric} behind pace", g.Behind, w.Behind);
        }

        SameList("same period last year", got.LastYear.Select(y => (y.Figure, y.Actual, y.LastYear, y.LastYearToDate, y.Behind)).ToList(), want.LastYear.Select(y => (y.Figure, y.Actual, y.LastYear, y.LastYearToDate, y.Behind)).ToList());
        foreach (var (g, w) in got.LastYear.Zip(want.LastYear))
        {
            Near($"{w.Figure} growth on last year", g.Growth, w.Growth);
        }

        SameList("target coverage", got.Coverage, want.Coverage);
        SameList("suggested targets", got.Suggestions, want.Suggestions);
        if (got.Plan is null != want.Plan is null)
        {
            diffs.Add($"plan: engine {(got.Plan is null ? "none" : "one")}, reference {(want.Plan is null ? "none" : "one")}");
        }
        else if (got.Plan is { } gp && want.Plan is { } wp)
        {
            Same("plan", (gp.Target, gp.Booked, gp.Work, gp.Buying, gp.Gap, gp.AverageOrder, gp.AverageObserved, gp.Orders), (wp.Target, wp.Booked, wp.Work, wp.Buying, wp.Gap, wp.AverageOrder, wp.AverageObserved, wp.Orders));
            SameList("plan ratios", gp.Ratios, wp.Ratios);
            Same("plan days and flags", (gp.DaysLeft, gp.DaysGone, gp.Behind, gp.Overloaded), (wp.DaysLeft, wp.DaysGone, wp.Behind, wp.Overloaded));
            SameList("plan activities", gp.Activities.Select(a => (a.Type, a.Needed, a.Logged)).ToList(), wp.Activities.Select(a => (a.Type, a.Needed, a.Logged)).ToList());
            foreach (var (g, w) in gp.Activities.Zip(wp.Activities))
            {
                Near($"plan {w.Type} needed per day", g.NeededPerDay, w.NeededPerDay);
                Near($"plan {w.Type} needed per week", g.NeededPerWeek, w.NeededPerWeek);
                Near($"plan {w.Type} logged per day", g.LoggedPerDay, w.LoggedPerDay);
            }

            Near("plan load", gp.Load, wp.Load);
        }

        if (diffs.Count > 0)
        {
            problems.Add($"report {scope}: {string.Join("; ", diffs)}");
        }
    }

    private static void CompareForecast(string scope, RefForecast got, RefForecast want, List<string> problems)
    {
        if (!got.Submissions.SequenceEqual(want.Submissions) || got.Actual != want.Actual || got.SystemForecast != want.SystemForecast
            || got.Ended != want.Ended || got.Accuracy != want.Accuracy || !got.History.SequenceEqual(want.History))
        {
            problems.Add($"forecast {scope}: engine {got}; reference {want}");
        }
    }

    private static void CompareCounters(string scope, Dictionary<CounterKey, long> engine, Dictionary<CounterKey, long> reference, List<string> problems)
    {
        foreach (var key in engine.Keys.Union(reference.Keys).OrderBy(k => k.Figure, StringComparer.Ordinal).ThenBy(k => k.Period, StringComparer.Ordinal).ThenBy(k => k.A).ThenBy(k => k.B))
        {
            var got = engine.GetValueOrDefault(key);
            var want = reference.GetValueOrDefault(key);
            if (got != want)
            {
                problems.Add($"{scope} counter {key.Figure} '{key.Period}' [{key.A},{key.B}]: engine {got}, reference {want}");
            }
        }
    }

    private static void SameKeys(string what, IEnumerable<string> engine, IEnumerable<string> reference, List<string> problems)
    {
        var e = engine.ToHashSet(StringComparer.Ordinal);
        var r = reference.ToHashSet(StringComparer.Ordinal);
        if (!e.SetEquals(r))
        {
            problems.Add($"{what}: engine only [{string.Join(", ", e.Except(r))}], reference only [{string.Join(", ", r.Except(e))}]");
        }
    }

    public static string Rows(IEnumerable<RefRow> rows) =>
        string.Join(", ", rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Rank}:{r.RepId}={r.Score}")));

    /// <summary>One line per event, for failure reports.</summary>
    public static string Describe(SalesEvent e)
    {
        var id = e.EventId.Length > 20 ? e.EventId[..20] + "…" : e.EventId;
        var what = e switch
        {
            RegionDefined r => $"{r.RegionId} parent='{r.ParentRegionId}' name='{r.Name}'",
            RepJoined j => $"{j.RepId} in {j.RegionId}",
            RepMoved m => $"{m.RepId} -> {m.RegionId}",
            RepLeft l => $"{l.RepId} left",
            CustomerRegistered c => c.KeyAccount ? $"{c.CustomerId} key account" : c.CustomerId,
            CustomerKeyAccountChanged k => $"{k.CustomerId} {(k.KeyAccount ? "to key account" : "to other account")}",
            OpportunityOpened o => $"{o.OpportunityId} owner={o.OwnerRepId} cust={o.CustomerId} amount={o.Amount} stage={o.StageId} close={o.ExpectedClose}",
            OpportunityStageChanged s => $"{s.OpportunityId} stage={s.StageId} close={s.ExpectedClose}",
            OpportunityAmountChanged a => $"{a.OpportunityId} amount={a.Amount}",
            OpportunityReassigned r => $"{r.OpportunityId} -> {r.NewOwnerRepId}",
            OpportunityWon w => $"{w.OpportunityId} amount={w.Amount}",
            OpportunityLost l => l.OpportunityId,
            ActivityLogged a => $"{a.RepId} cust='{a.CustomerId}' {a.Type} {a.DurationMinutes}min {a.TimeCategory}{(a.OpportunityId.Length > 0 ? $" deal={a.OpportunityId}" : "")}",
            PaymentReceived p => $"{p.RepId} cust={p.CustomerId} amount={p.Amount}",
            TargetSet t => $"{t.Scope} {t.ScopeId} {RefCalendar.CodeOf(t.Period)} {t.Metric} {ReferenceModel.DimensionOf(t)} {t.MustAchieve}/{t.Stretch}",
            ForecastSubmitted f => $"{f.Scope} {f.ScopeId} {RefCalendar.CodeOf(f.Period)} commit {f.Commit} best {f.BestCase}",
            PlanningInputsRecorded i => $"{i.Scope} {i.ScopeId} {RefCalendar.CodeOf(i.Year)} {i.Metric} last={i.LastYearActual} plan={i.LongTermPlan} growth={i.IndustryGrowthBasisPoints}bp new={i.NewGrowthPoints}",
            _ => "",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{e.GetType().Name} {id} {e.OccurredAt:yyyy-MM-dd HH:mm:ss.fff} {what}");
    }
}
