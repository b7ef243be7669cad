using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GmsaSharp.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer.json (GPT-2, Llama-3, Qwen2/3). Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>
/// applies the merges to one pre-tokenized piece at a time; added tokens, normalization and pre-tokenization
/// are done here because <see cref="BpeTokenizer"/> has no reading of them from tokenizer.json.
/// </summary>
internal sealed class ByteLevelBpeModel : HfTokenizerModel
{
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int> _addedTokens;
    private readonly Regex? _addedTokenPattern;
    private readonly IReadOnlyList<NormalizationForm> _normalization;
    private readonly ByteLevelPreTokenizer _preTokenizer;
    private readonly bool _ignoreMerges;

    private ByteLevelBpeModel(string path, byte[]?[] tokenBytes, bool[] special, BpeTokenizer bpe, Dictionary<string, int> vocab,
        Dictionary<string, int> addedTokens, IReadOnlyList<NormalizationForm> normalization, ByteLevelPreTokenizer preTokenizer,
        bool ignoreMerges, bool addsBos)
        : base(path, tokenBytes, special, stripsLeadingSpace: false)
    {
        _bpe = bpe;
        _vocab = vocab;
        _addedTokens = addedTokens;
        // Longest first, so that a token that is a prefix of another never wins over it.
        _addedTokenPattern = addedTokens.Count == 0
            ? null
            : new Regex(string.Join("|", addedTokens.Keys.OrderByDescending(t => t.Length).Select(Regex.Escape)), RegexOptions.Compiled | RegexOptions.CultureInvariant);
        _normalization = normalization;
        _preTokenizer = preTokenizer;
        _ignoreMerges = ignoreMerges;
        AddsBosByDefault = addsBos;
    }

    /// <inheritdoc/>
    public override bool AddsBosByDefault { get; }

    /// <inheritdoc/>
    public override int? BuiltInBosId => null;

    /// <inheritdoc/>
    public override int? BuiltInEosId => null;

    /// <summary>Whether a parsed tokenizer.json holds a BPE model with a byte-level pre-tokenizer.</summary>
    public static bool Describes(JsonElement root) =>
        ModelType(root) == "BPE" && ByteLevelPreTokenizer.IsByteLevel(HfJsonFile.Optional(root, "pre_tokenizer"));

    /// <summary>The <c>model.type</c> of a parsed tokenizer.json; files that predate the field are BPE when they have merges.</summary>
    public static string? ModelType(JsonElement root)
    {
        JsonElement? model = HfJsonFile.Optional(root, "model");
        if (HfJsonFile.Optional(model ?? default, "type") is { ValueKind: JsonValueKind.String } type)
        {
            return type.GetString();
        }
        return HfJsonFile.Optional(model ?? default, "merges") is null ? null : "BPE";
    }

    /// <summary>Builds the tokenizer from a parsed tokenizer.json that <see cref="Describes"/> accepts.</summary>
    public static ByteLevelBpeModel FromTokenizerJson(string path, JsonElement root)
    {
        JsonElement model = HfJsonFile.Optional(root, "model")!.Value;
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (HfJsonFile.Optional(model, affix) is { ValueKind: JsonValueKind.String } value && value.GetString()!.Length > 0)
            {
                throw HfJsonFile.Invalid(path, $"its byte-level BPE model sets '{affix}', which is not supported");
            }
        }

        Dictionary<string, int> vocab = ReadVocab(model, path);
        List<string> merges = ReadMerges(model, vocab, path);
        IReadOnlyList<HfAddedToken> added = HfAddedToken.FromTokenizerJson(root, path);
        var addedTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (HfAddedToken token in added)
        {
            if (!addedTokens.TryAdd(token.Content, token.Id))
            {
                throw HfJsonFile.Invalid(path, $"the added token '{token.Content}' appears twice");
            }
        }

        int size = Math.Max(vocab.Values.Max(), added.Count == 0 ? -1 : added.Max(t => t.Id)) + 1;
        var tokenBytes = new byte[]?[size];
        var special = new bool[size];
        foreach ((string token, int id) in vocab)
        {
            tokenBytes[id] = ByteLevelAlphabet.ToBytes(token);
        }
        foreach (HfAddedToken token in added)
        {
            tokenBytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            special[token.Id] = token.Special;
        }

        BpeTokenizer bpe = BpeTokenizer.Create(new BpeOptions(vocab) { Merges = merges, ByteLevel = true });
        return new ByteLevelBpeModel(path, tokenBytes, special, bpe, vocab, addedTokens,
            ReadNormalizer(HfJsonFile.Optional(root, "normalizer"), path),
            ByteLevelPreTokenizer.FromJson(HfJsonFile.Optional(root, "pre_tokenizer")!.Value, path),
            HfJsonFile.OptionalBool(model, "ignore_merges", path) ?? false,
            PostProcessorAddsBos(HfJsonFile.Optional(root, "post_processor")));
    }

    /// <inheritdoc/>
    public override void Encode(string text, List<int> ids)
    {
        int start = 0;
        if (_addedTokenPattern is not null)
        {
            for (Match match = _addedTokenPattern.Match(text); match.Success; match = match.NextMatch())
            {
                EncodeBetweenAddedTokens(text[start..match.Index], ids);
                ids.Add(_addedTokens[match.Value]);
                start = match.Index + match.Length;
            }
        }
        EncodeBetweenAddedTokens(text[start..], ids);
    }

    /// <inheritdoc/>
    public override bool TryGetId(string token, out int id) => _addedTokens.TryGetValue(token, out id) || _vocab.TryGetValue(token, out id);

    private void EncodeBetweenAddedTokens(string text, List<int> ids)
    {
        foreach (NormalizationForm form in _normalization)
        {
            text = text.Normalize(form);
        }
        foreach ((int offset, int length) in _preTokenizer.Split(text))
        {
            ReadOnlySpan<char> piece = text.AsSpan(offset, length);
            // ignore_merges (Llama-3): a piece that is itself a vocabulary entry is that entry, even where
            // the merges would not build it.
            if (_ignoreMerges && _vocab.TryGetValue(ByteLevelAlphabet.ToSymbols(piece), out int id))
            {
                ids.Add(id);
                continue;
            }
            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
    }

    private static Dictionary<string, int> ReadVocab(JsonElement model, string path)
    {
        if (HfJsonFile.Optional(model, "vocab") is not { ValueKind: JsonValueKind.Object } vocabJson)
        {
            throw HfJsonFile.Invalid(path, "its model has no 'vocab' object");
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokenOfId = new Dictionary<int, string>();
        foreach (JsonProperty entry in vocabJson.EnumerateObject())
        {
            int id = HfJsonFile.TokenId(entry.Value, $"the id of vocabulary token '{entry.Name}'", path);
            if (tokenOfId.TryGetValue(id, out string? other))
            {
                throw HfJsonFile.Invalid(path, $"vocabulary tokens '{other}' and '{entry.Name}' share the id {id}");
            }
            if (!vocab.TryAdd(entry.Name, id))
            {
                throw HfJsonFile.Invalid(path, $"the vocabulary token '{entry.Name}' appears twice");
            }
            tokenOfId.Add(id, entry.Name);
        }
        // BpeTokenizer silently drops a byte whose symbol is missing; a complete alphabet rules that out.
        for (int b = 0; b < 256; b++)
        {
            if (!vocab.ContainsKey(ByteLevelAlphabet.Symbol((byte)b).ToString()))
            {
                throw HfJsonFile.Invalid(path, $"its byte-level vocabulary has no token for byte 0x{b:X2} ('{ByteLevelAlphabet.Symbol((byte)b)}')");
            }
        }
        return vocab;
    }

    private static List<string> ReadMerges(JsonElement model, Dictionary<string, int> vocab, string path)
    {
        if (HfJsonFile.Optional(model, "merges") is not { ValueKind: JsonValueKind.Array } mergesJson)
        {
            throw HfJsonFile.Invalid(path, "its BPE model has no 'merges' array");
        }
        var merges = new List<string>();
        var seen = new HashSet<(string, string)>();
        int index = 0;
        foreach (JsonElement entry in mergesJson.EnumerateArray())
        {
            (string left, string right) = ReadMerge(entry, $"merges[{index}]", path);
            foreach (string part in new[] { left, right, left + right })
            {
                if (!vocab.ContainsKey(part))
                {
                    throw HfJsonFile.Invalid(path, $"merges[{index}] ('{left} {right}') needs the token '{part}', which is not in the vocabulary");
                }
            }
            if (!seen.Add((left, right)))
            {
                throw HfJsonFile.Invalid(path, $"merges[{index}] ('{left} {right}') appears twice");
            }
            // Byte-level symbols never include a space, so "a b" is unambiguous for BpeOptions.
            merges.Add($"{left} {right}");
            index++;
        }
        return merges;
    }

    private static (string Left, string Right) ReadMerge(JsonElement entry, string where, string path)
    {
        // Older files write "a b"; newer ones write ["a", "b"].
        if (entry.ValueKind == JsonValueKind.String && entry.GetString()!.Split(' ') is [{ Length: > 0 } left, { Length: > 0 } right])
        {
            return (left, right);
        }
        if (entry.ValueKind == JsonValueKind.Array && entry.GetArrayLength() == 2
            && entry[0].ValueKind == JsonValueKind.String && entry[1].ValueKind == JsonValueKind.String)
        {
            return (entry[0].GetString()!, entry[1].GetString()!);
        }
        throw HfJsonFile.Invalid(path, $"{where} is {entry.GetRawText()}, expected \"a b\" or [\"a\", \"b\"]");
    }

    private static IReadOnlyList<NormalizationForm> ReadNormalizer(JsonElement? normalizer, string path)
    {
        if (normalizer is not JsonElement step)
        {
            return [];
        }
        string? type = HfJsonFile.Optional(step, "type")?.GetString();
        if (type == "Sequence" && HfJsonFile.Optional(step, "normalizers") is { ValueKind: JsonValueKind.Array } steps)
        {
            return steps.EnumerateArray().SelectMany(s => ReadNormalizer(s, path)).ToList();
        }
        return type switch
        {
            "NFC" => [NormalizationForm.FormC],
            "NFD" => [NormalizationForm.FormD],
            "NFKC" => [NormalizationForm.FormKC],
            "NFKD" => [NormalizationForm.FormKD],
            _ => throw HfJsonFile.Invalid(path, $"its normalizer '{type}' is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence of them)"),
        };
    }

    /// <summary>
    /// Whether the post-processor puts a special token before the text, as Llama-3's TemplateProcessing does
    /// with &lt;|begin_of_text|&gt;; that is how such files say "add BOS" without a tokenizer_config flag.
    /// </summary>
    private static bool PostProcessorAddsBos(JsonElement? processor)
    {
        string? type = HfJsonFile.Optional(processor ?? default, "type")?.GetString();
        if (type == "Sequence" && HfJsonFile.Optional(processor!.Value, "processors") is { ValueKind: JsonValueKind.Array } processors)
        {
            return processors.EnumerateArray().Any(p => PostProcessorAddsBos(p));
        }
        return type == "TemplateProcessing"
            && HfJsonFile.Optional(processor!.Value, "single") is { ValueKind: JsonValueKind.Array } single
            && single.GetArrayLength() > 0
            && HfJsonFile.Optional(single[0], "SpecialToken") is not null;
    }
}
