using Google.Protobuf.WellKnownTypes;
using SalesOps.Domain;
using SalesOps.Server.Api;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Engine.Tests;

/// <summary>Writes domain events as a CRM would send them over the wire.</summary>
public static class ProtoEvents
{
    public static V1.Event ToProto(this SalesEvent e)
    {
        var p = new V1.Event { EventId = e.EventId, OccurredAt = Timestamp.FromDateTimeOffset(e.OccurredAt) };
        switch (e)
        {
            case RegionDefined r:
                p.RegionDefined = new V1.RegionDefined { RegionId = r.RegionId, Name = r.Name, ParentRegionId = r.ParentRegionId };
                break;
            case RepJoined r:
                p.RepJoined = new V1.RepJoined { RepId = r.RepId, Name = r.Name, RegionId = r.RegionId, Role = ProtoMapper.ToWire(r.Role), Style = ProtoMapper.ToWire(r.Style), PhotoUrl = r.PhotoUrl };
                break;
            case RepMoved r:
                p.RepMoved = new V1.RepMoved { RepId = r.RepId, RegionId = r.RegionId };
                break;
            case RepLeft r:
                p.RepLeft = new V1.RepLeft { RepId = r.RepId, Reason = r.Reason };
                break;
            case CustomerRegistered c:
                p.CustomerRegistered = new V1.CustomerRegistered { CustomerId = c.CustomerId, Name = c.Name, KeyAccount = c.KeyAccount };
                break;
            case CustomerKeyAccountChanged k:
                p.CustomerKeyAccountChanged = new V1.CustomerKeyAccountChanged { CustomerId = k.CustomerId, KeyAccount = k.KeyAccount };
                break;
            case OpportunityOpened o:
                p.OpportunityOpened = new V1.OpportunityOpened
                {
                    OpportunityId = o.OpportunityId, OwnerRepId = o.OwnerRepId, CustomerId = o.CustomerId, Amount = Money(o.Amount),
                    ProductLine = o.ProductLine, Channel = o.Channel, StageId = o.StageId,
                    ExpectedClose = new Google.Type.Date { Year = o.ExpectedClose.Year, Month = o.ExpectedClose.Month, Day = o.ExpectedClose.Day },
                    Cost = o.Cost is { } openCost ? Money(openCost) : null,
                };
                break;
            case OpportunityStageChanged s:
                p.OpportunityStageChanged = new V1.OpportunityStageChanged { OpportunityId = s.OpportunityId, StageId = s.StageId };
                if (s.ExpectedClose is { } newClose)
                {
                    p.OpportunityStageChanged.ExpectedClose = ProtoMapper.ToDate(newClose);
                }

                break;
            case OpportunityAmountChanged a:
                p.OpportunityAmountChanged = new V1.OpportunityAmountChanged
                {
                    OpportunityId = a.OpportunityId, Amount = Money(a.Amount), Cost = a.Cost is { } changedCost ? Money(changedCost) : null,
                };
                break;
            case OpportunityReassigned r:
                p.OpportunityReassigned = new V1.OpportunityReassigned { OpportunityId = r.OpportunityId, NewOwnerRepId = r.NewOwnerRepId };
                break;
            case OpportunityWon w:
                // The domain's 0 ("keep the amount") is an absent amount on the wire.
                p.OpportunityWon = new V1.OpportunityWon
                {
                    OpportunityId = w.OpportunityId, Amount = w.Amount == 0 ? null : Money(w.Amount), Cost = w.Cost is { } wonCost ? Money(wonCost) : null,
                };
                break;
            case OpportunityLost l:
                p.OpportunityLost = new V1.OpportunityLost { OpportunityId = l.OpportunityId, Reason = l.Reason };
                break;
            case ActivityLogged a:
                p.ActivityLogged = new V1.ActivityLogged
                {
                    RepId = a.RepId, CustomerId = a.CustomerId, Type = ProtoMapper.ToWire(a.Type),
                    DurationMinutes = a.DurationMinutes, TimeCategory = ProtoMapper.ToWire(a.TimeCategory), OpportunityId = a.OpportunityId,
                };
                break;
            case PaymentReceived pay:
                p.PaymentReceived = new V1.PaymentReceived { RepId = pay.RepId, CustomerId = pay.CustomerId, Amount = Money(pay.Amount) };
                break;
            case TargetSet t:
                p.TargetSet = new V1.TargetSet
                {
                    Scope = ProtoMapper.ToWire(t.Scope), ScopeId = t.ScopeId, Period = t.Period.ToString(),
                    Metric = ProtoMapper.ToWire(t.Metric), MustAchieve = t.MustAchieve, Stretch = t.Stretch, Dimension = ProtoMapper.ToWire(t.Dimension),
                };
                break;
            case ForecastSubmitted f:
                p.ForecastSubmitted = new V1.ForecastSubmitted
                {
                    Scope = ProtoMapper.ToWire(f.Scope), ScopeId = f.ScopeId, Period = f.Period.ToString(),
                    Commit = Money(f.Commit), BestCase = Money(f.BestCase), SubmittedBy = f.SubmittedBy, Note = f.Note,
                };
                break;
            case PlanningInputsRecorded i:
                p.PlanningInputsRecorded = new V1.PlanningInputsRecorded
                {
                    Scope = ProtoMapper.ToWire(i.Scope), ScopeId = i.ScopeId, Year = i.Year.ToString(), Metric = ProtoMapper.ToWire(i.Metric),
                    LongTermPlan = i.LongTermPlan, IndustryGrowthBp = i.IndustryGrowthBasisPoints, NewGrowthPoints = i.NewGrowthPoints,
                };
                if (i.LastYearActual is { } last)
                {
                    p.PlanningInputsRecorded.LastYearActual = last;
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e));
        }

        return p;
    }

    /// <summary>The currency the test servers run with (the default Engine:CurrencyCode).</summary>
    public const string Currency = "USD";

    public static V1.Money Money(long minorUnits) => new() { CurrencyCode = Currency, MinorUnits = minorUnits };

    /// <summary>An event as the single-event call takes it.</summary>
    public static V1.IngestOneRequest ToOne(this SalesEvent e) => new() { Event = e.ToProto() };
}
