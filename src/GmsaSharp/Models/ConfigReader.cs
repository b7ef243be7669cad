using System.Text.Json;
using System.Text.Json.Nodes;

namespace GmsaSharp.Models;

/// <summary>Typed access to a JSON config whose every error names the source and the field.</summary>
internal sealed class ConfigReader(JsonObject json, string source)
{
    public string Source { get; } = source;

    public InvalidDataException Invalid(string field, string problem) =>
        new($"Config '{Source}': field '{field}' {problem}.");

    public int PositiveInt(string field) =>
        OptionalPositiveInt(field) ?? throw Invalid(field, "is required");

    public int? OptionalPositiveInt(string field)
    {
        int? value = OptionalInt(field);
        return value is <= 0 ? throw Invalid(field, $"must be positive, got {value}") : value;
    }

    public int? OptionalInt(string field) => Read(field, node => node.GetValueKind() == JsonValueKind.Number ? node.GetValue<int>() : (int?)null, "an integer");

    public double? OptionalPositiveDouble(string field)
    {
        double? value = Read(field, node => node.GetValueKind() == JsonValueKind.Number ? node.GetValue<double>() : (double?)null, "a number");
        return value is <= 0 ? throw Invalid(field, $"must be positive, got {value}") : value;
    }

    public bool? OptionalBool(string field) => Read(field, node => node.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => (bool?)null,
    }, "true or false");

    public string? OptionalString(string field) => Read(field, node => node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null, "a string");

    public JsonObject? OptionalObject(string field) => Read(field, node => node as JsonObject, "an object");

    public string[] StringArray(string field) =>
        Read(field, node => node is JsonArray array && array.All(item => item?.GetValueKind() == JsonValueKind.String)
            ? array.Select(item => item!.GetValue<string>()).ToArray()
            : null, "an array of strings") ?? throw Invalid(field, "is required");

    public int[] IntOrIntArray(string field) => Read(field, node => node switch
    {
        JsonArray array when array.All(item => item?.GetValueKind() == JsonValueKind.Number) => array.Select(item => item!.GetValue<int>()).ToArray(),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => [value.GetValue<int>()],
        _ => null,
    }, "an integer or an array of integers") ?? [];

    private T? Read<T>(string field, Func<JsonNode, T?> convert, string expected)
    {
        if (!json.TryGetPropertyValue(field, out JsonNode? node) || node is null)
        {
            return default;
        }
        try
        {
            return convert(node) ?? throw Invalid(field, $"must be {expected}, got {node.ToJsonString()}");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw Invalid(field, $"must be {expected}, got {node.ToJsonString()}");
        }
    }
}
