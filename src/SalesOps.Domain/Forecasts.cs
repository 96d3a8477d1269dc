namespace SalesOps.Domain;

/// <summary>One accepted forecast submission, as kept in its scope's <see cref="ForecastBook"/>.</summary>
public sealed record ForecastSubmission(DateTimeOffset At, string EventId, long Commit, long BestCase, string SubmittedBy, string Note)
{
    public EventStamp Stamp => new(At, EventId);

    public static ForecastSubmission Of(ForecastSubmitted e) => new(e.OccurredAt, e.EventId, e.Commit, e.BestCase, e.SubmittedBy ?? "", e.Note ?? "");
}

/// <summary>
/// When a period's forecasts are scored: a period ends at the start of its first day after it (company time zone), and
/// its cut-off falls <see cref="CutoffDays"/> days before that; the submission scored is the last one dated before the
/// cut-off (docs/semantics.md, "Forecast submissions and accuracy").
/// </summary>
public sealed record ForecastRules(CompanyCalendar Calendar, int CutoffDays)
{
    /// <summary>The default cut-off: a week before the period's end, so a call made in its last days does not count.</summary>
    public const int DefaultCutoffDays = 7;

    /// <summary>The largest cut-off allowed (a year): any more would put every cut-off before its period began.</summary>
    public const int MaxCutoffDays = 366;

    public DateTimeOffset EndOf(Period period) => Calendar.StartOf(period.EndDay);

    public DateTimeOffset CutoffOf(Period period) => Calendar.StartOf(period.EndDay.AddDays(-CutoffDays));

    public bool HasEnded(Period period, DateTimeOffset now) => now >= EndOf(period);
}

/// <summary>The accuracy formula, one place for the boards and the queries.</summary>
public static class ForecastAccuracy
{
    /// <summary>
    /// Accuracy in percent, rounded to 1/10,000 of a percent so that every replica agrees on it:
    /// 100 × max(0, 1 − |actual − commit| ÷ actual); when actual is 0, 100 if the commit was 0 too, else 0.
    /// </summary>
    public static double Percent(long actual, long commit)
    {
        if (actual == 0)
        {
            return commit == 0 ? 100 : 0;
        }

        var miss = Math.Abs((double)(actual - commit)) / Math.Abs((double)actual);
        return Math.Round(Math.Max(0.0, 1.0 - miss) * 100.0, 4);
    }
}

/// <summary>
/// The forecast submissions of one scope (a rep, a region or the company), every one kept, per period in
/// (<c>occurred_at</c>, event id) order whatever order they arrived in.
/// </summary>
public sealed class ForecastBook
{
    private readonly Dictionary<Period, List<ForecastSubmission>> _byPeriod = new();

    /// <summary>How many periods have submissions.</summary>
    public int Count => _byPeriod.Count;

    public IEnumerable<Period> Periods => _byPeriod.Keys;

    /// <summary>The latest <c>occurred_at</c> of any submission, or default when there is none.</summary>
    public DateTimeOffset Newest { get; private set; }

    public IReadOnlyList<ForecastSubmission> Of(Period period) =>
        _byPeriod.TryGetValue(period, out var list) ? list : [];

    /// <summary>Keeps a submission in its place in the period's order.</summary>
    public void Add(ForecastSubmitted e) => Put(e.Period, ForecastSubmission.Of(e));

    /// <summary>Keeps a submission in its place in the period's order (for read models built from a grain's answer).</summary>
    public void Put(Period period, ForecastSubmission submission)
    {
        if (!_byPeriod.TryGetValue(period, out var list))
        {
            _byPeriod[period] = list = new List<ForecastSubmission>(1);
        }

        var index = list.Count;
        while (index > 0 && list[index - 1].Stamp > submission.Stamp)
        {
            index--; // submissions mostly arrive in order: walk back from the end
        }

        list.Insert(index, submission);
        if (submission.At > Newest)
        {
            Newest = submission.At;
        }
    }

    /// <summary>The latest submission of the period, or null.</summary>
    public ForecastSubmission? Latest(Period period) => _byPeriod.TryGetValue(period, out var list) ? list[^1] : null;

    /// <summary>The submission that counts for accuracy: the last one dated before <paramref name="cutoff"/>, or null.</summary>
    public ForecastSubmission? CountedBefore(Period period, DateTimeOffset cutoff)
    {
        if (!_byPeriod.TryGetValue(period, out var list))
        {
            return null;
        }

        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].At < cutoff)
            {
                return list[i];
            }
        }

        return null;
    }

    /// <summary>Every submission, period by period in enumeration order, each period's in its order.</summary>
    internal List<ForecastEntry>? ToMemento()
    {
        if (_byPeriod.Count == 0)
        {
            return null;
        }

        var entries = new List<ForecastEntry>();
        foreach (var (period, list) in _byPeriod)
        {
            foreach (var s in list)
            {
                entries.Add(new ForecastEntry(period.Code, s.At, s.EventId, s.Commit, s.BestCase, s.SubmittedBy, s.Note));
            }
        }

        return entries;
    }

    /// <summary>Restores the submissions of a snapshot into this empty book.</summary>
    internal void Restore(List<ForecastEntry>? entries)
    {
        foreach (var e in entries ?? [])
        {
            var period = new Period(e.Period);
            var submission = new ForecastSubmission(e.At, e.EventId, e.Commit, e.BestCase, e.SubmittedBy, e.Note);
            if (Of(period).Count > 0 && Of(period)[^1].Stamp >= submission.Stamp)
            {
                throw new InvalidDataException($"Corrupt snapshot: forecast submissions of {period} are not in order at '{e.EventId}'.");
            }

            Put(period, submission);
        }
    }
}

/// <summary>A period's accuracy: the submission that counted, the actual bookings, and the score.</summary>
public sealed record ForecastScore(Period Period, ForecastSubmission Counted, long Actual, double AccuracyPercent);

/// <summary>
/// One scope's forecast for a period as the API shows it: every submission in order, the latest, the system's own
/// forecast and the actual beside it, the cut-off, and once the period has ended the accuracy of the counted submission.
/// </summary>
public sealed record ForecastView(
    Period Period,
    IReadOnlyList<ForecastSubmission> Submissions,
    DateTimeOffset Cutoff,
    bool Ended,
    long Actual,
    decimal SystemForecast,
    ForecastScore? Score,
    IReadOnlyList<ForecastScore> History)
{
    public ForecastSubmission? Latest => Submissions.Count == 0 ? null : Submissions[^1];

    /// <param name="book">The scope's submissions.</param>
    /// <param name="figures">The scope's counters (a rep's own, or a region's with everything below it).</param>
    /// <param name="stages">The stage table, for the system forecast.</param>
    /// <param name="period">The period shown.</param>
    /// <param name="now">The engine's clock: which periods have ended.</param>
    /// <param name="rules">The calendar and cut-off.</param>
    public static ForecastView Build(ForecastBook book, FigureSet figures, StageTable stages, Period period, DateTimeOffset now, ForecastRules rules)
    {
        var ended = rules.HasEnded(period, now);
        var history = new List<ForecastScore>();
        foreach (var p in book.Periods)
        {
            if (rules.HasEnded(p, now) && ScoreOf(book, figures, p, rules) is { } score)
            {
                history.Add(score);
            }
        }

        history.Sort((a, b) => a.Period.EndDay != b.Period.EndDay ? a.Period.EndDay.CompareTo(b.Period.EndDay) : a.Period.CompareTo(b.Period));
        return new ForecastView(
            period,
            book.Of(period),
            rules.CutoffOf(period),
            ended,
            figures.Get(Figure.Bookings, period),
            FigureReport.SystemForecast(figures, stages, period),
            ended ? ScoreOf(book, figures, period, rules) : null,
            history);
    }

    private static ForecastScore? ScoreOf(ForecastBook book, FigureSet figures, Period period, ForecastRules rules)
    {
        if (book.CountedBefore(period, rules.CutoffOf(period)) is not { } counted)
        {
            return null;
        }

        var actual = figures.Get(Figure.Bookings, period);
        return new ForecastScore(period, counted, actual, ForecastAccuracy.Percent(actual, counted.Commit));
    }
}
