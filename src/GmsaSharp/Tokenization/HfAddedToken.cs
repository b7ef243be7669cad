using System.Text.Json;

namespace GmsaSharp.Tokenization;

/// <summary>
/// A token that is matched whole in text before any other tokenization (HuggingFace's "added tokens", e.g.
/// <c>&lt;|im_start|&gt;</c>); <paramref name="Special"/> ones are dropped when decoding skips special tokens.
/// </summary>
internal sealed record HfAddedToken(string Content, int Id, bool Special)
{
    /// <summary>The <c>added_tokens</c> array of a tokenizer.json (empty when absent).</summary>
    public static IReadOnlyList<HfAddedToken> FromTokenizerJson(JsonElement root, string path)
    {
        if (HfJsonFile.Optional(root, "added_tokens") is not JsonElement array)
        {
            return [];
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw HfJsonFile.Invalid(path, "'added_tokens' is not an array");
        }
        var tokens = new List<HfAddedToken>();
        int index = 0;
        foreach (JsonElement entry in array.EnumerateArray())
        {
            string where = $"added_tokens[{index++}]";
            if (HfJsonFile.Optional(entry, "id") is not JsonElement id)
            {
                throw HfJsonFile.Invalid(path, $"{where} has no 'id'");
            }
            tokens.Add(Read(entry, HfJsonFile.TokenId(id, $"the id of {where}", path), where, path));
        }
        return tokens;
    }

    /// <summary>The <c>added_tokens_decoder</c> object of a tokenizer_config.json (id to token; empty when absent).</summary>
    public static IReadOnlyList<HfAddedToken> FromTokenizerConfig(JsonElement root, string path)
    {
        if (HfJsonFile.Optional(root, "added_tokens_decoder") is not JsonElement map)
        {
            return [];
        }
        if (map.ValueKind != JsonValueKind.Object)
        {
            throw HfJsonFile.Invalid(path, "'added_tokens_decoder' is not an object");
        }
        var tokens = new List<HfAddedToken>();
        foreach (JsonProperty property in map.EnumerateObject())
        {
            if (!int.TryParse(property.Name, out int id) || id < 0)
            {
                throw HfJsonFile.Invalid(path, $"'added_tokens_decoder' has the key '{property.Name}', expected a token id");
            }
            tokens.Add(Read(property.Value, id, $"added_tokens_decoder[\"{property.Name}\"]", path));
        }
        return tokens;
    }

    private static HfAddedToken Read(JsonElement entry, int id, string where, string path)
    {
        if (HfJsonFile.Optional(entry, "content") is not { ValueKind: JsonValueKind.String } content || content.GetString() is not { Length: > 0 } text)
        {
            throw HfJsonFile.Invalid(path, $"{where} has no non-empty string 'content'");
        }
        return new HfAddedToken(text, id, HfJsonFile.OptionalBool(entry, "special", path) ?? false);
    }
}
