using System.Text.Json;

namespace GmsaSharp.Tokenization;

/// <summary>
/// BOS and EOS of a model folder, resolved the way HuggingFace's files spread them out: tokenizer_config.json
/// names the tokens, generation_config.json and config.json give ids, and the tokenizer file itself may
/// know its own.
/// </summary>
internal sealed record HfSpecialTokenIds(int? BosId, IReadOnlySet<int> EosIds, bool AddBos)
{
    /// <summary>
    /// BOS is the first found of tokenizer_config.json's bos_token, generation_config.json's and config.json's
    /// bos_token_id, and the tokenizer file's own. EOS ids are tokenizer_config.json's eos_token together with
    /// every generation_config.json eos_token_id, because instruct models stop on an end-of-turn token that
    /// only one of them lists (Llama-3: &lt;|eot_id|&gt;); config.json and then the tokenizer file are used
    /// when neither names one.
    /// </summary>
    public static HfSpecialTokenIds Resolve(string directory, JsonElement? tokenizerConfig, HfTokenizerModel model)
    {
        string tokenizerConfigPath = Path.Combine(directory, "tokenizer_config.json");
        string generationConfigPath = Path.Combine(directory, "generation_config.json");
        string configPath = Path.Combine(directory, "config.json");
        JsonElement? generationConfig = File.Exists(generationConfigPath) ? HfJsonFile.Read(generationConfigPath) : null;
        JsonElement? config = File.Exists(configPath) ? HfJsonFile.Read(configPath) : null;

        int? bosId = TokenNamedIn(tokenizerConfig, "bos_token", tokenizerConfigPath, model)
            ?? IdsIn(generationConfig, "bos_token_id", generationConfigPath).FirstOrDefault()
            ?? IdsIn(config, "bos_token_id", configPath).FirstOrDefault()
            ?? model.BuiltInBosId;

        var eosIds = new HashSet<int>();
        if (TokenNamedIn(tokenizerConfig, "eos_token", tokenizerConfigPath, model) is int namedEos)
        {
            eosIds.Add(namedEos);
        }
        eosIds.UnionWith(IdsIn(generationConfig, "eos_token_id", generationConfigPath).Select(id => id!.Value));
        if (eosIds.Count == 0)
        {
            eosIds.UnionWith(IdsIn(config, "eos_token_id", configPath).Select(id => id!.Value));
        }
        if (eosIds.Count == 0 && model.BuiltInEosId is int builtInEos)
        {
            eosIds.Add(builtInEos);
        }

        bool? addBosFlag = tokenizerConfig is JsonElement tc ? HfJsonFile.OptionalBool(tc, "add_bos_token", tokenizerConfigPath) : null;
        if (addBosFlag == true && bosId is null)
        {
            throw HfJsonFile.Invalid(tokenizerConfigPath, "add_bos_token is true but no file in the folder names a BOS token");
        }
        bool addBos = addBosFlag ?? (model.AddsBosByDefault && bosId is not null);
        return new HfSpecialTokenIds(bosId, eosIds, addBos);
    }

    /// <summary>A token given as "text" or {"content": "text"}, looked up in the tokenizer.</summary>
    private static int? TokenNamedIn(JsonElement? file, string key, string path, HfTokenizerModel model)
    {
        if (HfJsonFile.Optional(file ?? default, key) is not JsonElement value)
        {
            return null;
        }
        JsonElement text = value.ValueKind == JsonValueKind.Object && HfJsonFile.Optional(value, "content") is JsonElement content ? content : value;
        if (text.ValueKind != JsonValueKind.String)
        {
            throw HfJsonFile.Invalid(path, $"'{key}' is {value.GetRawText()}, expected a string or an object with a string 'content'");
        }
        return model.TryGetId(text.GetString()!, out int id)
            ? id
            : throw HfJsonFile.Invalid(path, $"'{key}' names the token '{text.GetString()}', which the tokenizer '{model.Path}' does not have");
    }

    /// <summary>The ids under <paramref name="key"/>: one integer or a list of them (nullable so FirstOrDefault can say "none").</summary>
    private static IEnumerable<int?> IdsIn(JsonElement? file, string key, string path)
    {
        if (HfJsonFile.Optional(file ?? default, key) is not JsonElement value)
        {
            return [];
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            return value.EnumerateArray().Select(id => (int?)HfJsonFile.TokenId(id, $"an entry of '{key}'", path)).ToList();
        }
        return [HfJsonFile.TokenId(value, $"'{key}'", path)];
    }
}
