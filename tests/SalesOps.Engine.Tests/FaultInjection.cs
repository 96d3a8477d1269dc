using System.Collections.Concurrent;

namespace SalesOps.Engine.Tests;

/// <summary>
/// A real Orleans incoming-call filter that makes one chosen call fail with a timeout, either before the grain
/// applies it or after (the caller cannot tell which): the two ways a message between grains goes wrong; or rejects
/// it unapplied, as Orleans does with a message for an activation that is going away.
/// </summary>
public sealed class FaultInjection : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string Method, string Key), bool> Armed = new();
    private static readonly ConcurrentDictionary<(string Method, string Key), int> Rejecting = new();

    /// <summary>Fails the next call of <paramref name="method"/> on the grain with string key <paramref name="key"/>.</summary>
    public static void FailNext(string method, string key, bool afterApplying) => Armed[(method, key)] = afterApplying;

    /// <summary>Rejects the next <paramref name="times"/> calls of <paramref name="method"/> on the grain, unapplied.</summary>
    public static void RejectNext(string method, string key, int times) => Rejecting[(method, key)] = times;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var target = (context.InterfaceMethod?.Name ?? "", context.TargetId.Key.ToString() ?? "");
        if (Rejecting.TryGetValue(target, out var left) && left > 0 && Rejecting.TryUpdate(target, left - 1, left))
        {
            // Its constructors are internal: Orleans alone raises it.
            throw (Exception)Activator.CreateInstance(
                typeof(OrleansMessageRejectionException),
                System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
                null,
                [$"injected rejection of {target.Item1} on {target.Item2}"],
                null)!;
        }

        if (!Armed.TryRemove(target, out var afterApplying))
        {
            await context.Invoke();
            return;
        }

        if (afterApplying)
        {
            await context.Invoke();
        }

        throw new TimeoutException($"injected fault in {target.Item1} on {target.Item2}");
    }
}
