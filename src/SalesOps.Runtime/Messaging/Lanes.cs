namespace SalesOps.Runtime;

/// <summary>Whether a call answers once its inputs are committed, or once their effects are delivered too.</summary>
public enum Answer
{
    /// <summary>Answer once committed; delivery runs behind the answer (ADR 0008).</summary>
    AfterCommit,

    /// <summary>Answer once the effects are delivered (or their delivery failed and is being retried).</summary>
    AfterDelivery,
}

/// <summary>A lane's call to its destination: sender, first and last number, message.</summary>
public delegate Task DirectSend<in T>(string destination, string sender, long firstSequence, long lastSequence, T message);

/// <summary>A per-silo carrier that batches many senders' messages to one destination into one call (durable mode, ADR 0039).</summary>
public interface ICarrier<in T>
{
    Task SendAsync(string destination, string sender, long firstSequence, long lastSequence, T message);
}
