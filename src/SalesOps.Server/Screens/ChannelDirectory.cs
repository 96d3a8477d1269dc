using SalesOps.Abstractions;
using SalesOps.Grains;

namespace SalesOps.Server.Screens;

/// <summary>
/// The stored channels as this server's screens read them: one read of the channels grain per
/// <see cref="Freshness"/> shared by all of them, instead of one per screen every poll. A change made through this
/// server is seen at once; one made through another server within <see cref="Freshness"/>.
/// </summary>
public sealed class ChannelDirectory(GrainRefs grains) : IDisposable
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private (DateTimeOffset ReadAt, StoredChannels Channels)? _cached;

    public async Task<StoredChannels> GetAsync()
    {
        if (_cached is { } hit && DateTimeOffset.UtcNow - hit.ReadAt < Freshness)
        {
            return hit.Channels;
        }

        await _reading.WaitAsync();
        try
        {
            if (_cached is { } again && DateTimeOffset.UtcNow - again.ReadAt < Freshness)
            {
                return again.Channels;
            }

            var channels = await grains.ScreenChannels.GetAllAsync();
            _cached = (DateTimeOffset.UtcNow, channels);
            return channels;
        }
        finally
        {
            _reading.Release();
        }
    }

    public void Dispose() => _reading.Dispose();

    public async Task PutAsync(string name, byte[] channel)
    {
        await grains.ScreenChannels.PutAsync(name, channel);
        _cached = null;
    }

    public async Task<bool> DeleteAsync(string name)
    {
        var removed = await grains.ScreenChannels.DeleteAsync(name);
        _cached = null;
        return removed;
    }
}
