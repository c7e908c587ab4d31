using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Cli.Infrastructure;

internal enum OutputFormat
{
    Table,
    Json,
}

/// <summary>A table column: its header and where its value is in each item (a dotted path, <c>properties.status</c>).</summary>
internal sealed record Column(string Header, string Path);

/// <summary>
/// Renders what the server answered: <c>json</c> prints its JSON indented; <c>table</c> prints lists as aligned columns
/// and objects as aligned key/value lines (nested objects flattened to dotted keys).
/// </summary>
internal sealed class Output(TextWriter writer, OutputFormat format)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public OutputFormat Kind => format;

    public bool IsJson => format == OutputFormat.Json;

    /// <summary>A list: the items are <paramref name="response"/>[<paramref name="items"/>] (or the response itself when it is an array).</summary>
    public void List(JsonNode? response, string? items, params Column[] columns)
    {
        if (IsJson)
        {
            Json(response);
            return;
        }

        var array = (items is null ? response : response?[items]) as JsonArray ?? [];
        Table(array.Select(item => columns.Select(column => Format(Find(item, column.Path))).ToArray()), columns.Select(c => c.Header).ToArray());
    }

    /// <summary>One object: key/value lines, or its JSON.</summary>
    public void Object(JsonNode? response)
    {
        if (IsJson)
        {
            Json(response);
            return;
        }

        var pairs = new List<(string Key, string Value)>();
        Flatten(response, string.Empty, pairs);
        var width = pairs.Count == 0 ? 0 : pairs.Max(pair => pair.Key.Length);
        foreach (var (key, value) in pairs)
        {
            writer.WriteLine($"{key.PadRight(width)}  {value}".TrimEnd());
        }
    }

    /// <summary>The outcome of a change: the message in table form, the server's answer (if any) as JSON.</summary>
    public void Done(string message, JsonNode? response = null)
    {
        if (IsJson)
        {
            if (response is not null)
            {
                Json(response);
            }

            return;
        }

        writer.WriteLine(message);
    }

    /// <summary>Plain lines for the table form (nothing in JSON form).</summary>
    public void Line(string text)
    {
        if (!IsJson)
        {
            writer.WriteLine(text);
        }
    }

    public void Json(JsonNode? node) => writer.WriteLine(node?.ToJsonString(Indented) ?? "null");

    /// <summary>Rows under upper-case headers, each column as wide as its widest cell.</summary>
    public void Table(IEnumerable<string[]> rows, string[] headers)
    {
        var all = new List<string[]> { headers.Select(h => h.ToUpperInvariant()).ToArray() };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(row => row[i].Length)).ToArray();
        foreach (var row in all)
        {
            writer.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    /// <summary>The node at a dotted path (<c>properties.status.displayStatus</c>), or null.</summary>
    public static JsonNode? Find(JsonNode? node, string path)
    {
        if (path.Length == 0)
        {
            return node;
        }

        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(part, out var child) ? child : null;
        }

        return node;
    }

    /// <summary>A cell: strings as they are, scalars in JSON form, arrays of scalars joined by commas, anything else compact JSON.</summary>
    public static string Format(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value => value.ToJsonString(),
        JsonArray array when array.All(item => item is null or JsonValue) => string.Join(", ", array.Select(Format)),
        _ => node.ToJsonString(),
    };

    private static void Flatten(JsonNode? node, string prefix, List<(string, string)> pairs)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    Flatten(child, prefix.Length == 0 ? key : $"{prefix}.{key}", pairs);
                }

                break;
            case JsonArray array when array.Any(item => item is JsonObject or JsonArray):
                for (var i = 0; i < array.Count; i++)
                {
                    Flatten(array[i], string.Create(CultureInfo.InvariantCulture, $"{prefix}[{i}]"), pairs);
                }

                break;
            default:
                pairs.Add((prefix, Format(node)));
                break;
        }
    }
}
