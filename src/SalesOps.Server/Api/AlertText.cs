using System.Globalization;
using SalesOps.Abstractions;
using SalesOps.Domain;

namespace SalesOps.Server.Api;

/// <summary>The names an alert's sentence and typed fields carry, looked up per host (<see cref="RepDirectory"/>, <c>RegionTree</c>).</summary>
/// <param name="Region">The name of the alert's region.</param>
/// <param name="Subject">The rep or region the alert is about (the owner of a won deal, the rep who overtook).</param>
/// <param name="Other">The rep overtaken; empty for other kinds.</param>
/// <param name="Customer">An at-risk deal's customer (its id when it has no name); empty for other kinds.</param>
/// <param name="Stage">An at-risk deal's stage, by name; empty for other kinds.</param>
public readonly record struct AlertNames(string Region, string Subject, string Other, string Customer = "", string Stage = "");

/// <summary>
/// The sentence an alert shows on a screen, written for people: reps and regions by name, amounts in the company
/// currency with its decimals, metrics in words (the domain's own message names ids and is not shown).
/// </summary>
public static class AlertText
{
    /// <summary>ISO 4217 currencies whose minor unit is not a hundredth (all others have two decimals).</summary>
    private static readonly Dictionary<string, int> Decimals = new(StringComparer.Ordinal)
    {
        ["BIF"] = 0, ["CLP"] = 0, ["DJF"] = 0, ["GNF"] = 0, ["ISK"] = 0, ["JPY"] = 0, ["KMF"] = 0, ["KRW"] = 0,
        ["PYG"] = 0, ["RWF"] = 0, ["UGX"] = 0, ["UYI"] = 0, ["VND"] = 0, ["VUV"] = 0, ["XAF"] = 0, ["XOF"] = 0,
        ["XPF"] = 0, ["BHD"] = 3, ["IQD"] = 3, ["JOD"] = 3, ["KWD"] = 3, ["LYD"] = 3, ["OMR"] = 3, ["TND"] = 3,
        ["CLF"] = 4, ["UYW"] = 4,
    };

    /// <summary>How many decimals the currency's minor unit has (2 for most, 0 for JPY, 3 for KWD).</summary>
    public static int DecimalsOf(string currency) => Decimals.GetValueOrDefault(currency, 2);

    /// <summary>An amount of minor units as people write it: "1,250,000.00 USD".</summary>
    public static string Money(long minorUnits, string currency)
    {
        var decimals = DecimalsOf(currency);
        var value = minorUnits / (decimal)Math.Pow(10, decimals);
        return value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " " + currency;
    }

    public static string Of(AlertRecord a, AlertNames names, string currency)
    {
        var period = new Period(a.Period).ToString();
        var money = a.Metric is nameof(TargetMetric.Bookings) or nameof(TargetMetric.Collections) or nameof(TargetMetric.GrossMargin);
        string Amount(long v) => money ? Money(v, currency) : v.ToString("N0", CultureInfo.InvariantCulture);
        switch ((AlertKind)a.Kind)
        {
            case AlertKind.BehindPace:
                var part = a.Dimension.IsNone ? "" : $" ({Words(a.Dimension.Kind.ToString())} {a.Dimension.Value})";
                return $"{names.Subject} is behind must-achieve pace on {Words(a.Metric)}{part} for {period}: {Amount(a.Actual)} of {Amount(a.Expected)} expected by now";
            case AlertKind.BehindLastYear:
                var counted = a.Metric is nameof(ComparedFigure.WonCount) or nameof(ComparedFigure.NewCustomers);
                string Value(long v) => counted ? v.ToString("N0", CultureInfo.InvariantCulture) : Money(v, currency);
                return $"{names.Subject} is behind the same period last year on {Words(a.Metric)} for {period}: {Value(a.Actual)} against {Value(a.Expected)} by this point last year";
            case AlertKind.ActivityPlanBehind:
                string Rate(long hundredths) => (hundredths / 100m).ToString("0.##", CultureInfo.InvariantCulture);
                return $"{names.Subject} is behind the activity plan for {period}: {Rate(a.Actual)} {Plural(a.Metric)} a day logged, {Rate(a.Expected)} needed";
            case AlertKind.PlanUncovered:
                return TargetPlanMapper.Text(a, names, Amount);
            case AlertKind.BigDealWon:
                return names.Customer.Length > 0
                    ? $"{names.Subject} won a {Money(a.Actual, currency)} deal with {names.Customer}"
                    : $"{names.Subject} won a {Money(a.Actual, currency)} deal";
            case AlertKind.DealStalled:
                return $"{Deal(a, names, currency)} has not moved from {names.Stage} for {Days(a.Actual)} (stall limit {Days(a.Expected)})";
            case AlertKind.DealOverdue:
                return $"{Deal(a, names, currency)} was expected to close on {CloseDate(a)} and is still open, {Days(a.Actual)} later";
            case AlertKind.DealSlipping:
                return $"{Deal(a, names, currency)} has been pushed out {a.Actual.ToString("N0", CultureInfo.InvariantCulture)} times (limit {a.Expected.ToString("N0", CultureInfo.InvariantCulture)}); it is now expected to close on {CloseDate(a)}";
            case AlertKind.Overtake:
                return $"{names.Subject} overtook {names.Other} on the {Words(a.Metric)} board of {names.Region} for {period}: now #{a.Actual}";
            default:
                throw new ArgumentOutOfRangeException(nameof(a), a.Kind, "an alert kind this API does not know");
        }
    }

    /// <summary>An at-risk deal as a screen names it: "Acme Ltd's 250,000.00 USD deal opp-7 (Ann Lee, East)".</summary>
    private static string Deal(AlertRecord a, AlertNames names, string currency) =>
        $"{names.Customer}'s {Money(a.Amount, currency)} deal {a.SubjectId} ({names.Subject}, {names.Region})";

    private static string Days(long days) => days == 1 ? "1 day" : days.ToString("N0", CultureInfo.InvariantCulture) + " days";

    private static string CloseDate(AlertRecord a) =>
        DateOnly.FromDayNumber(a.ExpectedCloseDay).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Plural(string activityType) => activityType.ToLowerInvariant() + "s";

    /// <summary>A metric's name as words: "NewCustomers" reads "new customers".</summary>
    public static string Words(string metric)
    {
        if (metric == nameof(ComparedFigure.WonCount))
        {
            return "deals won";
        }

        var words = new System.Text.StringBuilder(metric.Length + 4);
        foreach (var c in metric)
        {
            if (char.IsUpper(c) && words.Length > 0)
            {
                words.Append(' ');
            }

            words.Append(char.ToLowerInvariant(c));
        }

        return words.ToString();
    }
}
