namespace SalesOps.Grains;

/// <summary>
/// Re-checks pace against targets and the current periods against the same periods last year as time passes, on a grain
/// timer started once the grain holds a rep (a rep book) or is defined (a region); the check itself is the grain's,
/// through the domain. A deal book runs its at-risk checks on one too, once it holds a deal.
/// </summary>
internal sealed class PaceTimer(IGrainBase grain, TimeSpan interval, Func<Task> check)
{
    private IGrainTimer? _timer;

    /// <summary>Starts the checks if they are not running (idempotent).</summary>
    public void Start() =>
        _timer ??= grain.RegisterGrainTimer(_ => check(), new GrainTimerCreationOptions(interval, interval) { Interleave = false });
}
