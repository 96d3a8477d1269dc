using System.Collections.Concurrent;

namespace SalesOps.Engine.Tests;

/// <summary>
/// A real Orleans incoming-call filter that makes one chosen call fail with a timeout, either before the grain
/// applies it or after (the caller cannot tell which): the two ways a message between grains goes wrong.
/// </summary>
public sealed class FaultInjection : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string Method, string Key), bool> Armed = new();

    /// <summary>Fails the next call of <paramref name="method"/> on the grain with string key <paramref name="key"/>.</summary>
    public static void FailNext(string method, string key, bool afterApplying) => Armed[(method, key)] = afterApplying;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var target = (context.InterfaceMethod?.Name ?? "", context.TargetId.Key.ToString() ?? "");
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
