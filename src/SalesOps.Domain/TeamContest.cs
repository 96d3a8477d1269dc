namespace SalesOps.Domain;

/// <summary>One team (a region) of a contest: its figure of the contest's metric against its own target.</summary>
public sealed record TeamStanding(string RegionId, string Name, TargetFigure Figure)
{
    /// <summary>1 for the leader; teams level on what the contest ranks by share a rank (1, 1, 3).</summary>
    public int Rank { get; init; }
}

/// <summary>
/// Team against team, as an office screen shows it: regions ranked by their figure of one metric, or by their share of
/// their own must-achieve target (fair between teams of different sizes; a team without a target then comes last).
/// Level teams share a rank and are listed by name, then id.
/// </summary>
public static class TeamContest
{
    public static List<TeamStanding> Rank(IEnumerable<TeamStanding> teams, bool byAttainment)
    {
        double Key(TeamStanding t) => byAttainment
            ? t.Figure.MustAchieve > 0 ? t.Figure.MustAttainment : double.NegativeInfinity
            : t.Figure.Actual;

        var sorted = teams.ToList();
        sorted.Sort((a, b) =>
        {
            var c = Key(b).CompareTo(Key(a));
            c = c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : string.CompareOrdinal(a.RegionId, b.RegionId);
        });

        var ranked = new List<TeamStanding>(sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
        {
            var rank = i > 0 && Key(sorted[i]).Equals(Key(sorted[i - 1])) ? ranked[i - 1].Rank : i + 1;
            ranked.Add(sorted[i] with { Rank = rank });
        }

        return ranked;
    }
}
