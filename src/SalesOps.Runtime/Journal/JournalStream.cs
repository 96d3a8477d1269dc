using System.Globalization;

namespace SalesOps.Runtime;

/// <summary>
/// A kind of durable grain: the first part of its journal streams' names (<c>repbook</c> in <c>repbook/17</c>) and how
/// the recovery sweep wakes one of them by its key. Each grain type declares its kind once; the store only ever sees
/// the stream's name, and the sweep maps a name back to its kind through the kinds registered, never by literals.
/// </summary>
public sealed class JournalStreamKind
{
    private readonly Func<IGrainFactory, string, Task> _wake;

    private JournalStreamKind(string name, Func<IGrainFactory, string, Task> wake)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A stream kind is a non-empty name without '/': '{name}'.", nameof(name));
        }

        Name = name;
        _wake = wake;
    }

    /// <summary>The stored name of the kind; part of every stream name in the journal, so it never changes.</summary>
    public string Name { get; }

    /// <summary>A kind of grains keyed by a string, woken by <paramref name="recover"/>.</summary>
    public static JournalStreamKind Keyed<TGrain>(string name, Func<TGrain, Task> recover)
        where TGrain : IGrainWithStringKey =>
        new(name, (grains, key) => recover(grains.GetGrain<TGrain>(key)));

    /// <summary>A kind of grains keyed by an integer (the books), woken by <paramref name="recover"/>.</summary>
    public static JournalStreamKind Numbered<TGrain>(string name, Func<TGrain, Task> recover)
        where TGrain : IGrainWithIntegerKey =>
        new(name, (grains, key) => recover(grains.GetGrain<TGrain>(long.Parse(key, CultureInfo.InvariantCulture))));

    /// <summary>The stream of the grain with <paramref name="key"/>.</summary>
    public JournalStream Of(string key) => new(this, key);

    /// <summary>The stream of the grain with the integer <paramref name="key"/>.</summary>
    public JournalStream Of(long key) => new(this, key.ToString(CultureInfo.InvariantCulture));

    /// <summary>Activates the grain of the stream, which replays its journal and sends what it had queued.</summary>
    public Task WakeAsync(IGrainFactory grains, string key) => _wake(grains, key);

    public override string ToString() => Name;
}

/// <summary>One grain's journal stream: its kind and key, stored as <c>kind/key</c>.</summary>
public readonly record struct JournalStream(JournalStreamKind Kind, string Key)
{
    /// <summary>The name the store keeps the stream under.</summary>
    public string Name => Kind.Name + "/" + Key;

    public override string ToString() => Name;
}

/// <summary>The stream kinds of this silo's durable grains (every <see cref="JournalStreamKind"/> registered as a service).</summary>
public sealed class JournalStreamKinds(IEnumerable<JournalStreamKind> kinds)
{
    private readonly Dictionary<string, JournalStreamKind> _byName = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>The stream a stored name belongs to; false for a name of no registered kind.</summary>
    public bool TryParse(string name, out JournalStream stream)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && _byName.TryGetValue(name[..slash], out var kind))
        {
            stream = kind.Of(name[(slash + 1)..]);
            return true;
        }

        stream = default;
        return false;
    }
}
