using Microsoft.Extensions.Options;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// Numbers alerts in one sequence, keeps the latest <see cref="EngineOptions.AlertRetention"/> for watchers that
/// resume, and pushes each batch to every host's hub. Alerts are rare next to events, so one grain suffices.
/// </summary>
public sealed class AlertLogGrain(IOptions<EngineOptions> options) : Grain, IAlertLogGrain
{
    private readonly AlertRing _retained = new(options.Value.AlertRetention);
    private readonly Guid _epoch = Guid.NewGuid();

    public async Task PublishAsync(AlertRecord[] alerts)
    {
        if (alerts.Length == 0)
        {
            return;
        }

        alerts = await WithOwnerRegionsAsync(alerts);
        var numbered = new AlertRecord[alerts.Length];
        for (var i = 0; i < alerts.Length; i++)
        {
            numbered[i] = _retained.Add(alerts[i], _epoch);
        }

        // Asked every time (alerts are rare): a host that has just registered gets this batch too.
        foreach (var hub in await GrainFactory.GetGrain<IPushHubRegistryGrain>(0).GetHubsAsync())
        {
            _ = hub.OnAlertsAsync(numbered);
        }
    }

    /// <summary>
    /// A deal's alert (won big, stalled, overdue, slipping) is raised by its opportunity book, which does not know the
    /// owner's region; the region's screens need it, so it is looked up here (such alerts are rare: once per deal and
    /// condition) before the alert is numbered.
    /// </summary>
    private async Task<AlertRecord[]> WithOwnerRegionsAsync(AlertRecord[] alerts)
    {
        var result = alerts;
        for (var i = 0; i < alerts.Length; i++)
        {
            var a = alerts[i];
            if ((Domain.AlertKind)a.Kind is Domain.AlertKind.BigDealWon or Domain.AlertKind.DealStalled or Domain.AlertKind.DealOverdue or Domain.AlertKind.DealSlipping
                && a.ScopeId.Length == 0 && a.OtherId.Length > 0)
            {
                var owner = (await GrainFactory.GetGrain<IRepBookGrain>(RepBooks.Of(a.OtherId)).GetProfilesAsync([a.OtherId]))[0];
                result = ReferenceEquals(result, alerts) ? (AlertRecord[])alerts.Clone() : result;
                result[i] = a with { ScopeId = owner.RegionId };
            }
        }

        return result;
    }

    public Task<AlertRange> RangeAsync() => Task.FromResult(new AlertRange(_retained.Oldest, _retained.Newest, _epoch));

    public Task<AlertRecord[]> ReadAfterAsync(long afterSequence, int max) => Task.FromResult(_retained.ReadAfter(afterSequence, max));
}
