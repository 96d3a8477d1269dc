using System.Diagnostics;
using SalesOps.Domain;

namespace SalesOps.LoadTests;

/// <summary>What reading a cold leaderboard costs (docs/adr/0034, "Cold boards"): median wall µs per read over many boards.</summary>
/// <param name="Rows">Reps on each board.</param>
/// <param name="Boards">Boards measured.</param>
/// <param name="FirstReadUs">The first read of a board whose scores were all staged (one sort).</param>
/// <param name="MergeThirdUs">A read after a third of its reps changed while it was ranked (one merge).</param>
/// <param name="RereadAfterCoolUs">A read after it cooled (unread between two sweeps) with a third of its reps changed.</param>
public sealed record FirstReadReport(DateTime MeasuredAt, int Rows, int Boards, double FirstReadUs, double MergeThirdUs, double RereadAfterCoolUs)
{
    public string Summary() =>
        $"  first read of a cold {Rows:N0}-row board {FirstReadUs:N0} µs; merging a third of its reps into it ranked {MergeThirdUs:N0} µs; " +
        $"a read after it cooled with a third changed {RereadAfterCoolUs:N0} µs (median wall time of {Boards:N0} boards, top {Ceilings.BoardReadRows} rows)";
}

/// <summary>
/// The <c>first-read</c> subcommand: boards of <see cref="Options.FirstReadRows"/> reps with activity-like scores (0–399:
/// many ties), each staged in full and read, then a third of its reps changed and read (a merge), then cooled twice,
/// a third changed again and read (the old ranking is sorted too, for movement). No workload: the board alone.
/// </summary>
public static class FirstRead
{
    /// <summary>Scores drawn from 0 to this (exclusive): activity counts of a month, with many ties.</summary>
    private const int ScoreRange = 400;

    public static FirstReadReport Run(Options o)
    {
        var random = new Random(o.Seed);
        var rows = o.FirstReadRows;
        var ids = Enumerable.Range(0, rows).Select(i => $"br{i}").ToArray();
        var order = new RepOrder(ids);
        var first = new List<double>();
        var merge = new List<double>();
        var again = new List<double>();
        void StageThird(Leaderboard board)
        {
            for (var i = 0; i < rows / 3; i++)
            {
                board.Stage(ids[random.Next(rows)], random.Next(ScoreRange));
            }
        }

        for (var b = 0; b < o.FirstReadBoards; b++)
        {
            var board = new Leaderboard(order);
            foreach (var id in ids)
            {
                board.Stage(id, random.Next(ScoreRange));
            }

            first.Add(TimedRead(board));

            // A tick's changes on a hot board: about a third of the reps, merged.
            StageThird(board);
            merge.Add(TimedRead(board));

            // Cooled (unread between two sweeps), changed, read again.
            board.Cool();
            board.Cool();
            StageThird(board);
            again.Add(TimedRead(board));
        }

        return new FirstReadReport(DateTime.UtcNow, rows, o.FirstReadBoards, Math.Round(Median(first)), Math.Round(Median(merge)), Math.Round(Median(again)));
    }

    /// <summary>
    /// Wall clock per read (process CPU time is too coarse for one read): the median over many boards drops the reads
    /// another process interrupted.
    /// </summary>
    private static double TimedRead(Leaderboard board)
    {
        var start = Stopwatch.GetTimestamp();
        GC.KeepAlive(board.Top(Ceilings.BoardReadRows));
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
