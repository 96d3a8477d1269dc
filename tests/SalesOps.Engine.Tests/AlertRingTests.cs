using SalesOps.Abstractions;
using SalesOps.Domain;
using SalesOps.Grains;

namespace SalesOps.Engine.Tests;

/// <summary>The alert log's retention: numbering, dropping the oldest when full, and pages after a resume point.</summary>
public sealed class AlertRingTests
{
    private static readonly Guid Epoch = Guid.NewGuid();

    private static AlertRecord Alert(string subject) =>
        new(0, (byte)AlertKind.Overtake, subject, "r", "b", 0, "Activities", 1, 2, "overtook", DateTimeOffset.UnixEpoch, Guid.Empty);

    [Fact]
    public void Empty_HasNoRangeAndNoPage()
    {
        var ring = new AlertRing(4);

        Assert.Equal((0L, 0L), (ring.Oldest, ring.Newest));
        Assert.Empty(ring.ReadAfter(0, 10));
    }

    [Fact]
    public void Add_NumbersFromOneAndStampsTheEpoch()
    {
        var ring = new AlertRing(4);

        var first = ring.Add(Alert("a"), Epoch);
        var second = ring.Add(Alert("b"), Epoch);

        Assert.Equal((1L, "a", Epoch), (first.Sequence, first.SubjectId, first.Epoch));
        Assert.Equal(2, second.Sequence);
        Assert.Equal((1L, 2L), (ring.Oldest, ring.Newest));
    }

    /// <summary>Eleven alerts through a ring of four, checking every page against the alerts kept, after each add.</summary>
    [Fact]
    public void Wrapping_KeepsTheLatestAndPagesFromAnyPoint()
    {
        const int capacity = 4;
        var ring = new AlertRing(capacity);
        var all = new List<AlertRecord>();
        for (var n = 1; n <= 11; n++)
        {
            all.Add(ring.Add(Alert($"s{n}"), Epoch));
            var kept = all.TakeLast(capacity).ToList();
            Assert.Equal((kept[0].Sequence, (long)n), (ring.Oldest, ring.Newest));
            for (var after = 0; after <= n + 1; after++)
            {
                foreach (var max in new[] { 0, 1, 2, 10 })
                {
                    var expected = kept.Where(a => a.Sequence > after).Take(max).Select(a => (a.Sequence, a.SubjectId));
                    Assert.Equal(expected, ring.ReadAfter(after, max).Select(a => (a.Sequence, a.SubjectId)));
                }
            }
        }
    }
}
