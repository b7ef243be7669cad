using System.Text.Json;
using System.Text.Json.Nodes;

namespace GmsaSharp.Models;

/// <summary>
/// The shape and numerics of a LLaMA-family decoder, read from a HuggingFace <c>config.json</c>.
/// Field meanings and defaults follow transformers' LlamaConfig, MistralConfig, Qwen2Config and Qwen3Config.
/// </summary>
public sealed record DecoderConfig
{
    /// <summary>Which architecture the weights are for.</summary>
    public required DecoderArchitecture Architecture { get; init; }
    /// <summary><c>vocab_size</c>.</summary>
    public required int VocabSize { get; init; }
    /// <summary><c>hidden_size</c>: the width of the residual stream.</summary>
    public required int HiddenSize { get; init; }
    /// <summary><c>intermediate_size</c>: the width of the SwiGLU MLP.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary><c>num_hidden_layers</c>.</summary>
    public required int Layers { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    public required int Heads { get; init; }
    /// <summary><c>num_key_value_heads</c> (grouped-query attention when fewer than <see cref="Heads"/>).</summary>
    public required int KvHeads { get; init; }
    /// <summary><c>head_dim</c>, by default <c>hidden_size / num_attention_heads</c>.</summary>
    public required int HeadDim { get; init; }
    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary><c>rope_theta</c>.</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary><c>rope_scaling</c> of type llama3, or null.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }
    /// <summary><c>max_position_embeddings</c>: the longest sequence the model supports.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary><c>tie_word_embeddings</c>: the output projection reuses the input embeddings.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on the q, k and v projections (Qwen2 always; Llama with <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the o projection (Llama with <c>attention_bias</c>).</summary>
    public bool OutputBias { get; init; }
    /// <summary><c>mlp_bias</c> (Llama).</summary>
    public bool MlpBias { get; init; }
    /// <summary>Per-head RMSNorm of queries and keys (Qwen3).</summary>
    public bool QkNorm { get; init; }
    /// <summary><c>sliding_window</c> (Mistral, or Qwen2 with <c>use_sliding_window</c>): a query attends to at most this many latest keys, itself included.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }
    /// <summary><c>eos_token_id</c> (one id or several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The HuggingFace class name of <see cref="Architecture"/>.</summary>
    public string ArchitectureName => ArchitectureNames.First(a => a.Value == Architecture).Key;

    private static readonly Dictionary<string, DecoderArchitecture> ArchitectureNames = new()
    {
        ["LlamaForCausalLM"] = DecoderArchitecture.Llama,
        ["MistralForCausalLM"] = DecoderArchitecture.Mistral,
        ["Qwen2ForCausalLM"] = DecoderArchitecture.Qwen2,
        ["Qwen3ForCausalLM"] = DecoderArchitecture.Qwen3,
    };

    /// <summary>Reads and validates <c>config.json</c>; errors name the file and the field.</summary>
    public static DecoderConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model config '{path}' does not exist.", path);
        }
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"Model config '{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model config '{path}' is not valid JSON: {e.Message}", e);
        }
        return Parse(json, path);
    }

    /// <summary>Builds a config from the parsed JSON of a <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static DecoderConfig Parse(JsonObject json, string source)
    {
        var reader = new ConfigReader(json, source);
        string[] architectures = reader.StringArray("architectures");
        string? known = architectures.FirstOrDefault(ArchitectureNames.ContainsKey);
        if (known is null)
        {
            throw new NotSupportedException(
                $"Model config '{source}': architectures [{string.Join(", ", architectures)}] contains no supported architecture " +
                $"(supported: {string.Join(", ", ArchitectureNames.Keys)}).");
        }
        DecoderArchitecture architecture = ArchitectureNames[known];

        int hidden = reader.PositiveInt("hidden_size");
        int heads = reader.PositiveInt("num_attention_heads");
        int kvHeads = reader.OptionalPositiveInt("num_key_value_heads") ?? heads;
        int headDim = reader.OptionalPositiveInt("head_dim") ?? (hidden % heads == 0
            ? hidden / heads
            : throw reader.Invalid("hidden_size", $"{hidden} is not divisible by num_attention_heads {heads} and no head_dim is given"));
        if (heads % kvHeads != 0)
        {
            throw reader.Invalid("num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}");
        }
        string activation = reader.OptionalString("hidden_act") ?? "silu";
        if (activation != "silu")
        {
            throw reader.Invalid("hidden_act", $"'{activation}' is not supported (only silu)");
        }

        bool attentionBias = reader.OptionalBool("attention_bias") ?? false;
        int? slidingWindow = architecture switch
        {
            DecoderArchitecture.Mistral => reader.OptionalPositiveInt("sliding_window"),
            DecoderArchitecture.Qwen2 or DecoderArchitecture.Qwen3 when reader.OptionalBool("use_sliding_window") == true =>
                reader.OptionalPositiveInt("sliding_window"),
            _ => null,
        };
        if (slidingWindow is not null && architecture != DecoderArchitecture.Mistral && reader.OptionalInt("max_window_layers") is { } windowLayers && windowLayers < reader.PositiveInt("num_hidden_layers"))
        {
            throw reader.Invalid("max_window_layers", "sliding windows on only some layers are not supported");
        }

        return new DecoderConfig
        {
            Architecture = architecture,
            VocabSize = reader.PositiveInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = reader.PositiveInt("intermediate_size"),
            Layers = reader.PositiveInt("num_hidden_layers"),
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = reader.OptionalPositiveDouble("rms_norm_eps") ?? 1e-6,
            RopeTheta = reader.OptionalPositiveDouble("rope_theta") ?? 10000,
            RopeScaling = ReadRopeScaling(reader),
            MaxPositionEmbeddings = reader.OptionalPositiveInt("max_position_embeddings") ?? 2048,
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? false,
            QkvBias = architecture == DecoderArchitecture.Qwen2 || attentionBias,
            OutputBias = architecture != DecoderArchitecture.Qwen2 && attentionBias,
            MlpBias = reader.OptionalBool("mlp_bias") ?? false,
            QkNorm = architecture == DecoderArchitecture.Qwen3,
            SlidingWindow = slidingWindow,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.IntOrIntArray("eos_token_id"),
        };
    }

    /// <summary>Writes this config as a HuggingFace <c>config.json</c> object.</summary>
    public JsonObject ToJson()
    {
        string modelType = Architecture switch
        {
            DecoderArchitecture.Llama => "llama",
            DecoderArchitecture.Mistral => "mistral",
            DecoderArchitecture.Qwen2 => "qwen2",
            _ => "qwen3",
        };
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(ArchitectureName),
            ["model_type"] = modelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
        };
        if (Architecture is DecoderArchitecture.Llama or DecoderArchitecture.Mistral or DecoderArchitecture.Qwen3)
        {
            json["attention_bias"] = QkvBias;
        }
        if (Architecture == DecoderArchitecture.Llama)
        {
            json["mlp_bias"] = MlpBias;
        }
        if (RopeScaling is { } scaling)
        {
            json["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "llama3",
                ["factor"] = scaling.Factor,
                ["low_freq_factor"] = scaling.LowFrequencyFactor,
                ["high_freq_factor"] = scaling.HighFrequencyFactor,
                ["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings,
            };
        }
        if (SlidingWindow is { } window)
        {
            json["sliding_window"] = window;
            if (Architecture != DecoderArchitecture.Mistral)
            {
                json["use_sliding_window"] = true;
            }
        }
        if (BosTokenId is { } bos)
        {
            json["bos_token_id"] = bos;
        }
        if (EosTokenIds.Count == 1)
        {
            json["eos_token_id"] = EosTokenIds[0];
        }
        else if (EosTokenIds.Count > 1)
        {
            json["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        }
        return json;
    }

    private static Llama3RopeScaling? ReadRopeScaling(ConfigReader reader)
    {
        if (reader.OptionalObject("rope_scaling") is not { } scaling)
        {
            return null;
        }
        var inner = new ConfigReader(scaling, reader.Source + " rope_scaling");
        string type = inner.OptionalString("rope_type") ?? inner.OptionalString("type") ?? "";
        if (type == "default")
        {
            return null;
        }
        if (type != "llama3")
        {
            throw reader.Invalid("rope_scaling", $"rope type '{type}' is not supported (supported: llama3, default)");
        }
        return new Llama3RopeScaling(
            inner.OptionalPositiveDouble("factor") ?? throw inner.Invalid("factor", "is required"),
            inner.OptionalPositiveDouble("low_freq_factor") ?? throw inner.Invalid("low_freq_factor", "is required"),
            inner.OptionalPositiveDouble("high_freq_factor") ?? throw inner.Invalid("high_freq_factor", "is required"),
            inner.OptionalPositiveInt("original_max_position_embeddings") ?? throw inner.Invalid("original_max_position_embeddings", "is required"));
    }
}
