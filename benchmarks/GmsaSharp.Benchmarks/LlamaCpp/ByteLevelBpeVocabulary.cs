using System.Text.Json;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Benchmarks.LlamaCpp;

/// <summary>
/// The tokenizer metadata llama.cpp needs for a byte-level BPE tokenizer.json (GPT-2, Qwen2, Llama-3 style):
/// every token string by id, its type, the merges as "left right" strings, the pre-tokenizer's name in
/// llama.cpp (it carries its own copy of each known regex and picks it by that name) and the special ids.
/// </summary>
public sealed record ByteLevelBpeVocabulary(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<int> TokenTypes,
    IReadOnlyList<string> Merges,
    string PreTokenizer,
    int? BosId,
    int? EosId,
    bool AddBos)
{
    // llama.cpp's token types (llama_token_type).
    private const int Normal = 1;
    private const int Control = 3;
    private const int UserDefined = 4;
    private const int Unused = 5;

    private const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // The Split regexes of tokenizer.json files whose pre-tokenizer llama.cpp knows, by its name for them.
    private static readonly IReadOnlyDictionary<string, string> KnownSplits = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "qwen2",
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "llama-bpe",
        [Gpt2Regex] = "gpt-2",
    };

    /// <summary>Reads <c>tokenizer.json</c> of <paramref name="directory"/> for a model of <paramref name="vocabSize"/>
    /// rows; ids the tokenizer does not use become unused "[PAD{id}]" tokens, as llama.cpp's converter writes them.</summary>
    public static ByteLevelBpeVocabulary Load(string directory, int vocabSize)
    {
        string path = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' does not exist; the GGUF writer supports byte-level BPE tokenizer.json files only.", path);
        }
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = document.RootElement;
        JsonElement model = root.GetProperty("model");
        string modelType = model.TryGetProperty("type", out JsonElement type) ? type.GetString() ?? "" : "";
        if (modelType != "BPE")
        {
            throw new NotSupportedException($"'{path}' holds a '{modelType}' model; the GGUF writer supports byte-level BPE only.");
        }
        string preTokenizer = PreTokenizerName(root.GetProperty("pre_tokenizer"), path);

        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
        {
            Place(tokens, types, entry.Value.GetInt32(), entry.Name, Normal, path);
        }
        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in added.EnumerateArray())
            {
                bool special = token.TryGetProperty("special", out JsonElement flag) && flag.GetBoolean();
                Place(tokens, types, token.GetProperty("id").GetInt32(), token.GetProperty("content").GetString()!, special ? Control : UserDefined, path);
            }
        }
        for (int id = 0; id < vocabSize; id++)
        {
            if (tokens[id] is null)
            {
                tokens[id] = $"[PAD{id}]";
                types[id] = Unused;
            }
        }

        // Newer files store each merge as a two-element array, older ones as "left right".
        List<string> merges = model.GetProperty("merges").EnumerateArray()
            .Select(merge => merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()!)
            .ToList();

        HfTokenizer ids = HfTokenizer.Load(directory);
        return new ByteLevelBpeVocabulary(tokens!, types, merges, preTokenizer, ids.BosId,
            ids.EosIds.Count == 0 ? null : ids.EosIds.Min(), ids.AddBos);
    }

    private static void Place(string?[] tokens, int[] types, int id, string token, int tokenType, string path)
    {
        if (id < 0 || id >= tokens.Length)
        {
            throw new InvalidDataException($"'{path}' gives token '{token}' id {id}, outside the model's vocabulary of {tokens.Length}.");
        }
        tokens[id] = token;
        types[id] = tokenType;
    }

    // GPT-2 files split inside ByteLevel (use_regex); Qwen2 and Llama-3 files put one Split before a ByteLevel that does not.
    private static string PreTokenizerName(JsonElement preTokenizer, string path)
    {
        IEnumerable<JsonElement> steps = preTokenizer.GetProperty("type").GetString() == "Sequence"
            ? preTokenizer.GetProperty("pretokenizers").EnumerateArray()
            : [preTokenizer];
        var regexes = new List<string>();
        foreach (JsonElement step in steps)
        {
            switch (step.GetProperty("type").GetString())
            {
                case "Split":
                    regexes.Add(step.GetProperty("pattern").GetProperty("Regex").GetString()!);
                    break;
                case "ByteLevel":
                    if (!step.TryGetProperty("use_regex", out JsonElement useRegex) || useRegex.GetBoolean())
                    {
                        regexes.Add(Gpt2Regex);
                    }
                    break;
                case var other:
                    throw new NotSupportedException($"'{path}' has a '{other}' pre-tokenizer step; the GGUF writer supports byte-level BPE (Split and ByteLevel steps) only.");
            }
        }
        if (regexes.Count != 1 || !KnownSplits.TryGetValue(regexes[0], out string? name))
        {
            throw new NotSupportedException(
                $"'{path}' pre-tokenizes with [{string.Join(" | ", regexes)}]; the GGUF writer knows llama.cpp's names for {string.Join(", ", KnownSplits.Values)} only.");
        }
        return name;
    }
}
