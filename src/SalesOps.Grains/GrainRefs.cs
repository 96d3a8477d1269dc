using System.Collections.Concurrent;
using SalesOps.Abstractions;

namespace SalesOps.Grains;

/// <summary>
/// Grain references made once per silo and reused. <see cref="IGrainFactory.GetGrain{TGrainInterface}(string, string)"/>
/// resolves the interface's grain type through its attributes on every call; under load that reflection was about
/// 8% of the server's CPU (a dotnet-trace profile of the load test), on paths that call the same few thousand
/// grains over and over. References are immutable and safe to share between activations.
/// </summary>
public sealed class GrainRefs(IGrainFactory grains)
{
    /// <summary>Beyond this many references of one kind, new ones are made on each call rather than kept.</summary>
    private const int Limit = 1_000_000;

    private readonly ConcurrentDictionary<string, IRegionGrain> _regions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ICustomerGrain> _customers = new(StringComparer.Ordinal);
    private readonly IOpportunityBookGrain?[] _books = new IOpportunityBookGrain?[OpportunityBooks.Count];
    private readonly IRepBookGrain?[] _repBooks = new IRepBookGrain?[RepBooks.Count];
    private IAlertLogGrain? _alerts;
    private IPushNotifierGrain? _notifier;

    public IRegionGrain Region(string id) => Get(_regions, id);

    public ICustomerGrain Customer(string id) => Get(_customers, id);

    public IOpportunityBookGrain Book(long book) => _books[book] ??= grains.GetGrain<IOpportunityBookGrain>(book);

    public IRepBookGrain RepBook(long book) => _repBooks[book] ??= grains.GetGrain<IRepBookGrain>(book);

    /// <summary>The book that holds the rep (<see cref="RepBooks.Of"/>).</summary>
    public IRepBookGrain RepBookOf(string repId) => RepBook(RepBooks.Of(repId));

    public IAlertLogGrain AlertLog => _alerts ??= grains.GetGrain<IAlertLogGrain>(0);

    public IScreenChannelsGrain ScreenChannels => grains.GetGrain<IScreenChannelsGrain>(0);

    public IPushNotifierGrain PushNotifier => _notifier ??= grains.GetGrain<IPushNotifierGrain>(0);

    private T Get<T>(ConcurrentDictionary<string, T> cache, string id)
        where T : IGrainWithStringKey
    {
        if (cache.TryGetValue(id, out var grain))
        {
            return grain;
        }

        grain = grains.GetGrain<T>(id);
        if (cache.Count < Limit)
        {
            cache.TryAdd(id, grain);
        }

        return grain;
    }
}
