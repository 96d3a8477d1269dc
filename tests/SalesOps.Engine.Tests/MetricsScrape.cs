using System.Globalization;

namespace SalesOps.Engine.Tests;

/// <summary>A Prometheus scrape of a server's web port (<c>/metrics</c>), read as the text exposition format.</summary>
public sealed class MetricsScrape
{
    private readonly string[] _lines;

    private MetricsScrape(string text) => _lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static async Task<MetricsScrape> OfAsync(string webAddress)
    {
        using var http = new HttpClient { BaseAddress = new Uri(webAddress), Timeout = TimeSpan.FromSeconds(15) };
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative)).Within();
        response.EnsureSuccessStatusCode();
        return new MetricsScrape(await response.Content.ReadAsStringAsync().Within());
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (0: none).</summary>
    public double Sum(string name, params (string Key, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in _lines)
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            var valueAt = line.LastIndexOf(' ');
            var head = line[..valueAt];
            if (labels.All(l => head.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                sum += double.Parse(line[(valueAt + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>True when any sample's name starts with <paramref name="prefix"/>, or its labels hold <paramref name="prefix"/>.</summary>
    public bool Any(Func<string, bool> sample) => _lines.Any(l => !l.StartsWith('#') && sample(l));

    /// <summary>How many samples <paramref name="sample"/> holds for (for a failure's message).</summary>
    public int Count(Func<string, bool> sample) => _lines.Count(l => !l.StartsWith('#') && sample(l));
}
