namespace SalesOps.Domain;

/// <summary>What a won deal credits beyond its booking: gross margin and the dimension counters (docs/semantics.md).</summary>
public sealed partial class OpportunityState
{
    /// <summary>
    /// A won deal's gross margin (amount − cost, when it has a cost) and its bookings and margin per product line, channel
    /// and customer, all dated at the win like the booking. A deal without a cost adds no margin: its margin is unknown,
    /// and counting it as the whole amount would overstate the figure. An empty product line or channel has no counter.
    /// </summary>
    private void WonItems(List<CreditItem> items, long amount, DateTimeOffset at)
    {
        long? margin = _cost.HasValue ? amount - _cost.Value : null;
        if (margin is { } m)
        {
            items.Add(new CreditItem(Figure.GrossMargin, 0, 0, m, at, null));
        }

        Dimension(DimensionKind.ProductLine, ProductLine);
        Dimension(DimensionKind.Channel, Channel);
        Dimension(DimensionKind.Customer, CustomerId);

        void Dimension(DimensionKind kind, string value)
        {
            if (value.Length == 0)
            {
                return;
            }

            items.Add(new CreditItem(Figure.Bookings, 0, 0, amount, at, null, kind, value));
            if (margin is { } m)
            {
                items.Add(new CreditItem(Figure.GrossMargin, 0, 0, m, at, null, kind, value));
            }
        }
    }
}
