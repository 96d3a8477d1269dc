using Microsoft.Extensions.Options;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// Numbers alerts in one sequence, keeps the latest <see cref="EngineOptions.AlertRetention"/> for watchers that
/// resume, and pushes each batch to every host's hub. Alerts are rare next to events, so one grain suffices.
/// </summary>
public sealed class AlertLogGrain(IOptions<EngineOptions> options) : Grain, IAlertLogGrain
{
    private readonly Queue<AlertRecord> _retained = new();
    private readonly HubCache _hubs = new();
    private long _sequence;

    public async Task PublishAsync(AlertRecord[] alerts)
    {
        if (alerts.Length == 0)
        {
            return;
        }

        var numbered = new AlertRecord[alerts.Length];
        for (var i = 0; i < alerts.Length; i++)
        {
            numbered[i] = alerts[i] with { Sequence = ++_sequence };
            _retained.Enqueue(numbered[i]);
        }

        while (_retained.Count > options.Value.AlertRetention)
        {
            _retained.Dequeue();
        }

        foreach (var hub in await _hubs.GetAsync(GrainFactory))
        {
            _ = hub.OnAlertsAsync(numbered);
        }
    }

    public Task<AlertRecord[]> ReadAfterAsync(long afterSequence, int max) =>
        Task.FromResult(_retained.Where(a => a.Sequence > afterSequence).Take(max).ToArray());
}

/// <summary>A short-lived copy of the hub directory, so publishers ask the registry at most every few seconds.</summary>
internal sealed class HubCache
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);
    private IPushHub[] _hubs = [];
    private long? _fetchedAt;

    public async ValueTask<IPushHub[]> GetAsync(IGrainFactory grains)
    {
        var now = Environment.TickCount64;
        if (_fetchedAt is not { } at || now - at > Refresh.TotalMilliseconds)
        {
            _hubs = await grains.GetGrain<IPushHubRegistryGrain>(0).GetHubsAsync();
            _fetchedAt = now;
        }

        return _hubs;
    }
}
