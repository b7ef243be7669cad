using System.Text.Json.Nodes;
using GmsaSharp.Checkpoints;
using TorchSharp;

namespace GmsaSharp.Tests.Support;

/// <summary>
/// Checks the reference decoder and the tiny checkpoints against facts known without either: rotary and
/// llama3 identities, hand-computable forwards, equivalent models, and the files read back by the library.
/// </summary>
public class ReferenceDecoderTests
{
    private static readonly int[] TwelveTokens = [1, 17, 42, 5, 88, 23, 9, 64, 31, 77, 12, 50];

    [Fact]
    public void RotaryAtPositionZeroIsTheIdentity()
    {
        float[] inverseFrequencies = ReferenceDecoder.InverseFrequencies(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope());
        float[] head = Enumerable.Range(0, 16).Select(i => i - 7.5f).ToArray();
        float[] rotated = head.ToArray();

        ReferenceDecoder.ApplyRotary(rotated, position: 0, inverseFrequencies);

        Assert.Equal(head, rotated);
    }

    [Fact]
    public void RotaryTurnsElementITowardsElementIPlusHalfHeadDim()
    {
        float[] inverseFrequencies = ReferenceDecoder.InverseFrequencies(TinyDecoderSpec.Llama());
        const int position = 3;
        const int i = 1;
        float[] head = new float[8];
        head[i] = 1;

        ReferenceDecoder.ApplyRotary(head, position, inverseFrequencies);

        // rotate_half pairs element i with i + 4: (1, 0) turns to (cos a, sin a), a = 3 / 10000^(2/8) = 0.3.
        var expected = new float[8];
        expected[i] = MathF.Cos(0.3f);
        expected[i + 4] = MathF.Sin(0.3f);
        Assert.Equal(expected, head, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Llama3InverseFrequenciesMatchTheFormulaByHand()
    {
        TinyDecoderSpec spec = TinyDecoderSpec.Llama() with
        {
            RopeTheta = 100,
            Llama3RopeScaling = new Llama3RopeScaling(Factor: 4, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32),
        };

        float[] inverseFrequencies = ReferenceDecoder.InverseFrequencies(spec);

        // head_dim 8: plain inv_freq = 100^(-i/4) = 1, 0.316228, 0.1, 0.0316228; wavelengths 2 pi / inv_freq =
        // 6.28, 19.87, 62.83, 198.7. The band edges are 32 / 4 = 8 and 32 / 1 = 32, so:
        // i = 0 is below 8 and kept; i = 2, 3 are above 32 and divided by 4;
        // i = 1 is smoothed: s = (32 / 19.87 - 1) / (4 - 1) = 0.203510, inv = 0.316228 ((1 - s) / 4 + s) = 0.127324.
        Assert.Equal(new[] { 1f, 0.127324f, 0.025f, 0.00790569f }, inverseFrequencies, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Llama3PresetKeepsHighFrequenciesAndDividesLowOnes()
    {
        TinyDecoderSpec spec = TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope();
        Llama3RopeScaling scaling = spec.Llama3RopeScaling!;
        float[] plain = ReferenceDecoder.InverseFrequencies(spec with { Llama3RopeScaling = null });
        float[] scaled = ReferenceDecoder.InverseFrequencies(spec);

        int kept = 0, divided = 0, smoothed = 0;
        for (int i = 0; i < plain.Length; i++)
        {
            double wavelength = 2 * Math.PI / plain[i];
            if (wavelength < scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor)
            {
                Assert.Equal(plain[i], scaled[i]);
                kept++;
            }
            else if (wavelength > scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor)
            {
                Assert.Equal(plain[i] / scaling.Factor, scaled[i], 1e-6 * plain[i]);
                divided++;
            }
            else
            {
                Assert.InRange(scaled[i], plain[i] / scaling.Factor, plain[i]);
                smoothed++;
            }
        }
        // The preset is meant to exercise all three bands.
        Assert.Equal((1, 2, 5), (kept, smoothed, divided));
    }

    [Fact]
    public void SlidingWindowAttendsToExactlyTheLastWindowKeys()
    {
        bool[] visibleFromFive = Enumerable.Range(0, 8).Select(key => ReferenceDecoder.Attends(5, key, slidingWindow: 3)).ToArray();
        bool[] causalFromFive = Enumerable.Range(0, 8).Select(key => ReferenceDecoder.Attends(5, key, slidingWindow: null)).ToArray();

        // Window 3: the query itself and the two keys before it; never the future.
        Assert.Equal([false, false, false, true, true, true, false, false], visibleFromFive);
        Assert.Equal([true, true, true, true, true, true, false, false], causalFromFive);
        Assert.True(ReferenceDecoder.Attends(0, 0, slidingWindow: 1));
        Assert.False(ReferenceDecoder.Attends(1, 0, slidingWindow: 1));
    }

    [Fact]
    public void SlidingWindowChangesOnlyPositionsWhoseWindowExcludesAKey()
    {
        TinyCheckpoint checkpoint = TinyCheckpoint.Create(TinyDecoderSpec.Mistral());
        var windowed = new ReferenceDecoder(checkpoint);
        var full = new ReferenceDecoder(checkpoint.Spec with { SlidingWindow = null }, checkpoint.Weights);

        float[][] windowedRows = Rows(windowed.Logits(TwelveTokens));
        float[][] fullRows = Rows(full.Logits(TwelveTokens));

        // Window 6: query i sees keys i-5..i, so positions 0..5 see everything and positions 6..11 lose keys.
        for (int t = 0; t < 6; t++)
        {
            Assert.Equal(fullRows[t], windowedRows[t]);
        }
        for (int t = 6; t < 12; t++)
        {
            Assert.NotEqual(fullRows[t], windowedRows[t]);
        }
    }

    [Fact]
    public void OneTokenThroughOneLayerIsTheValuePathByHand()
    {
        // One key means softmax = 1: attention returns v (of the query head's kv head) whatever q, k and rope do.
        TinyDecoderSpec spec = TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope() with { Layers = 1 };
        TinyCheckpoint checkpoint = TinyCheckpoint.Create(spec, seed: 7);
        IReadOnlyDictionary<string, float[]> w = checkpoint.Weights;
        const int token = 42;
        const string layer = "model.layers.0.";

        float[] x = w["model.embed_tokens.weight"].AsSpan(token * spec.HiddenSize, spec.HiddenSize).ToArray();
        float[] v = Affine(w[layer + "self_attn.v_proj.weight"], w[layer + "self_attn.v_proj.bias"], Rms(x, w[layer + "input_layernorm.weight"], spec.RmsNormEps));
        float[] heads = new float[spec.Heads * spec.HeadDim];
        for (int h = 0; h < spec.Heads; h++)
        {
            Array.Copy(v, h / 2 * spec.HeadDim, heads, h * spec.HeadDim, spec.HeadDim);
        }
        float[] h1 = Sum(x, Affine(w[layer + "self_attn.o_proj.weight"], w[layer + "self_attn.o_proj.bias"], heads));
        float[] m = Rms(h1, w[layer + "post_attention_layernorm.weight"], spec.RmsNormEps);
        float[] gate = Affine(w[layer + "mlp.gate_proj.weight"], w[layer + "mlp.gate_proj.bias"], m);
        float[] up = Affine(w[layer + "mlp.up_proj.weight"], w[layer + "mlp.up_proj.bias"], m);
        float[] gated = gate.Select((g, i) => g / (1 + MathF.Exp(-g)) * up[i]).ToArray();
        float[] h2 = Sum(h1, Affine(w[layer + "mlp.down_proj.weight"], w[layer + "mlp.down_proj.bias"], gated));
        float[] expected = Affine(w["lm_head.weight"], null, Rms(h2, w["model.norm.weight"], spec.RmsNormEps));

        float[] logits = Rows(new ReferenceDecoder(checkpoint).Logits([token]))[0];

        Assert.Equal(expected, logits, new FloatTolerance(1e-4f));
    }

    [Fact]
    public void GroupedQueryAttentionEqualsMultiHeadWithRepeatedKeyValueHeads()
    {
        // HF's repeat_kv expands kv heads [a, b] to [a, a, b, b]: query head h reads kv head h / (heads / kv_heads).
        TinyCheckpoint grouped = TinyCheckpoint.Create(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope());
        TinyDecoderSpec spec = grouped.Spec;
        TinyDecoderSpec multiHeadSpec = spec with { KvHeads = spec.Heads };
        var multiHeadWeights = new Dictionary<string, float[]>(grouped.Weights);
        foreach (string name in grouped.Names.Where(n => n.Contains(".k_proj.") || n.Contains(".v_proj.")))
        {
            float[] values = grouped.Weights[name];
            int headSize = values.Length / spec.KvHeads;
            multiHeadWeights[name] = Enumerable.Range(0, spec.Heads)
                .SelectMany(h => values.Skip(h / spec.HeadsPerKvHead * headSize).Take(headSize))
                .ToArray();
        }

        float[,] groupedLogits = new ReferenceDecoder(grouped).Logits(TwelveTokens);
        float[,] multiHeadLogits = new ReferenceDecoder(multiHeadSpec, multiHeadWeights).Logits(TwelveTokens);

        Assert.Equal(groupedLogits, multiHeadLogits);
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void EveryPresetGivesFiniteLogitsThatDependOnlyOnThePast(string preset)
    {
        var decoder = new ReferenceDecoder(TinyCheckpoint.Create(Preset(preset)));

        float[][] full = Rows(decoder.Logits(TwelveTokens));
        float[][] prefix = Rows(decoder.Logits(TwelveTokens[..5]));

        Assert.Equal(TwelveTokens.Length, full.Length);
        Assert.All(full, row => Assert.Equal(decoder.Spec.VocabSize, row.Length));
        Assert.All(full, row => Assert.All(row, value => Assert.True(float.IsFinite(value))));
        Assert.Equal(prefix, full[..5]);
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void ShiftingEveryPositionLeavesLogitsUnchanged(string preset)
    {
        // q.k after rotary depends only on the position difference, so a common shift changes nothing;
        // this fails if q and k were rotated by different conventions.
        var decoder = new ReferenceDecoder(TinyCheckpoint.Create(Preset(preset)));
        int[] positions = Enumerable.Range(0, TwelveTokens.Length).ToArray();

        float[,] atZero = decoder.Logits(TwelveTokens, positions);
        float[,] shifted = decoder.Logits(TwelveTokens, positions.Select(p => p + 9).ToArray());

        Assert.Equal(decoder.Logits(TwelveTokens), atZero);
        Assert.Equal(Flatten(atZero), Flatten(shifted), new FloatTolerance(1e-4f));
    }

    [Theory]
    [InlineData(torch.ScalarType.Float32)]
    [InlineData(torch.ScalarType.BFloat16)]
    [InlineData(torch.ScalarType.Float16)]
    public void WrittenTensorsReadBackAsTheFloatArrays(torch.ScalarType dtype)
    {
        TinyCheckpoint checkpoint = TinyCheckpoint.Create(TinyDecoderSpec.Qwen3(), storedDType: dtype);
        using var directory = new TemporaryDirectory();
        checkpoint.WriteTo(directory.Path);

        using var file = SafetensorsFile.Open(System.IO.Path.Combine(directory.Path, "model.safetensors"));

        Assert.Equal(checkpoint.Names.Order(), file.Entries.Keys.Order());
        foreach (string name in checkpoint.Names)
        {
            using torch.Tensor stored = file.Read(name);
            Assert.Equal(dtype, stored.dtype);
            Assert.Equal(checkpoint.Shapes[name], stored.shape);
            using torch.Tensor widened = stored.to(torch.ScalarType.Float32);
            // Bit-exact: the arrays already hold the values after rounding to the stored dtype.
            Assert.Equal(checkpoint.Weights[name], widened.data<float>().ToArray());
        }
    }

    [Fact]
    public void BFloat16WeightsAreRoundedToNearestEven()
    {
        float one = 1f;
        float halfwayDown = BitConverter.UInt32BitsToSingle(0x3F80_8000);
        float halfwayUp = BitConverter.UInt32BitsToSingle(0x3F81_8000);
        float justAbove = BitConverter.UInt32BitsToSingle(0x3F80_8001);

        Assert.Equal(one, TinyCheckpoint.RoundToBFloat16(one));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F80_0000), TinyCheckpoint.RoundToBFloat16(halfwayDown));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F82_0000), TinyCheckpoint.RoundToBFloat16(halfwayUp));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F81_0000), TinyCheckpoint.RoundToBFloat16(justAbove));
        Assert.All(TinyCheckpoint.Create(TinyDecoderSpec.Llama(), storedDType: torch.ScalarType.BFloat16).Weights.Values,
            values => Assert.All(values, value => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(value) & 0xFFFF)));
    }

    [Fact]
    public void ShardedCheckpointIndexListsEveryTensorOnce()
    {
        TinyCheckpoint checkpoint = TinyCheckpoint.Create(TinyDecoderSpec.Mistral(), storedDType: torch.ScalarType.BFloat16);
        using var directory = new TemporaryDirectory();
        checkpoint.WriteTo(directory.Path, shards: 3);

        JsonNode index = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(directory.Path, "model.safetensors.index.json")))!;
        var weightMap = index["weight_map"]!.AsObject().ToDictionary(pair => pair.Key, pair => (string)pair.Value!);
        string[] files = ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"];

        Assert.False(File.Exists(System.IO.Path.Combine(directory.Path, "model.safetensors")));
        Assert.Equal(checkpoint.Names.Order(), weightMap.Keys.Order());
        Assert.Equal(files, weightMap.Values.Distinct().Order());
        Assert.Equal(checkpoint.Weights.Values.Sum(values => 2L * values.Length), (long)index["metadata"]!["total_size"]!);
        var namesInFiles = new List<string>();
        foreach (string file in files)
        {
            using var shard = SafetensorsFile.Open(System.IO.Path.Combine(directory.Path, file));
            namesInFiles.AddRange(shard.Entries.Keys);
            foreach (string name in shard.Entries.Keys)
            {
                using var scope = torch.NewDisposeScope();
                Assert.Equal(file, weightMap[name]);
                torch.Tensor widened = shard.Read(name).to(torch.ScalarType.Float32);
                Assert.Equal(checkpoint.Weights[name], widened.data<float>().ToArray());
            }
        }
        Assert.Equal(checkpoint.Names.Order(), namesInFiles.Order());
    }

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void ConfigJsonHasTheArchitecturesFields(string preset)
    {
        TinyDecoderSpec spec = Preset(preset);
        JsonObject config = JsonNode.Parse(TinyCheckpoint.Create(spec).ConfigJson())!.AsObject();

        Assert.Equal(spec.Architecture, (string)config["architectures"]![0]!);
        Assert.Equal(spec.ModelType, (string)config["model_type"]!);
        Assert.Equal(spec.HiddenSize, (int)config["hidden_size"]!);
        Assert.Equal(spec.KvHeads, (int)config["num_key_value_heads"]!);
        Assert.Equal(spec.TieWordEmbeddings, (bool)config["tie_word_embeddings"]!);
        Assert.Equal("silu", (string)config["hidden_act"]!);
        Assert.Equal("float32", (string)config["torch_dtype"]!);
        Assert.Equal(spec.Architecture != TinyDecoderSpec.Qwen2Architecture, config.ContainsKey("head_dim"));
        Assert.Equal(spec.ModelType is "llama" or "qwen3", config.ContainsKey("attention_bias"));
        Assert.Equal(spec.ModelType is "llama", config.ContainsKey("mlp_bias"));
        Assert.Equal(spec.SlidingWindow, (int?)config["sliding_window"]);
        Assert.Equal(spec.Llama3RopeScaling is null ? null : "llama3", (string?)config["rope_scaling"]?["rope_type"]);
        Assert.Equal(spec.RopeTheta, (double)config["rope_theta"]!);
        Assert.Equal(spec.RmsNormEps, (double)config["rms_norm_eps"]!);
    }

    [Fact]
    public void ConfigJsonWritesFloatsAsPythonDoes()
    {
        string config = TinyCheckpoint.Create(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope()).ConfigJson();

        Assert.Contains("\"rope_theta\": 100.0,", config);
        Assert.Contains("\"rms_norm_eps\": 1e-05,", config);
        Assert.Contains("\"factor\": 8.0,", config);
        Assert.Contains("\"original_max_position_embeddings\": 32,", config);
    }

    [Fact]
    public void TensorNamesFollowEachArchitecturesBiasAndNormRules()
    {
        IReadOnlyList<string> qwen2 = TinyCheckpoint.Create(TinyDecoderSpec.Qwen2()).Names;
        TinyCheckpoint qwen3 = TinyCheckpoint.Create(TinyDecoderSpec.Qwen3());
        IReadOnlyList<string> llamaWithBiases = TinyCheckpoint.Create(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope()).Names;

        Assert.Contains("model.layers.1.self_attn.q_proj.bias", qwen2);
        Assert.Contains("model.layers.1.self_attn.v_proj.bias", qwen2);
        Assert.DoesNotContain("model.layers.1.self_attn.o_proj.bias", qwen2);
        Assert.DoesNotContain("lm_head.weight", qwen2);
        Assert.Equal([16L], qwen3.Shapes["model.layers.0.self_attn.k_norm.weight"]);
        Assert.Equal([64L, 48L], qwen3.Shapes["model.layers.0.self_attn.q_proj.weight"]);
        Assert.Equal([48L, 64L], qwen3.Shapes["model.layers.0.self_attn.o_proj.weight"]);
        Assert.DoesNotContain(qwen3.Names, name => name.EndsWith(".bias"));
        Assert.Contains("lm_head.weight", qwen3.Names);
        Assert.Contains("model.layers.0.self_attn.o_proj.bias", llamaWithBiases);
        Assert.Contains("model.layers.0.mlp.down_proj.bias", llamaWithBiases);
    }

    [Fact]
    public void SpecsTheirConfigCannotExpressAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TinyCheckpoint.Create(TinyDecoderSpec.Mistral() with { AttentionBias = true }));
        Assert.Throws<ArgumentException>(() => TinyCheckpoint.Create(TinyDecoderSpec.Qwen2() with { HeadDim = 16 }));
        Assert.Throws<ArgumentException>(() => TinyCheckpoint.Create(TinyDecoderSpec.Llama() with { SlidingWindow = 4 }));
    }

    public static TheoryData<string> PresetNames() =>
        new(nameof(TinyDecoderSpec.Llama), nameof(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope), nameof(TinyDecoderSpec.Mistral),
            nameof(TinyDecoderSpec.Qwen2), nameof(TinyDecoderSpec.Qwen3));

    private static TinyDecoderSpec Preset(string name) => name switch
    {
        nameof(TinyDecoderSpec.Llama) => TinyDecoderSpec.Llama(),
        nameof(TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope) => TinyDecoderSpec.LlamaWithBiasesAndLlama3Rope(),
        nameof(TinyDecoderSpec.Mistral) => TinyDecoderSpec.Mistral(),
        nameof(TinyDecoderSpec.Qwen2) => TinyDecoderSpec.Qwen2(),
        nameof(TinyDecoderSpec.Qwen3) => TinyDecoderSpec.Qwen3(),
        _ => throw new ArgumentException($"Unknown preset '{name}'."),
    };

    // y = W x + b for W [out, in], written out again here rather than shared with the reference.
    private static float[] Affine(float[] weight, float[]? bias, float[] x)
    {
        var y = new float[weight.Length / x.Length];
        for (int o = 0; o < y.Length; o++)
        {
            double sum = bias?[o] ?? 0;
            for (int i = 0; i < x.Length; i++)
            {
                sum += weight[o * x.Length + i] * (double)x[i];
            }
            y[o] = (float)sum;
        }
        return y;
    }

    private static float[] Rms(float[] x, float[] weight, double eps)
    {
        double rms = Math.Sqrt(x.Average(value => (double)value * value) + eps);
        return x.Select((value, i) => (float)(value / rms * weight[i])).ToArray();
    }

    private static float[] Sum(float[] a, float[] b) => a.Select((value, i) => value + b[i]).ToArray();

    private static float[][] Rows(float[,] matrix) =>
        Enumerable.Range(0, matrix.GetLength(0))
            .Select(t => Enumerable.Range(0, matrix.GetLength(1)).Select(i => matrix[t, i]).ToArray())
            .ToArray();

    private static float[] Flatten(float[,] matrix) => matrix.Cast<float>().ToArray();

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(y));

        public int GetHashCode(float value) => 0;
    }

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("gmsa-tiny-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
