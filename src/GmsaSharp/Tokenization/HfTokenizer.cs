using System.Text;
using System.Text.Json;

namespace GmsaSharp.Tokenization;

/// <summary>
/// The tokenizer of a HuggingFace model folder, on Microsoft.ML.Tokenizers: byte-level BPE from
/// tokenizer.json (GPT-2, Llama-3, Qwen2/3) or SentencePiece from tokenizer.model (Llama-2, Mistral), with
/// BOS/EOS taken from the folder's configuration files.
/// </summary>
/// <remarks>
/// Added tokens are matched exactly as written in the text; their lstrip/rstrip/single_word/normalized
/// options are not applied.
/// </remarks>
public sealed class HfTokenizer
{
    private const string TokenizerJson = "tokenizer.json";
    private const string TokenizerModel = "tokenizer.model";

    private readonly HfTokenizerModel _model;

    private HfTokenizer(HfTokenizerModel model, HfSpecialTokenIds specialTokens)
    {
        _model = model;
        BosId = specialTokens.BosId;
        EosIds = specialTokens.EosIds;
        AddBos = specialTokens.AddBos;
    }

    /// <summary>The tokenizer file in use (tokenizer.json or tokenizer.model).</summary>
    public string SourcePath => _model.Path;

    /// <summary>The beginning-of-sequence token id, when the folder names one.</summary>
    public int? BosId { get; }

    /// <summary>Every id that ends generation (end of text, end of turn).</summary>
    public IReadOnlySet<int> EosIds { get; }

    /// <summary>Whether <see cref="Encode"/> starts with <see cref="BosId"/> unless told otherwise.</summary>
    public bool AddBos { get; }

    /// <summary>One more than the largest token id, added tokens included.</summary>
    public int VocabularySize => _model.VocabularySize;

    /// <summary>
    /// Loads the tokenizer of <paramref name="modelDirectory"/>, or returns null when it has neither
    /// tokenizer.json nor tokenizer.model (such a model still runs on token ids).
    /// </summary>
    public static HfTokenizer? TryLoad(string modelDirectory)
    {
        if (!Directory.Exists(modelDirectory))
        {
            throw new DirectoryNotFoundException($"Model folder '{modelDirectory}' does not exist.");
        }
        string jsonPath = Path.Combine(modelDirectory, TokenizerJson);
        string modelPath = Path.Combine(modelDirectory, TokenizerModel);
        bool hasJson = File.Exists(jsonPath);
        bool hasModel = File.Exists(modelPath);
        if (!hasJson && !hasModel)
        {
            return null;
        }

        string tokenizerConfigPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        JsonElement? tokenizerConfig = File.Exists(tokenizerConfigPath) ? HfJsonFile.Read(tokenizerConfigPath) : null;
        JsonElement? json = hasJson ? HfJsonFile.Read(jsonPath) : null;

        HfTokenizerModel model;
        if (json is JsonElement root && ByteLevelBpeModel.Describes(root))
        {
            model = ByteLevelBpeModel.FromTokenizerJson(jsonPath, root);
        }
        else if (hasModel)
        {
            // tokenizer.json, when present, is the newer list of added tokens; older folders keep them in
            // tokenizer_config.json.
            IReadOnlyList<HfAddedToken> added = json is JsonElement jsonRoot
                ? HfAddedToken.FromTokenizerJson(jsonRoot, jsonPath)
                : tokenizerConfig is JsonElement config ? HfAddedToken.FromTokenizerConfig(config, tokenizerConfigPath) : [];
            model = SentencePieceModel.FromFile(modelPath, added);
        }
        else
        {
            throw Unsupported(jsonPath, json!.Value);
        }
        return new HfTokenizer(model, HfSpecialTokenIds.Resolve(modelDirectory, tokenizerConfig, model));
    }

    /// <summary>Loads the tokenizer of <paramref name="modelDirectory"/>; a folder without one is an error.</summary>
    public static HfTokenizer Load(string modelDirectory) =>
        TryLoad(modelDirectory) ?? throw new FileNotFoundException(
            $"Model folder '{modelDirectory}' has no tokenizer: looked for {TokenizerJson} and {TokenizerModel}.",
            Path.Combine(modelDirectory, TokenizerJson));

    /// <summary>
    /// The token ids of <paramref name="text"/>, starting with BOS when <paramref name="addBos"/> (default
    /// <see cref="AddBos"/>) is true. Added tokens written in the text become their single ids.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool? addBos = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos ?? AddBos)
        {
            ids.Add(BosId ?? throw new InvalidOperationException($"BOS was requested, but the tokenizer '{SourcePath}' has no BOS token."));
        }
        _model.Encode(text, ids);
        return ids;
    }

    /// <summary>The number of ids <see cref="Encode"/> gives for <paramref name="text"/> (BOS included when <see cref="AddBos"/>).</summary>
    public int CountTokens(string text) => Encode(text).Count;

    /// <summary>
    /// The text of <paramref name="ids"/>. Bytes that do not form valid UTF-8 become U+FFFD; special tokens
    /// are written out unless <paramref name="skipSpecialTokens"/>. An id outside the vocabulary is an error.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        bool atStart = true;
        foreach (int id in ids)
        {
            bytes.AddRange(_model.DecodeToken(id, skipSpecialTokens, ref atStart));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>A decoder for ids that arrive one at a time, as in generation; see <see cref="StreamingDecoder"/>.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(_model, skipSpecialTokens);

    private static InvalidDataException Unsupported(string path, JsonElement root)
    {
        string? type = ByteLevelBpeModel.ModelType(root);
        return type == "BPE"
            ? HfJsonFile.Invalid(path, "its BPE model has no ByteLevel pre-tokenizer; such (SentencePiece-style) BPE is read from a tokenizer.model beside it, and there is none")
            : HfJsonFile.Invalid(path, $"its model type is '{type ?? "(none)"}'; supported are byte-level BPE in tokenizer.json and SentencePiece in tokenizer.model");
    }
}
