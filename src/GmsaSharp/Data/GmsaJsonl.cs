using System.Text.Json;

namespace GmsaSharp.Data;

/// <summary>
/// Reads the GMSA reference JSONL schema: <c>{"input": ...}</c> for autoencoding and
/// <c>{"input": ..., "prompt": ..., "answer": "..." | ["...", ...]}</c> for QA. Errors name the file and line.
/// Other top-level fields with a string, number or boolean value are kept in <see cref="GmsaSample.Fields"/>.
/// </summary>
public static class GmsaJsonl
{
    /// <summary>Reads every non-blank line; <paramref name="requireQa"/> demands prompt and answer on each.</summary>
    public static IReadOnlyList<GmsaSample> Read(string path, bool requireQa)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        }
        var samples = new List<GmsaSample>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            samples.Add(Parse(line, path, lineNumber, requireQa));
        }
        if (samples.Count == 0)
        {
            throw new InvalidDataException($"Data file '{path}' has no samples.");
        }
        return samples;
    }

    private static GmsaSample Parse(string line, string path, int lineNumber, bool requireQa)
    {
        string where = $"'{path}' line {lineNumber}";
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{where} is not a JSON object.");
            }
            string input = root.TryGetProperty("input", out JsonElement inputElement) && inputElement.ValueKind == JsonValueKind.String
                ? inputElement.GetString()!
                : throw new InvalidDataException($"{where} has no string field 'input'.");
            if (string.IsNullOrWhiteSpace(input))
            {
                throw new InvalidDataException($"{where} has an empty 'input'.");
            }
            string? prompt = root.TryGetProperty("prompt", out JsonElement promptElement) && promptElement.ValueKind == JsonValueKind.String ? promptElement.GetString() : null;
            IReadOnlyList<string> answers = root.TryGetProperty("answer", out JsonElement answerElement) ? Answers(answerElement, where) : [];
            if (requireQa && (string.IsNullOrWhiteSpace(prompt) || answers.Count == 0))
            {
                throw new InvalidDataException($"{where} needs a non-empty 'prompt' and 'answer' for QA.");
            }
            return new GmsaSample(input, prompt, answers, lineNumber) { Fields = OtherFields(root) };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where} is not valid JSON: {e.Message}", e);
        }
    }

    private static readonly string[] SchemaFields = ["input", "prompt", "answer"];

    private static Dictionary<string, string> OtherFields(JsonElement root)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject().Where(p => !SchemaFields.Contains(p.Name)))
        {
            string? text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
            if (text is not null)
            {
                fields[property.Name] = text;
            }
        }
        return fields;
    }

    private static IReadOnlyList<string> Answers(JsonElement element, string where) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array when element.EnumerateArray().All(a => a.ValueKind == JsonValueKind.String) && element.GetArrayLength() > 0 =>
            element.EnumerateArray().Select(a => a.GetString()!).ToArray(),
        _ => throw new InvalidDataException($"{where}: 'answer' must be a string or a non-empty array of strings."),
    };
}
