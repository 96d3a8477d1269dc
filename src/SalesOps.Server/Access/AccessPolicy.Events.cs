using SalesOps.Domain;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Access;

/// <summary>What each kind of event touches, for the per-event check of <see cref="AccessPolicy.CheckEventAsync"/>.</summary>
public sealed partial class AccessPolicy
{
    /// <summary>What an event touches, by the fields that name it.</summary>
    private static IEnumerable<Touch> TouchesOf(V1.Event ev)
    {
        switch (ev.KindCase)
        {
            case V1.Event.KindOneofCase.RegionDefined:
                var parent = ev.RegionDefined.ParentRegionId;
                yield return Region(parent.Length == 0 ? RegionState.CompanyId : parent, "parent_region_id");
                break;
            case V1.Event.KindOneofCase.RepJoined:
                yield return Region(ev.RepJoined.RegionId, "region_id");
                break;
            case V1.Event.KindOneofCase.RepMoved:
                yield return Rep(ev.RepMoved.RepId, "rep_id");
                yield return Region(ev.RepMoved.RegionId, "region_id");
                break;
            case V1.Event.KindOneofCase.RepLeft:
                yield return Rep(ev.RepLeft.RepId, "rep_id");
                break;
            case V1.Event.KindOneofCase.CustomerRegistered:
                yield return new Touch(TouchKind.Customer, ev.CustomerRegistered.CustomerId, "customer_id");
                break;
            case V1.Event.KindOneofCase.CustomerKeyAccountChanged:
                yield return new Touch(TouchKind.Customer, ev.CustomerKeyAccountChanged.CustomerId, "customer_id");
                break;
            case V1.Event.KindOneofCase.OpportunityOpened:
                yield return Rep(ev.OpportunityOpened.OwnerRepId, "owner_rep_id");
                break;
            case V1.Event.KindOneofCase.OpportunityStageChanged:
                yield return Deal(ev.OpportunityStageChanged.OpportunityId);
                break;
            case V1.Event.KindOneofCase.OpportunityAmountChanged:
                yield return Deal(ev.OpportunityAmountChanged.OpportunityId);
                break;
            case V1.Event.KindOneofCase.OpportunityReassigned:
                yield return Deal(ev.OpportunityReassigned.OpportunityId);
                yield return Rep(ev.OpportunityReassigned.NewOwnerRepId, "new_owner_rep_id");
                break;
            case V1.Event.KindOneofCase.OpportunityWon:
                yield return Deal(ev.OpportunityWon.OpportunityId);
                break;
            case V1.Event.KindOneofCase.OpportunityLost:
                yield return Deal(ev.OpportunityLost.OpportunityId);
                break;
            case V1.Event.KindOneofCase.ActivityLogged:
                yield return Rep(ev.ActivityLogged.RepId, "rep_id");
                if (ev.ActivityLogged.OpportunityId.Length > 0)
                {
                    // A deal of another region must not take the activity; one not opened yet is checked by its owner then.
                    yield return new Touch(TouchKind.OptionalDeal, ev.ActivityLogged.OpportunityId, "opportunity_id");
                }

                break;
            case V1.Event.KindOneofCase.PaymentReceived:
                yield return Rep(ev.PaymentReceived.RepId, "rep_id");
                break;
            case V1.Event.KindOneofCase.TargetSet:
                yield return Scoped(ev.TargetSet.Scope, ev.TargetSet.ScopeId);
                break;
            case V1.Event.KindOneofCase.ForecastSubmitted:
                yield return Scoped(ev.ForecastSubmitted.Scope, ev.ForecastSubmitted.ScopeId);
                break;
            case V1.Event.KindOneofCase.PlanningInputsRecorded:
                yield return Scoped(ev.PlanningInputsRecorded.Scope, ev.PlanningInputsRecorded.ScopeId);
                break;
            default:
                yield return new Touch(TouchKind.Customer, "", "kind");
                break;
        }
    }
}
