using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GmsaSharp.Checkpoints;
using TorchSharp;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// Random weights for a <see cref="TinyDecoderSpec"/> from a fixed seed, under their HuggingFace names, and
/// the HuggingFace model folder (config.json + safetensors, optionally sharded) that holds them.
/// The float arrays are the values after rounding to the stored dtype, so a reference forward from them
/// and a model loaded from the folder start from bit-identical weights.
/// </summary>
public sealed class TinyCheckpoint
{
    private TinyCheckpoint(TinyDecoderSpec spec, torch.ScalarType storedDType, IReadOnlyList<string> names,
        IReadOnlyDictionary<string, float[]> weights, IReadOnlyDictionary<string, long[]> shapes)
    {
        Spec = spec;
        StoredDType = storedDType;
        Names = names;
        Weights = weights;
        Shapes = shapes;
    }

    public TinyDecoderSpec Spec { get; }

    /// <summary>Float32, BFloat16 or Float16: the dtype the safetensors files store.</summary>
    public torch.ScalarType StoredDType { get; }

    /// <summary>Every tensor name, in HuggingFace state-dict order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Each tensor's values, row-major, exactly representable in <see cref="StoredDType"/>.</summary>
    public IReadOnlyDictionary<string, float[]> Weights { get; }

    /// <summary>Each tensor's shape; linear weights are [out, in] as in PyTorch.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>Draws every weight of <paramref name="spec"/> from <paramref name="seed"/> and rounds it to
    /// <paramref name="storedDType"/>.</summary>
    public static TinyCheckpoint Create(TinyDecoderSpec spec, int seed = 1234, torch.ScalarType storedDType = torch.ScalarType.Float32)
    {
        spec.Validate();
        Func<float, float> round = storedDType switch
        {
            torch.ScalarType.Float32 => x => x,
            torch.ScalarType.BFloat16 => RoundToBFloat16,
            torch.ScalarType.Float16 => x => (float)(Half)x,
            _ => throw new ArgumentException($"Stored dtype must be Float32, BFloat16 or Float16, got {storedDType}.", nameof(storedDType)),
        };
        var random = new Random(seed);
        var names = new List<string>();
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);

        void Add(string name, long[] shape, Func<float> draw)
        {
            float[] values = new float[shape.Aggregate(1L, (product, size) => product * size)];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = round(draw());
            }
            names.Add(name);
            weights[name] = values;
            shapes[name] = shape;
        }
        float Uniform(double bound) => (float)((2 * random.NextDouble() - 1) * bound);
        // Unit-variance outputs for unit-variance inputs keep attention scores near 1, so softmax is far
        // from uniform and a wrong mask, rotation or head mapping moves the logits visibly.
        void Linear(string name, int outputs, int inputs, bool bias)
        {
            double bound = Math.Sqrt(3.0 / inputs);
            Add(name + ".weight", [outputs, inputs], () => Uniform(bound));
            if (bias)
            {
                Add(name + ".bias", [outputs], () => Uniform(0.5));
            }
        }
        // Norm weights away from 1, so a model that skips or misplaces a norm's weight gets other logits.
        void Norm(string name, int size) => Add(name, [size], () => 1 + Uniform(0.2));

        Add("model.embed_tokens.weight", [spec.VocabSize, spec.HiddenSize], () => Uniform(1));
        int queryWidth = spec.Heads * spec.HeadDim;
        int keyValueWidth = spec.KvHeads * spec.HeadDim;
        for (int layer = 0; layer < spec.Layers; layer++)
        {
            string prefix = $"model.layers.{layer}.";
            Norm(prefix + "input_layernorm.weight", spec.HiddenSize);
            Linear(prefix + "self_attn.q_proj", queryWidth, spec.HiddenSize, spec.HasQkvBias);
            Linear(prefix + "self_attn.k_proj", keyValueWidth, spec.HiddenSize, spec.HasQkvBias);
            Linear(prefix + "self_attn.v_proj", keyValueWidth, spec.HiddenSize, spec.HasQkvBias);
            Linear(prefix + "self_attn.o_proj", spec.HiddenSize, queryWidth, spec.HasOutputBias);
            if (spec.HasQkNorm)
            {
                Norm(prefix + "self_attn.q_norm.weight", spec.HeadDim);
                Norm(prefix + "self_attn.k_norm.weight", spec.HeadDim);
            }
            Norm(prefix + "post_attention_layernorm.weight", spec.HiddenSize);
            Linear(prefix + "mlp.gate_proj", spec.IntermediateSize, spec.HiddenSize, spec.MlpBias);
            Linear(prefix + "mlp.up_proj", spec.IntermediateSize, spec.HiddenSize, spec.MlpBias);
            Linear(prefix + "mlp.down_proj", spec.HiddenSize, spec.IntermediateSize, spec.MlpBias);
        }
        Norm("model.norm.weight", spec.HiddenSize);
        if (!spec.TieWordEmbeddings)
        {
            Linear("lm_head", spec.VocabSize, spec.HiddenSize, bias: false);
        }
        return new TinyCheckpoint(spec, storedDType, names, weights, shapes);
    }

    /// <summary>
    /// Writes config.json and the weights into <paramref name="directory"/> (created if missing): one
    /// <c>model.safetensors</c>, or with <paramref name="shards"/> above 1 the files
    /// <c>model-0000i-of-0000N.safetensors</c> plus <c>model.safetensors.index.json</c>.
    /// </summary>
    public void WriteTo(string directory, int shards = 1)
    {
        if (shards < 1 || shards > Names.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(shards), $"Shards must be between 1 and the tensor count {Names.Count}, got {shards}.");
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson());
        if (shards == 1)
        {
            WriteSafetensors(Path.Combine(directory, "model.safetensors"), Names);
            return;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int shard = 0; shard < shards; shard++)
        {
            string file = $"model-{shard + 1:D5}-of-{shards:D5}.safetensors";
            // Contiguous runs of the state-dict order, as HF's sharding produces; sizes need not balance.
            int first = shard * Names.Count / shards;
            int end = (shard + 1) * Names.Count / shards;
            var names = Names.Skip(first).Take(end - first).ToList();
            WriteSafetensors(Path.Combine(directory, file), names);
            foreach (string name in names)
            {
                weightMap[name] = file;
            }
        }
        long totalSize = Names.Sum(name => Weights[name].LongLength * SafetensorsDTypes.ElementSize(StoredDType));
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalSize },
            ["weight_map"] = new JsonObject(weightMap.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
        };
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), index.ToJsonString(Indented));
    }

    /// <summary>
    /// config.json as HF's config class for the architecture writes it: only the fields that class has
    /// (Qwen2 has no head_dim or attention_bias; only Llama has mlp_bias), keys sorted, with its fixed extras.
    /// A loader that reads it must therefore know each architecture's implied defaults.
    /// </summary>
    public string ConfigJson()
    {
        TinyDecoderSpec spec = Spec;
        var config = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["architectures"] = new JsonArray(spec.Architecture),
            ["attention_dropout"] = PythonFloat(0.0),
            ["bos_token_id"] = spec.BosId,
            ["eos_token_id"] = spec.EosId,
            ["hidden_act"] = "silu",
            ["hidden_size"] = spec.HiddenSize,
            ["initializer_range"] = PythonFloat(0.02),
            ["intermediate_size"] = spec.IntermediateSize,
            ["max_position_embeddings"] = spec.MaxPositions,
            ["model_type"] = spec.ModelType,
            ["num_attention_heads"] = spec.Heads,
            ["num_hidden_layers"] = spec.Layers,
            ["num_key_value_heads"] = spec.KvHeads,
            ["rms_norm_eps"] = PythonFloat(spec.RmsNormEps),
            ["rope_scaling"] = spec.Llama3RopeScaling is { } scaling
                ? new JsonObject
                {
                    ["factor"] = PythonFloat(scaling.Factor),
                    ["high_freq_factor"] = PythonFloat(scaling.HighFreqFactor),
                    ["low_freq_factor"] = PythonFloat(scaling.LowFreqFactor),
                    ["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings,
                    ["rope_type"] = "llama3",
                }
                : null,
            ["rope_theta"] = PythonFloat(spec.RopeTheta),
            ["tie_word_embeddings"] = spec.TieWordEmbeddings,
            ["torch_dtype"] = StoredDType switch
            {
                torch.ScalarType.BFloat16 => "bfloat16",
                torch.ScalarType.Float16 => "float16",
                _ => "float32",
            },
            ["transformers_version"] = "4.51.3",
            ["use_cache"] = true,
            ["vocab_size"] = spec.VocabSize,
        };
        switch (spec.Architecture)
        {
            case TinyDecoderSpec.LlamaArchitecture:
                config["attention_bias"] = spec.AttentionBias;
                config["head_dim"] = spec.HeadDim;
                config["mlp_bias"] = spec.MlpBias;
                config["pretraining_tp"] = 1;
                break;
            case TinyDecoderSpec.MistralArchitecture:
                config["head_dim"] = spec.HeadDim;
                config["sliding_window"] = spec.SlidingWindow;
                break;
            case TinyDecoderSpec.Qwen2Architecture:
                AddQwenSlidingWindowFields(config, spec);
                break;
            case TinyDecoderSpec.Qwen3Architecture:
                config["attention_bias"] = spec.AttentionBias;
                config["head_dim"] = spec.HeadDim;
                AddQwenSlidingWindowFields(config, spec);
                break;
        }
        return new JsonObject(config).ToJsonString(Indented);
    }

    /// <summary>Rounds to the nearest bfloat16 (ties to even), as PyTorch's float-to-bfloat16 cast does.</summary>
    public static float RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lowestKeptBit = (bits >> 16) & 1;
        return BitConverter.UInt32BitsToSingle((bits + 0x7FFF + lowestKeptBit) & 0xFFFF0000);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // Python's json module writes a float as its repr (10000.0, 1e-05), where .NET would write 10000 and
    // 1E-05; real configs look like Python's, and a loader must read e.g. rope_theta 10000.0 as a number.
    // A node parsed from text is written back verbatim.
    private static JsonNode PythonFloat(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();
        return JsonNode.Parse(text.Contains('.') || text.Contains('e') ? text : text + ".0")!;
    }

    // Qwen2/Qwen3 configs carry a sliding window that use_sliding_window=false switches off on every layer.
    private static void AddQwenSlidingWindowFields(SortedDictionary<string, JsonNode?> config, TinyDecoderSpec spec)
    {
        config["max_window_layers"] = spec.Layers;
        config["sliding_window"] = null;
        config["use_sliding_window"] = false;
    }

    private void WriteSafetensors(string path, IEnumerable<string> names)
    {
        using var scope = torch.NewDisposeScope();
        var tensors = names.Select(name => KeyValuePair.Create(name, torch.tensor(Weights[name], Shapes[name]).to(StoredDType)));
        SafetensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
