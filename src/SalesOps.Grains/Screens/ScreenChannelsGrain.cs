using SalesOps.Abstractions;
using SalesOps.Grains.Durability;

namespace SalesOps.Grains;

/// <summary>The stored form of the office screens' channels (<see cref="IScreenChannelsGrain"/>).</summary>
[GenerateSerializer, Alias("salesops.ScreenChannelsState")]
public sealed class ScreenChannelsState
{
    [Id(0)]
    public long Version { get; set; }

    [Id(1)]
    public Dictionary<string, byte[]> Channels { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Keeps the channels in the snapshot storage (memory, or PostgreSQL in postgres mode): a write returns once stored.
/// What a channel means is the server's business; this grain only keeps them.
/// </summary>
public sealed class ScreenChannelsGrain(
    [PersistentState(StorageNames.ScreenChannelsState, StorageNames.Snapshots)] IPersistentState<ScreenChannelsState> state)
    : Grain, IScreenChannelsGrain
{
    public Task<StoredChannels> GetAllAsync() =>
        Task.FromResult(new StoredChannels(state.State.Version, new Dictionary<string, byte[]>(state.State.Channels, StringComparer.Ordinal)));

    public Task PutAsync(string name, byte[] channel) => ChangeAsync(channels => channels[name] = channel);

    public async Task<bool> DeleteAsync(string name) =>
        state.State.Channels.ContainsKey(name) && await ChangeAsync(channels => channels.Remove(name));

    /// <summary>Applies a change to a copy and keeps it only once stored: a failed write leaves the channels as they were.</summary>
    private async Task<bool> ChangeAsync(Action<Dictionary<string, byte[]>> change)
    {
        var before = state.State;
        var after = new ScreenChannelsState { Version = before.Version + 1, Channels = new(before.Channels, StringComparer.Ordinal) };
        change(after.Channels);
        state.State = after;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = before;
            throw;
        }

        return true;
    }
}
