using System.Text.Json;
using System.Text.Json.Serialization;
using GmsaSharp.Generation;
using GmsaSharp.Models;

namespace GmsaSharp.Compression;

/// <summary>
/// Everything that defines a GMSA compressor besides its trained weights: which base it was built for,
/// the encoder depth and its LoRA, the LSA depth, the rates it was trained on, the encoder window and the
/// prompt templates. Saved as <c>gmsa_config.json</c> in a GMSA checkpoint folder.
/// </summary>
public sealed record GmsaConfig
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "gmsa_config.json";

    /// <summary>The format this code writes and reads.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Format version of the file.</summary>
    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;

    /// <summary>The base decoder's architecture class name.</summary>
    [JsonPropertyName("base_architecture")] public required string BaseArchitecture { get; init; }

    /// <summary>The base decoder's hidden size.</summary>
    [JsonPropertyName("base_hidden_size")] public required int BaseHiddenSize { get; init; }

    /// <summary>The base decoder's block count.</summary>
    [JsonPropertyName("base_layers")] public required int BaseLayers { get; init; }

    /// <summary>The base decoder's vocabulary size.</summary>
    [JsonPropertyName("base_vocab_size")] public required int BaseVocabSize { get; init; }

    /// <summary>Fingerprint of the base weights the compressor was built on (see <see cref="Models.CausalLM.Fingerprint"/>).</summary>
    [JsonPropertyName("base_fingerprint")] public required string BaseFingerprint { get; init; }

    /// <summary>k: the encoder is the base's first k blocks plus its final norm.</summary>
    [JsonPropertyName("encoder_layers")] public required int EncoderLayers { get; init; }

    /// <summary>The encoder's LoRA.</summary>
    [JsonPropertyName("encoder_lora")] public required LoraSettings EncoderLora { get; init; }

    /// <summary>n: LSA blocks (the paper: 1).</summary>
    [JsonPropertyName("lsa_layers")] public int LsaLayers { get; init; } = 1;

    /// <summary>LoRA of decoder projections (the paper: q/k/v) trained by KEFT and used only when reading compressed context; null before KEFT.</summary>
    [JsonPropertyName("keft_lora")] public LoraSettings? KeftLora { get; init; }

    /// <summary>Compression rates the checkpoint was trained on (empty: untrained).</summary>
    [JsonPropertyName("trained_rates")] public IReadOnlyList<int> TrainedRates { get; init; } = [];

    /// <summary>Context tokens the encoder reads at once; longer documents are split into windows of this size.</summary>
    [JsonPropertyName("window_size")] public required int WindowSize { get; init; }

    /// <summary>The instruction after the soft tokens in autoencoder training (<see cref="PromptLayout.AutoencodeInstruction"/>).</summary>
    [JsonPropertyName("autoencode_instruction")] public string AutoencodeInstruction { get; init; } = PromptLayout.DefaultAutoencodeInstruction;

    /// <summary>How a question becomes the decoder prompt after the soft tokens (<see cref="PromptLayout.QuestionTemplate"/>).</summary>
    [JsonPropertyName("question_template")] public string QuestionTemplate { get; init; } = PromptLayout.DefaultQuestionTemplate;

    /// <summary>Text put before every KEFT answer target (<see cref="PromptLayout.AnswerPrefix"/>).</summary>
    [JsonPropertyName("answer_prefix")] public string AnswerPrefix { get; init; } = "";

    /// <summary>The full-prompt baseline's layout (<see cref="PromptLayout.FullPromptTemplate"/>); null, and not written,
    /// for the default.</summary>
    [JsonPropertyName("full_prompt_template")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FullPromptTemplate { get; init; }

    /// <summary>The checkpoint's prompt layout: what training used and what inference and evaluation ask with.</summary>
    [JsonIgnore]
    public PromptLayout Prompts => new()
    {
        QuestionTemplate = QuestionTemplate,
        AnswerPrefix = AnswerPrefix,
        AutoencodeInstruction = AutoencodeInstruction,
        FullPromptTemplate = FullPromptTemplate ?? PromptLayout.DefaultFullPromptTemplate,
    };

    /// <summary>Strings that end an answer by default. Null in checkpoints written before the field existed:
    /// they get <see cref="DefaultAnswerStopStrings"/>.</summary>
    [JsonPropertyName("answer_stop_strings")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? AnswerStopStrings { get; init; }

    /// <summary>The most answer tokens by default. Null in checkpoints written before the field existed: they get
    /// <see cref="DefaultAnswerMaxNewTokens"/>.</summary>
    [JsonPropertyName("answer_max_new_tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? AnswerMaxNewTokens { get; init; }

    /// <summary>Stop strings for checkpoints without <c>answer_stop_strings</c>: a line break. KEFT packs several
    /// answers of one document as "prompt(q1) a1\n prompt(q2) a2 ...", and base models trained on QA text go on
    /// with the next "Question:" line, so a line break is where such an answer ends.</summary>
    public static readonly IReadOnlyList<string> DefaultAnswerStopStrings = ["\n"];

    /// <summary>Answer length for checkpoints without <c>answer_max_new_tokens</c>: the paper's 100 new tokens
    /// (the stop string usually ends an answer long before).</summary>
    public const int DefaultAnswerMaxNewTokens = 100;

    /// <summary>Greedy decoding that ends where this checkpoint's answers end: its stop strings and answer length,
    /// or the defaults for checkpoints that do not record them.</summary>
    public GenerationOptions AnswerOptions() => new()
    {
        MaxNewTokens = AnswerMaxNewTokens ?? DefaultAnswerMaxNewTokens,
        StopStrings = AnswerStopStrings ?? DefaultAnswerStopStrings,
    };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the config to <paramref name="directory"/>.</summary>
    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads and validates the config of a checkpoint folder; errors name the file.</summary>
    public static GmsaConfig Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"GMSA checkpoint folder '{directory}' has no {FileName}.", path);
        }
        GmsaConfig config;
        try
        {
            config = JsonSerializer.Deserialize<GmsaConfig>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"GMSA config '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"GMSA config '{path}' is malformed: {e.Message}", e);
        }
        if (config.Format != CurrentFormat)
        {
            throw new InvalidDataException($"GMSA config '{path}' has format {config.Format}; this version reads format {CurrentFormat}.");
        }
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"GMSA config '{path}': {e.Message}", e);
        }
        return config;
    }

    /// <summary>Checks the values against each other.</summary>
    public void Validate()
    {
        if (EncoderLayers < 1 || EncoderLayers > BaseLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(EncoderLayers), EncoderLayers, $"encoder_layers must be between 1 and the base's {BaseLayers} blocks.");
        }
        if (LsaLayers < 1 || LsaLayers > BaseLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(LsaLayers), LsaLayers, $"lsa_layers must be between 1 and the base's {BaseLayers} blocks.");
        }
        if (WindowSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WindowSize), WindowSize, "window_size must be at least 1.");
        }
        if (TrainedRates.Any(rate => rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TrainedRates), "trained_rates must be at least 1.");
        }
        Prompts.Validate();
        if (AnswerMaxNewTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(AnswerMaxNewTokens), AnswerMaxNewTokens, "answer_max_new_tokens must be at least 1.");
        }
        if (AnswerStopStrings is { } stops && stops.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("answer_stop_strings must not contain an empty string.", nameof(AnswerStopStrings));
        }
        EncoderLora.Validate();
        KeftLora?.Validate();
    }
}
