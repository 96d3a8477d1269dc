namespace SalesOps.Domain;

/// <summary>A rep's leaderboard scores: which boards a figure feeds, the score on each, and the updates sent to the regions.</summary>
public sealed partial class RepState
{
    /// <summary>The boards whose score a historical figure feeds (attainment reads bookings against the target).</summary>
    private static BoardMask BoardsReading(Figure f) => f switch
    {
        Figure.Bookings => BoardMask.Bookings | BoardMask.Attainment | BoardMask.Accuracy,
        Figure.Collections => BoardMask.Collections,
        Figure.ActivityCount => BoardMask.Activities,
        _ => BoardMask.None,
    };

    /// <summary>Leaderboard metrics as bits, one per <see cref="LeaderboardMetric"/>.</summary>
    [Flags]
    private enum BoardMask : byte
    {
        None = 0,
        Bookings = 1 << LeaderboardMetric.Bookings,
        Attainment = 1 << LeaderboardMetric.Attainment,
        Collections = 1 << LeaderboardMetric.Collections,
        Activities = 1 << LeaderboardMetric.Activities,
        Accuracy = 1 << LeaderboardMetric.ForecastAccuracy,
        All = Bookings | Attainment | Collections | Activities | Accuracy,
    }

    private static bool IsScored(Figure f) => f is Figure.Bookings or Figure.Collections or Figure.ActivityCount;

    /// <summary>The score a rep has on a board, or null when not listed.</summary>
    public double? ScoreFor(BoardKey board)
    {
        if (Left is { } left && board.Period.EndDay > left.On)
        {
            return null; // a departed rep stays only on the boards of periods that ended before the leave date
        }

        switch (board.Metric)
        {
            case LeaderboardMetric.Bookings:
                return Listed(Historical.Get(Figure.Bookings, board.Period));
            case LeaderboardMetric.Collections:
                return Listed(Historical.Get(Figure.Collections, board.Period));
            case LeaderboardMetric.Activities:
                return Listed(_activityTotals.GetValueOrDefault(board.Period));
            case LeaderboardMetric.Attainment:
                var target = Targets.Get(board.Period, TargetMetric.Bookings);
                return target is { } t ? AttainmentPercent(Historical.Get(Figure.Bookings, board.Period), t.MustAchieve) : null;
            case LeaderboardMetric.ForecastAccuracy:
                return _closed.TryGetValue(board.Period, out var cutoff) && Forecasts.CountedBefore(board.Period, cutoff) is { } counted
                    ? ForecastAccuracy.Percent(Historical.Get(Figure.Bookings, board.Period), counted.Commit)
                    : null;
            default:
                return null;
        }
    }

    /// <summary>Attainment in percent, rounded to 1/10,000 of a percent so that every replica agrees on it.</summary>
    public static double AttainmentPercent(long actual, long target) =>
        target <= 0 ? 0 : Math.Round(actual * 100.0 / target, 4);

    private static double? Listed(long value) => value == 0 ? null : value;

    private void EmitScores(ReadOnlySpan<Period> periods, BoardMask metrics, RepEffects effects)
    {
        var changes = new List<ScoreChange>(periods.Length);
        foreach (var period in periods)
        {
            foreach (var metric in BoardMetrics)
            {
                if ((metrics & (BoardMask)(1 << (int)metric)) == 0)
                {
                    continue;
                }

                var key = new BoardKey(period, metric);
                var score = ScoreFor(key);
                var had = _scores.TryGetValue(key, out var old);
                if (score is { } s)
                {
                    if (!had || !old.Equals(s))
                    {
                        _scores[key] = s;
                        changes.Add(new ScoreChange(key, s));
                    }
                }
                else if (had)
                {
                    _scores.Remove(key);
                    changes.Add(new ScoreChange(key, null));
                }
            }
        }

        if (changes.Count > 0)
        {
            effects.Boards.Add((RegionId, new BoardUpdate(Id, ++BoardSeq, InScope: true, Full: false, changes)));
        }
    }

    public static readonly LeaderboardMetric[] BoardMetrics =
        [LeaderboardMetric.Bookings, LeaderboardMetric.Attainment, LeaderboardMetric.Collections, LeaderboardMetric.Activities, LeaderboardMetric.ForecastAccuracy];
}
