namespace GmsaSharp.Tests.Support;

/// <summary>
/// Every config knob of a tiny LLaMA-family decoder, named after the HuggingFace config field it becomes.
/// Presets are small enough (hidden 32-48, 2 layers, vocab 96) that a reference forward takes milliseconds.
/// </summary>
/// <param name="Architecture">"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" or "Qwen3ForCausalLM".</param>
/// <param name="HeadDim">Per-head width; may differ from HiddenSize / Heads where the architecture has a head_dim field.</param>
/// <param name="AttentionBias">Llama's and Qwen3's attention_bias: a bias on q, k, v and o. Qwen2 has no such field (see <see cref="HasQkvBias"/>).</param>
/// <param name="MlpBias">Llama's mlp_bias: a bias on gate, up and down.</param>
/// <param name="Llama3RopeScaling">rope_scaling with rope_type "llama3", or null for plain RoPE.</param>
/// <param name="SlidingWindow">Mistral's sliding_window in tokens, or null for full causal attention.</param>
public sealed record TinyDecoderSpec(
    string Architecture,
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    double RmsNormEps,
    double RopeTheta,
    int MaxPositions,
    bool TieWordEmbeddings,
    bool AttentionBias,
    bool MlpBias,
    Llama3RopeScaling? Llama3RopeScaling,
    int? SlidingWindow,
    int BosId,
    int EosId)
{
    public const string LlamaArchitecture = "LlamaForCausalLM";
    public const string MistralArchitecture = "MistralForCausalLM";
    public const string Qwen2Architecture = "Qwen2ForCausalLM";
    public const string Qwen3Architecture = "Qwen3ForCausalLM";

    /// <summary>The config.json model_type of the architecture.</summary>
    public string ModelType => Architecture switch
    {
        LlamaArchitecture => "llama",
        MistralArchitecture => "mistral",
        Qwen2Architecture => "qwen2",
        Qwen3Architecture => "qwen3",
        _ => throw new ArgumentException($"Unknown architecture '{Architecture}'."),
    };

    /// <summary>Whether q, k and v have a bias: always for Qwen2 (hard-wired in HF), otherwise attention_bias.</summary>
    public bool HasQkvBias => Architecture == Qwen2Architecture || AttentionBias;

    /// <summary>Whether o has a bias: never for Qwen2 (hard-wired in HF), otherwise attention_bias.</summary>
    public bool HasOutputBias => Architecture != Qwen2Architecture && AttentionBias;

    /// <summary>Qwen3 RMS-normalises every query and key head over head_dim before the rotary embedding.</summary>
    public bool HasQkNorm => Architecture == Qwen3Architecture;

    /// <summary>Query heads that share one key/value head.</summary>
    public int HeadsPerKvHead => Heads / KvHeads;

    /// <summary>Llama 2 shape with grouped-query attention (4 query heads over 2 key/value heads), no biases.</summary>
    public static TinyDecoderSpec Llama() => new(
        Architecture: LlamaArchitecture,
        VocabSize: 96,
        HiddenSize: 32,
        IntermediateSize: 64,
        Layers: 2,
        Heads: 4,
        KvHeads: 2,
        HeadDim: 8,
        RmsNormEps: 1e-5,
        RopeTheta: 10000,
        MaxPositions: 64,
        TieWordEmbeddings: false,
        AttentionBias: false,
        MlpBias: false,
        Llama3RopeScaling: null,
        SlidingWindow: null,
        BosId: 1,
        EosId: 2);

    /// <summary>
    /// Llama with every optional bias and llama3 rope scaling. With head_dim 16, theta 100 and an original
    /// context of 32 the eight frequencies fall in all three llama3 bands (wavelength below 8: kept; 8 to 32:
    /// smoothed; above 32: divided by the factor), so a short test already sees each band.
    /// </summary>
    public static TinyDecoderSpec LlamaWithBiasesAndLlama3Rope() => Llama() with
    {
        HiddenSize = 64,
        HeadDim = 16,
        RopeTheta = 100,
        MaxPositions = 128,
        AttentionBias = true,
        MlpBias = true,
        Llama3RopeScaling = new Llama3RopeScaling(Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32),
    };

    /// <summary>Mistral: grouped-query attention and a 6-token sliding window, which a 12-token test crosses.</summary>
    public static TinyDecoderSpec Mistral() => Llama() with
    {
        Architecture = MistralArchitecture,
        SlidingWindow = 6,
    };

    /// <summary>Qwen2: q/k/v biases, no o bias, tied embeddings.</summary>
    public static TinyDecoderSpec Qwen2() => Llama() with
    {
        Architecture = Qwen2Architecture,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000,
        TieWordEmbeddings = true,
    };

    /// <summary>Qwen3: per-head q/k RMSNorm and a head_dim (16) unlike hidden / heads (12), untied embeddings.</summary>
    public static TinyDecoderSpec Qwen3() => Llama() with
    {
        Architecture = Qwen3Architecture,
        HiddenSize = 48,
        HeadDim = 16,
        RmsNormEps = 1e-6,
        RopeTheta = 1_000_000,
    };

    /// <summary>
    /// Throws when the spec asks for something its architecture's config.json cannot say, so a test never
    /// believes it checks a knob that the written checkpoint silently drops.
    /// </summary>
    public void Validate()
    {
        string modelType = ModelType;
        Require(Heads % KvHeads == 0, $"heads ({Heads}) must be a multiple of kv heads ({KvHeads})");
        Require(HeadDim % 2 == 0, $"head_dim ({HeadDim}) must be even for the rotary embedding");
        Require(Architecture is LlamaArchitecture || !MlpBias, "only llama has mlp_bias");
        Require(Architecture is LlamaArchitecture or Qwen3Architecture || !AttentionBias, "only llama and qwen3 have attention_bias");
        Require(Architecture is MistralArchitecture || SlidingWindow is null, "only mistral's sliding window is modelled");
        Require(Architecture is not Qwen2Architecture || HeadDim * Heads == HiddenSize, "qwen2 has no head_dim field: head_dim must be hidden / heads");

        void Require(bool condition, string what)
        {
            if (!condition)
            {
                throw new ArgumentException($"Invalid {modelType} spec: {what}.");
            }
        }
    }
}

/// <summary>HuggingFace's rope_scaling with rope_type "llama3" (Llama 3.1 and later).</summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);
