using Orleans.Runtime;
using SalesOps.Runtime;

namespace SalesOps.Persistence.Tests;

/// <summary>State of the snapshot probe: plain properties, as the storage serializer writes them.</summary>
[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public string Value { get; set; } = "";

    [Id(1)]
    public int Writes { get; set; }
}

/// <summary>A grain whose state lives in the <see cref="SnapshotStorage.Name"/> provider.</summary>
public interface ISnapshotProbeGrain : IGrainWithStringKey
{
    /// <summary>The silo this activation runs on.</summary>
    Task<SiloAddress> GetHostAsync();

    /// <summary>The state as this activation holds it.</summary>
    Task<ProbeState> GetStateAsync();

    /// <summary>Re-reads the state from storage and returns it.</summary>
    Task<ProbeState> ReloadAsync();

    /// <summary>Sets the value and writes the state.</summary>
    Task WriteAsync(string value);
}

public sealed class SnapshotProbeGrain(
    [PersistentState(SnapshotProbeGrain.StateName, SnapshotStorage.Name)] IPersistentState<ProbeState> state,
    ILocalSiloDetails silo) : Grain, ISnapshotProbeGrain
{
    /// <summary>The state name, which the storage provider receives as the grain type.</summary>
    public const string StateName = "state";

    public Task<SiloAddress> GetHostAsync() => Task.FromResult(silo.SiloAddress);

    public Task<ProbeState> GetStateAsync() => Task.FromResult(state.State);

    public async Task<ProbeState> ReloadAsync()
    {
        await state.ReadStateAsync();
        return state.State;
    }

    public async Task WriteAsync(string value)
    {
        state.State = new ProbeState { Value = value, Writes = state.State.Writes + 1 };
        await state.WriteStateAsync();
    }
}

/// <summary>A grain that registers reminders through the ADO.NET reminder service.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period);

    Task<string[]> GetReminderNamesAsync();

    /// <summary>Unregisters the reminder; false when there was none.</summary>
    Task<bool> UnregisterAsync(string name);
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public async Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<string[]> GetReminderNamesAsync() =>
        [.. (await this.GetReminders()).Select(r => r.ReminderName).Order(StringComparer.Ordinal)];

    public async Task<bool> UnregisterAsync(string name)
    {
        var reminder = await this.GetReminder(name);
        if (reminder is null)
        {
            return false;
        }

        await this.UnregisterReminder(reminder);
        return true;
    }

    // The tests never wait for a tick (the minimum period is a minute).
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
