using SalesOps.Domain;

namespace SalesOps.Engine.Tests;

/// <summary>A seeded, plausible event sequence with duplicates, late arrivals and a few bad events.</summary>
public static class RandomScenario
{
    public static readonly (string Id, string Parent)[] Regions = [("r1", ""), ("r2", "r1"), ("r3", "r2"), ("r4", "")];

    public static List<SalesEvent> Build(Scenario s, int seed, int count)
    {
        var random = new Random(seed);
        var events = new List<SalesEvent>();
        foreach (var (id, parent) in Regions)
        {
            events.Add(s.Region(id, parent));
        }

        var reps = new[] { "a", "b", "c", "d", "e" };
        var leaves = new[] { "r2", "r3", "r4", "r1" };
        for (var i = 0; i < reps.Length; i++)
        {
            events.Add(s.Rep(reps[i], leaves[i % leaves.Length]));
        }

        var customers = new[] { "c1", "c2", "c3" };
        events.AddRange(customers.Select(c => s.Customer(c)));
        events.Add(s.RepTarget("a", "2026-11", 50_000));
        events.Add(s.RepTarget("b", "2026-11", 80_000));
        events.Add(s.RegionTarget("r1", "2026-Q4", 500_000));

        var opps = new List<string>();
        var stages = StageTable.Default;
        var hour = 1.0;
        while (events.Count < count)
        {
            hour += random.NextDouble() * 20;
            var rep = reps[random.Next(reps.Length)];
            var roll = random.Next(100);
            SalesEvent e = roll switch
            {
                < 25 => s.Activity(rep, hour, random.Next(2) == 0 ? "" : customers[random.Next(customers.Length)], (ActivityType)random.Next(5), random.Next(90), (TimeCategory)random.Next(5)),
                < 40 => Open(),
                < 55 when opps.Count > 0 => s.Stage(Pick(), stages.Stages[random.Next(stages.OpenCount)].Id, hour),
                < 65 when opps.Count > 0 => s.Won(Pick(), hour, random.Next(3) == 0 ? random.Next(1, 100) * 1_000 : 0),
                < 70 when opps.Count > 0 => s.Lost(Pick(), hour),
                < 75 when opps.Count > 0 => s.Amount(Pick(), random.Next(1, 200) * 1_000, hour),
                < 80 when opps.Count > 0 => s.Reassign(Pick(), reps[random.Next(reps.Length)], hour),
                < 88 => s.Payment(rep, customers[random.Next(customers.Length)], random.Next(1, 50) * 100, hour),
                < 91 => s.Move(rep, leaves[random.Next(leaves.Length)], hour),
                < 94 => s.RepTarget(rep, random.Next(2) == 0 ? "2026-11" : "2026-12", random.Next(1, 100) * 1_000, h: hour),
                < 96 => s.Amount("missing-opp", 1_000, hour),
                _ => s.Activity("nobody", hour),
            };
            events.Add(e);

            // Re-deliveries and late arrivals, as CRMs do.
            if (random.Next(10) == 0)
            {
                events.Add(events[random.Next(events.Count)]);
            }

            if (random.Next(12) == 0 && events.Count > 20)
            {
                var i = random.Next(15, events.Count - 1);
                (events[i], events[i + 1]) = (events[i + 1], events[i]);
            }
        }

        return events;

        OpportunityOpened Open()
        {
            var id = $"o{opps.Count + 1}";
            opps.Add(id);
            var close = new DateOnly(2026, 11, 1).AddDays(random.Next(0, 75));
            return s.Open(id, reps[random.Next(reps.Length)], customers[random.Next(customers.Length)], random.Next(1, 300) * 1_000, stages.Stages[random.Next(stages.OpenCount)].Id, hour, close);
        }

        string Pick() => opps[random.Next(opps.Count)];
    }
}
