using System.Text.Json;

namespace GmsaSharp.Tokenization;

/// <summary>Reads the JSON files of a HuggingFace model folder, naming the file in every error.</summary>
internal static class HfJsonFile
{
    /// <summary>Parses <paramref name="path"/>, whose top level must be a JSON object.</summary>
    public static JsonElement Read(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"its top level is a JSON {document.RootElement.ValueKind}, expected an object");
            }
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The property <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>An optional boolean property; anything but true, false or absent is an error.</summary>
    public static bool? OptionalBool(JsonElement element, string name, string path) => Optional(element, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        JsonElement other => throw Invalid(path, $"'{name}' is {other.GetRawText()}, expected true or false"),
    };

    /// <summary>A token id: a non-negative integer.</summary>
    public static int TokenId(JsonElement value, string what, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id
            : throw Invalid(path, $"{what} is {value.GetRawText()}, expected a non-negative integer token id");

    /// <summary>An error naming the file and what is wrong with it.</summary>
    public static InvalidDataException Invalid(string path, string problem) => new($"'{path}' is not a usable tokenizer file: {problem}.");
}
