using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.TestingHost;

namespace SalesOps.Engine.Tests.Differential;

/// <summary>
/// Silos killed while the grain differential test ingests: once the run has sent a drawn share of its events, the
/// last silo of the cluster is killed outright (<see cref="InProcessTestCluster.KillSiloAsync"/>: no deactivation, no
/// snapshot, no delivery of what its activations had queued) and a replacement is started; then again later. Calls in
/// flight to the dead silo answer UNAVAILABLE: applied or not, the harness cannot tell, so it asks the engine by
/// re-sending the same event (a DUPLICATE answer says it was applied).
/// </summary>
public sealed class SiloKills(int kills, int seed)
{
    /// <summary>After the replacement is up, how long calls may still meet the dead silo's leftovers.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    private readonly List<(DateTime From, DateTime? To)> _windows = [];
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, bool> _done = new();
    private long _sent;
    private long _total;
    private int _sending;

    /// <summary>Silos killed, events sent at each kill, seconds until a replacement was up.</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Completes when every kill is over and its replacement silo is up.</summary>
    public Task Recovered => _recovered.Task;

    /// <summary>How many kills the run asks for.</summary>
    public int Planned => kills;

    /// <summary>The run is about to send <paramref name="events"/> events in <paramref name="sequences"/> sequences.</summary>
    public void Starting(int sequences, long events)
    {
        Interlocked.Add(ref _total, events);
        Interlocked.Add(ref _sending, sequences);
    }

    /// <summary>A batch of <paramref name="events"/> goes out.</summary>
    public void Sent(int events) => Interlocked.Add(ref _sent, events);

    /// <summary>Sequence <paramref name="seed"/> has sent everything, or given up (once per seed; later calls do nothing).</summary>
    public void Done(int seed)
    {
        if (_done.TryAdd(seed, true))
        {
            Interlocked.Decrement(ref _sending);
        }
    }

    /// <summary>Waits until no kill is under way (the latest replacement is up), at most <paramref name="timeout"/>.</summary>
    public async Task QuietAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_windows)
            {
                if (_windows.All(w => w.To is { } end && end + Margin < DateTime.UtcNow))
                {
                    return;
                }
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Whether a kill overlapped <paramref name="from"/>..<paramref name="to"/> (or its aftermath did).</summary>
    public bool Overlaps(DateTime from, DateTime to)
    {
        lock (_windows)
        {
            return _windows.Any(w => w.From <= to && (w.To is not { } end || end + Margin >= from));
        }
    }

    /// <summary>Kills and replaces silos as the run goes; <paramref name="log"/> takes what happened.</summary>
    public async Task RunAsync(InProcessTestCluster cluster, Action<string> log)
    {
        try
        {
            var rng = new Random(seed);
            for (var k = 0; k < kills; k++)
            {
                // The k-th kill lands somewhere in the k-th share of the run, so kills are spread and mid-ingest.
                var share = (k + 0.2 + (0.6 * rng.NextDouble())) / kills;
                while (Interlocked.CompareExchange(ref _sending, 0, 0) > 0 && Interlocked.Read(ref _sent) < share * Interlocked.Read(ref _total))
                {
                    await Task.Delay(10);
                }

                var midIngest = Volatile.Read(ref _sending) > 0;
                var victim = cluster.Silos[^1];
                int window;
                lock (_windows)
                {
                    _windows.Add((DateTime.UtcNow, null));
                    window = _windows.Count - 1;
                }

                var clock = Stopwatch.StartNew();
                await cluster.KillSiloAsync(victim).WaitAsync(TimeSpan.FromSeconds(60));
                await cluster.StartAdditionalSiloAsync().WaitAsync(TimeSpan.FromSeconds(90));
                lock (_windows)
                {
                    _windows[window] = (_windows[window].From, DateTime.UtcNow);
                }

                Count("silos killed");
                Count(midIngest ? "silos killed mid-ingest" : "silos killed after ingest");
                log(string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"killed {victim.SiloAddress} after {Interlocked.Read(ref _sent)} of {Interlocked.Read(ref _total)} events; replacement up in {clock.Elapsed.TotalSeconds:F1} s"));
            }
        }
        finally
        {
            _recovered.TrySetResult();
        }
    }

    private void Count(string key) => _counts.AddOrUpdate(key, 1, (_, n) => n + 1);
}
