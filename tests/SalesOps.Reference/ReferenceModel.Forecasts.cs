using System.Globalization;
using SalesOps.Domain;

namespace SalesOps.Reference;

/// <summary>Forecast submissions and their accuracy, from scratch.</summary>
public sealed partial class ReferenceModel
{
    // ---- forecasts ---------------------------------------------------------------------------------------

    /// <summary>A scope's accepted submissions for a period, in (occurred_at, event id) order.</summary>
    public List<RefSubmission> Submissions(TargetScope scope, string id, string period)
    {
        var list = _accepted.OfType<ForecastSubmitted>()
            .Where(f => f.Scope == scope && f.ScopeId == id && RefCalendar.CodeOf(f.Period) == period)
            .ToList();
        list.Sort(Stamp);
        return list.Select(f => new RefSubmission(f.EventId, f.OccurredAt, f.Commit, f.BestCase, f.SubmittedBy, f.Note)).ToList();
    }

    private IEnumerable<string> SubmittedPeriods(TargetScope scope, string id) =>
        _accepted.OfType<ForecastSubmitted>().Where(f => f.Scope == scope && f.ScopeId == id).Select(f => RefCalendar.CodeOf(f.Period)).Distinct();

    /// <summary>A period has ended once the clock reaches the start of its first day after (company time zone).</summary>
    public bool Ended(string period, DateTimeOffset clock) => clock >= _calendar.StartOf(RefCalendar.Days(period).End);

    /// <summary>The cut-off: the start of the day that falls the configured number of days before the period's end.</summary>
    public DateTimeOffset Cutoff(string period) => _calendar.StartOf(RefCalendar.Days(period).End.AddDays(-_cutoffDays));

    /// <summary>The submission that counts: the latest (by occurred_at, then event id) dated before the cut-off.</summary>
    public RefSubmission? Counted(TargetScope scope, string id, string period) =>
        Submissions(scope, id, period).LastOrDefault(s => s.At < Cutoff(period));

    /// <summary>100 × max(0, 1 − |actual − commit| ÷ actual), to 4 decimals; for actual 0: 100 when the commit is 0 too, else 0.</summary>
    public static double AccuracyPercent(long actual, long commit) =>
        actual == 0
            ? (commit == 0 ? 100.0 : 0.0)
            : Math.Round(Math.Max(0.0, 1.0 - Math.Abs((double)(actual - commit)) / Math.Abs((double)actual)) * 100.0, 4);

    /// <summary>
    /// One scope's forecast view for a period at <paramref name="now"/>: submissions, the actual bookings and the system's
    /// forecast (both from <paramref name="report"/>, the scope's report of that period), and once ended the accuracy;
    /// plus the accuracy of every ended period of the scope with a counted submission, by end date, the longer period first.
    /// </summary>
    public RefForecast Forecast(TargetScope scope, string id, string period, DateTimeOffset now, RefReport report, Dictionary<CounterKey, long> counters)
    {
        RefAccuracy? Accuracy(string p) => Counted(scope, id, p) is { } c
            ? new RefAccuracy(p, c.EventId, c.Commit, counters.GetValueOrDefault(new CounterKey(Fig.Bookings, p, 0, 0)),
                AccuracyPercent(counters.GetValueOrDefault(new CounterKey(Fig.Bookings, p, 0, 0)), c.Commit))
            : null;

        var history = SubmittedPeriods(scope, id).Where(p => Ended(p, now)).Select(Accuracy).OfType<RefAccuracy>()
            .OrderBy(a => RefCalendar.Days(a.Period).End).ThenBy(a => a.Period.Length == 4 ? 0 : a.Period[5] == 'Q' ? 1 : 2)
            .ToList();
        var ended = Ended(period, now);
        return new RefForecast(Submissions(scope, id, period), report.Bookings, report.Forecast, ended, ended ? Accuracy(period) : null, history);
    }
}
