using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Google.Protobuf.WellKnownTypes;
using V1 = SalesOps.Contracts.V1;

namespace SalesOps.Server.Cli;

/// <summary>What an import file holds: one kind of row per file.</summary>
public enum ImportKind
{
    Regions,
    Reps,
    Customers,
    Deals,
    Activities,
    Payments,
    Targets,
}

/// <summary>A row that cannot become an event: the column at fault and why.</summary>
public sealed class RowException(string field, string reason) : Exception($"{field}: {reason}")
{
    public string Field { get; } = field;
    public string Reason { get; } = reason;
}

/// <summary>One row of an import file: its 1-based number among the data rows, and its columns by header name.</summary>
public sealed record ImportRow(long Number, IReadOnlyDictionary<string, string> Columns)
{
    /// <summary>The row's content in a stable form (columns in name order), for event ids.</summary>
    public string Canonical() => string.Join('\u001f', Columns.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + "=" + c.Value));
}

/// <summary>Reads the rows of a CSV file (a header row, then data) or a JSON lines file (an object a line).</summary>
public static class ImportRowReader
{
    public static async IAsyncEnumerable<ImportRow> ReadAsync(string path, bool jsonLines, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        if (jsonLines)
        {
            long number = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                yield return new ImportRow(number, JsonColumns(line));
            }

            yield break;
        }

        await using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true, TrimWhitespace = true, SkipEmptyLines = true }, leaveOpen: true);
        await csv.ReadHeaderAsync(cancellationToken);
        var header = csv.Headers.Select(h => h.Trim()).ToArray();
        long row = 0;
        while (await csv.ReadAsync(cancellationToken))
        {
            row++;
            var columns = new Dictionary<string, string>(header.Length, StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < header.Length; i++)
            {
                columns[header[i]] = i < csv.FieldCount ? csv.GetString(i) : "";
            }

            yield return new ImportRow(row, columns);
        }
    }

    /// <summary>A JSON object's members as text; a line that is not an object becomes a row with a "json" error marker.</summary>
    private static Dictionary<string, string> JsonColumns(string line)
    {
        var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                columns[ImportMapper.UnreadableMarker] = "a line must hold one JSON object";
                return columns;
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                columns[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString() ?? "",
                    JsonValueKind.Null => "",
                    _ => property.Value.GetRawText(),
                };
            }
        }
        catch (JsonException ex)
        {
            columns[ImportMapper.UnreadableMarker] = "not JSON: " + ex.Message;
        }

        return columns;
    }
}

/// <summary>
/// Turns a row of an import file into the events it stands for (README, "Import", lists the columns of each kind).
/// Event ids are deterministic — the kind and the row's own id column, or, for rows without one, the row's content
/// and how many identical rows came before it — so an import run again sends the same ids and the server answers
/// DUPLICATE for what it already holds.
/// </summary>
public sealed class ImportMapper(ImportKind kind, string currencyCode)
{
    private readonly Dictionary<string, int> _identicalRows = new(StringComparer.Ordinal);

    internal const string UnreadableMarker = "\u0000unreadable";

    /// <summary>
    /// When a region, rep or customer row gives no occurred_at: early, so that history imported after it (activities,
    /// deals, payments of any date) finds the rep already joined. A target row without one is dated at the import.
    /// </summary>
    public static readonly DateTimeOffset DefaultDefinitionTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public ImportKind Kind { get; } = kind;

    /// <summary>Whether rows of this kind carry money (and so need the company currency when a row names none).</summary>
    public static bool NeedsCurrency(ImportKind kind) => kind is ImportKind.Deals or ImportKind.Payments;

    public IReadOnlyList<V1.Event> Map(ImportRow row)
    {
        if (row.Columns.TryGetValue(UnreadableMarker, out var unreadable))
        {
            throw new RowException("row", unreadable);
        }

        switch (Kind)
        {
            case ImportKind.Regions:
                {
                    var id = Required(row, "region_id");
                    return [Event(IdOf("regions", id), At(row, "occurred_at", DefaultDefinitionTime), e => e.RegionDefined = new V1.RegionDefined
                    {
                        RegionId = id,
                        Name = Required(row, "name"),
                        ParentRegionId = Optional(row, "parent_region_id"),
                    })];
                }

            case ImportKind.Reps:
                {
                    var id = Required(row, "rep_id");
                    return [Event(IdOf("reps", id), At(row, "occurred_at", DefaultDefinitionTime), e => e.RepJoined = new V1.RepJoined
                    {
                        RepId = id,
                        Name = Required(row, "name"),
                        RegionId = Required(row, "region_id"),
                        Role = Choice(row, "role", "direct", new Dictionary<string, V1.RepRole> { ["direct"] = V1.RepRole.Direct, ["channel"] = V1.RepRole.Channel }),
                        Style = Choice(row, "style", "hunter", new Dictionary<string, V1.RepStyle> { ["hunter"] = V1.RepStyle.Hunter, ["farmer"] = V1.RepStyle.Farmer }),
                        PhotoUrl = Optional(row, "photo_url"),
                    })];
                }

            case ImportKind.Customers:
                {
                    var id = Required(row, "customer_id");
                    return [Event(IdOf("customers", id), At(row, "occurred_at", DefaultDefinitionTime), e => e.CustomerRegistered = new V1.CustomerRegistered
                    {
                        CustomerId = id,
                        Name = Required(row, "name"),
                        KeyAccount = Bool(row, "key_account"),
                    })];
                }

            case ImportKind.Deals:
                return Deal(row);

            case ImportKind.Activities:
                return [Event(RowId("activities", row, "activity_id"), At(row, "occurred_at", null), e => e.ActivityLogged = new V1.ActivityLogged
                {
                    RepId = Required(row, "rep_id"),
                    CustomerId = Optional(row, "customer_id"),
                    OpportunityId = Optional(row, "opportunity_id"),
                    Type = Choice(row, "type", null, ActivityTypes),
                    DurationMinutes = (int)Integer(row, "duration_minutes", 0),
                    TimeCategory = Choice(row, "time_category", null, TimeCategories),
                })];

            case ImportKind.Payments:
                return [Event(RowId("payments", row, "payment_id"), At(row, "occurred_at", null), e => e.PaymentReceived = new V1.PaymentReceived
                {
                    RepId = Required(row, "rep_id"),
                    CustomerId = Required(row, "customer_id"),
                    Amount = Money(row, "amount") ?? throw new RowException("amount", "required"),
                })];

            default:
                return [Event(RowId("targets", row, null), At(row, "occurred_at", DateTimeOffset.UtcNow), e => e.TargetSet = new V1.TargetSet
                {
                    Scope = Choice(row, "scope", null, new Dictionary<string, V1.TargetScope> { ["rep"] = V1.TargetScope.Rep, ["region"] = V1.TargetScope.Region }),
                    ScopeId = Required(row, "scope_id"),
                    Period = Required(row, "period"),
                    Metric = Choice(row, "metric", null, TargetMetrics),
                    MustAchieve = Integer(row, "must_achieve", null),
                    Stretch = Integer(row, "stretch", null),
                })];
        }
    }

    private V1.Event[] Deal(ImportRow row)
    {
        var id = Required(row, "opportunity_id");
        var opened = Event(IdOf("deals", id + ":opened"), At(row, "opened_at", null), e => e.OpportunityOpened = new V1.OpportunityOpened
        {
            OpportunityId = id,
            OwnerRepId = Required(row, "owner_rep_id"),
            CustomerId = Required(row, "customer_id"),
            Amount = Money(row, "amount") ?? throw new RowException("amount", "required"),
            Cost = Money(row, "cost"),
            ProductLine = Optional(row, "product_line"),
            Channel = Optional(row, "channel"),
            StageId = Required(row, "stage_id"),
            ExpectedClose = Date(row, "expected_close"),
        });
        var status = Optional(row, "status").ToLowerInvariant();
        switch (status)
        {
            case "" or "open":
                return [opened];
            case "won":
                return [opened, Event(IdOf("deals", id + ":won"), At(row, "closed_at", null), e => e.OpportunityWon = new V1.OpportunityWon
                {
                    OpportunityId = id,
                    Amount = Money(row, "won_amount"),
                })];
            case "lost":
                return [opened, Event(IdOf("deals", id + ":lost"), At(row, "closed_at", null), e => e.OpportunityLost = new V1.OpportunityLost
                {
                    OpportunityId = id,
                    Reason = Optional(row, "lost_reason"),
                })];
            default:
                throw new RowException("status", $"'{status}' is not open, won or lost");
        }
    }

    private static readonly Dictionary<string, V1.ActivityType> ActivityTypes = new()
    {
        ["call"] = V1.ActivityType.Call, ["visit"] = V1.ActivityType.Visit, ["meeting"] = V1.ActivityType.Meeting,
        ["proposal"] = V1.ActivityType.Proposal, ["demo"] = V1.ActivityType.Demo,
    };

    private static readonly Dictionary<string, V1.TimeCategory> TimeCategories = new()
    {
        ["t1"] = V1.TimeCategory.T1, ["t2"] = V1.TimeCategory.T2, ["t3"] = V1.TimeCategory.T3, ["t4"] = V1.TimeCategory.T4, ["t5"] = V1.TimeCategory.T5,
    };

    private static readonly Dictionary<string, V1.TargetMetric> TargetMetrics = new()
    {
        ["bookings"] = V1.TargetMetric.Bookings, ["collections"] = V1.TargetMetric.Collections, ["activities"] = V1.TargetMetric.Activities,
        ["new-customers"] = V1.TargetMetric.NewCustomers, ["gross-margin"] = V1.TargetMetric.GrossMargin,
    };

    private static V1.Event Event(string id, DateTimeOffset at, Action<V1.Event> set)
    {
        var e = new V1.Event { EventId = id, OccurredAt = Timestamp.FromDateTimeOffset(at) };
        set(e);
        return e;
    }

    /// <summary>An id from the kind and the row's own id; hashed when it would pass the engine's 128 characters.</summary>
    private static string IdOf(string kind, string own)
    {
        var id = $"import:{kind}:{own}";
        return id.Length <= 128 ? id : $"import:{kind}:#{Hash(own)}";
    }

    /// <summary>
    /// The row's id column when it has one; else a hash of the kind and the row's content, with the number of identical
    /// rows before it in the file: the same for the same record whatever the file is called or where the row sits in it,
    /// so a file renamed, re-exported with rows inserted, or cut short and sent again sends the same ids.
    /// </summary>
    private string RowId(string kind, ImportRow row, string? idColumn)
    {
        if (idColumn is not null && Optional(row, idColumn) is { Length: > 0 } own)
        {
            return IdOf(kind, own);
        }

        var content = Hash(kind + "\u001f" + row.Canonical());
        ref var before = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_identicalRows, content, out _);
        var id = before == 0 ? $"import:{kind}:{content}" : $"import:{kind}:{content}-{before.ToString(CultureInfo.InvariantCulture)}";
        before++;
        return id;
    }

    /// <summary>A row a resumed run does not send: counted still, so that identical rows after it keep their ids.</summary>
    public void Skip(ImportRow row)
    {
        var idColumn = Kind switch
        {
            ImportKind.Activities => "activity_id",
            ImportKind.Payments => "payment_id",
            ImportKind.Targets => "",
            _ => null,
        };
        if (idColumn is not null && (idColumn.Length == 0 || Optional(row, idColumn).Length == 0))
        {
            _ = RowId(Kind.ToString().ToLowerInvariant(), row, null);
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));

    private static string Optional(ImportRow row, string column) => row.Columns.TryGetValue(column, out var value) ? value.Trim() : "";

    private static string Required(ImportRow row, string column) =>
        Optional(row, column) is { Length: > 0 } value ? value : throw new RowException(column, row.Columns.ContainsKey(column) ? "empty" : "missing column");

    private static T Choice<T>(ImportRow row, string column, string? fallback, Dictionary<string, T> choices)
    {
        var text = Optional(row, column).ToLowerInvariant();
        if (text.Length == 0 && fallback is not null)
        {
            text = fallback;
        }

        return text.Length == 0
            ? throw new RowException(column, "required: " + string.Join(", ", choices.Keys))
            : choices.TryGetValue(text, out var value) ? value : throw new RowException(column, $"'{text}' is not one of {string.Join(", ", choices.Keys)}");
    }

    private static bool Bool(ImportRow row, string column) => Optional(row, column).ToLowerInvariant() switch
    {
        "" or "false" or "no" or "0" => false,
        "true" or "yes" or "1" => true,
        var other => throw new RowException(column, $"'{other}' is not true or false"),
    };

    private static long Integer(ImportRow row, string column, long? fallback)
    {
        var text = Optional(row, column);
        if (text.Length == 0)
        {
            return fallback ?? throw new RowException(column, "required");
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new RowException(column, $"'{text}' is not a whole number");
    }

    /// <summary>An amount in minor units of the row's <c>currency</c> (the company currency when empty); null when the column is empty.</summary>
    private V1.Money? Money(ImportRow row, string column)
    {
        if (Optional(row, column).Length == 0)
        {
            return null;
        }

        var currency = Optional(row, "currency");
        return new V1.Money { MinorUnits = Integer(row, column, null), CurrencyCode = currency.Length > 0 ? currency.ToUpperInvariant() : currencyCode };
    }

    private static Google.Type.Date Date(ImportRow row, string column)
    {
        var text = Required(row, column);
        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? new Google.Type.Date { Year = d.Year, Month = d.Month, Day = d.Day }
            : throw new RowException(column, $"'{text}' is not a date (yyyy-MM-dd)");
    }

    private static DateTimeOffset At(ImportRow row, string column, DateTimeOffset? fallback)
    {
        var text = Optional(row, column);
        if (text.Length == 0)
        {
            return fallback ?? throw new RowException(column, "required (ISO 8601, e.g. 2026-11-15T09:30:00Z)");
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new RowException(column, $"'{text}' is not a time (ISO 8601, e.g. 2026-11-15T09:30:00Z)");
    }
}
