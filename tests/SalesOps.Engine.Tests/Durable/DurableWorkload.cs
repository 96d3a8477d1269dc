using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Engine.Tests.Durable;

/// <summary>
/// A seeded company and an endless stream of batches of valid events for it (deals opened, moved through stages,
/// won, lost, re-priced and reassigned; activities; payments). Every event in a batch depends only on events of
/// earlier batches, so a batch can be re-sent or retried as a whole, and applying all batches in order is the
/// reference. No rep moves (they are order-sensitive by design), so the final state depends only on the set of
/// events applied. With <c>oneRepBook</c>, every rep's id hashes to the same rep book, so that book's calls carry
/// events and credits of many reps.
/// </summary>
public sealed class DurableWorkload(string prefix, int seed, int reps = 24, int customers = 16, bool oneRepBook = false)
{
    public static readonly (string Id, string Parent)[] Regions = [("north", ""), ("north-east", "north"), ("south", "")];

    private readonly Scenario _s = new(prefix);
    private readonly string[] _reps = RepNames(new Scenario(prefix), reps, oneRepBook);
    private readonly Random _random = new(seed);
    private readonly List<string> _opened = new();
    private int _nextOpp;
    private double _hour = 1;

    public Scenario Scenario => _s;

    public IEnumerable<string> RepIds => Enumerable.Range(0, reps).Select(i => _s.Id(Rep(i)));

    public IEnumerable<string> RegionIds => Regions.Select(r => _s.Id(r.Id));

    public IEnumerable<string> CustomerIds => Enumerable.Range(0, customers).Select(i => _s.Id(Customer(i)));

    /// <summary>Regions, then reps, customers and targets: three batches, each depending on the one before.</summary>
    public List<List<SalesEvent>> Setup()
    {
        var regions = Regions.Select(r => (SalesEvent)_s.Region(r.Id, r.Parent)).ToList();
        var people = new List<SalesEvent>();
        var leaves = new[] { "north-east", "north", "south" };
        for (var i = 0; i < reps; i++)
        {
            people.Add(_s.Rep(Rep(i), leaves[i % leaves.Length]));
        }

        for (var i = 0; i < customers; i++)
        {
            people.Add(_s.Customer(Customer(i)));
        }

        var targets = new List<SalesEvent>
        {
            _s.RepTarget(Rep(0), "2026-11", 200_000),
            _s.RepTarget(Rep(1), "2026", 900_000),
            _s.RegionTarget("north", "2026-Q4", 2_000_000),
        };
        return [regions, people, targets];
    }

    /// <summary>The next batch; opportunities it opens can be used from the following batch on.</summary>
    public List<SalesEvent> NextBatch(int size)
    {
        var batch = new List<SalesEvent>(size);
        var touched = new HashSet<string>();
        var opening = new List<string>();
        while (batch.Count < size)
        {
            _hour += _random.NextDouble() * 0.05;
            var rep = Rep(_random.Next(reps));
            var roll = _random.Next(100);
            if (roll < 45)
            {
                batch.Add(roll % 3 == 0
                    ? _s.Payment(rep, Customer(_random.Next(customers)), _random.Next(1, 40) * 100, _hour)
                    : _s.Activity(rep, _hour, roll % 2 == 0 ? Customer(_random.Next(customers)) : "", (ActivityType)_random.Next(5), _random.Next(5, 90), (TimeCategory)_random.Next(5)));
                continue;
            }

            if (roll < 60 || _opened.Count < 5)
            {
                var id = $"o{++_nextOpp}";
                opening.Add(id);
                var stage = StageTable.Default.Stages[_random.Next(StageTable.Default.OpenCount)].Id;
                batch.Add(_s.Open(id, rep, Customer(_random.Next(customers)), _random.Next(1, 300) * 1_000, stage, _hour, new DateOnly(2026, 11, 1).AddDays(_random.Next(0, 60))));
                continue;
            }

            var opp = _opened[_random.Next(_opened.Count)];
            if (!touched.Add(opp))
            {
                continue; // one event per deal per batch keeps every batch order-free
            }

            batch.Add(roll switch
            {
                < 75 => _s.Stage(opp, StageTable.Default.Stages[_random.Next(StageTable.Default.OpenCount)].Id, _hour),
                < 85 => _s.Won(opp, _hour, _random.Next(3) == 0 ? _random.Next(1, 100) * 1_000 : 0),
                < 90 => _s.Lost(opp, _hour),
                < 95 => _s.Amount(opp, _random.Next(1, 300) * 1_000, _hour),
                _ => _s.Reassign(opp, Rep(_random.Next(reps)), _hour),
            });
        }

        _opened.AddRange(opening);
        return batch;
    }

    /// <summary>The rep book all reps share (with <c>oneRepBook</c>).</summary>
    public long RepBook => RepBooks.Of(_s.Id(_reps[0]));

    private string Rep(int i) => _reps[i];

    private static string[] RepNames(Scenario s, int count, bool oneBook)
    {
        var all = Enumerable.Range(0, int.MaxValue).Select(i => $"rep{i}");
        return (oneBook ? all.Where(n => RepBooks.Of(s.Id(n)) == RepBooks.Of(s.Id("rep0"))) : all).Take(count).ToArray();
    }

    private static string Customer(int i) => $"cust{i}";
}
