using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Access;

/// <summary>
/// What the events of one call already let through say about reps and deals (a rep joined, a deal opened or
/// reassigned), so that a later event of the same batch naming them is checked against where they will then be.
/// </summary>
public sealed class BatchReferences
{
    private Dictionary<string, string>? _repRegions;
    private Dictionary<string, string>? _dealOwners;

    public string? RegionOf(string repId) => _repRegions?.GetValueOrDefault(repId);

    public string? OwnerOf(string opportunityId) => _dealOwners?.GetValueOrDefault(opportunityId);

    /// <summary>Remembers what an event let through defines.</summary>
    public void Note(V1.Event ev)
    {
        switch (ev.KindCase)
        {
            case V1.Event.KindOneofCase.RepJoined:
                (_repRegions ??= new(StringComparer.Ordinal))[ev.RepJoined.RepId] = ev.RepJoined.RegionId;
                break;
            case V1.Event.KindOneofCase.RepMoved:
                (_repRegions ??= new(StringComparer.Ordinal))[ev.RepMoved.RepId] = ev.RepMoved.RegionId;
                break;
            case V1.Event.KindOneofCase.OpportunityOpened:
                (_dealOwners ??= new(StringComparer.Ordinal))[ev.OpportunityOpened.OpportunityId] = ev.OpportunityOpened.OwnerRepId;
                break;
            case V1.Event.KindOneofCase.OpportunityReassigned:
                (_dealOwners ??= new(StringComparer.Ordinal))[ev.OpportunityReassigned.OpportunityId] = ev.OpportunityReassigned.NewOwnerRepId;
                break;
        }
    }
}
