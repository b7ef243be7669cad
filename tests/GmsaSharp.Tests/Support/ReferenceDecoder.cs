namespace GmsaSharp.Tests.Support;

/// <summary>
/// A plain C# forward pass of the HuggingFace LLaMA-family decoders (Llama, Mistral, Qwen2, Qwen3), written
/// from the equations with loops over float arrays and no TorchSharp, so it can judge the TorchSharp model
/// independently. Activations are float32 as in HF's fp32 path; dot products, norms and softmax accumulate
/// in double, which only removes rounding noise.
/// </summary>
public sealed class ReferenceDecoder
{
    private readonly IReadOnlyDictionary<string, float[]> _weights;
    private readonly float[] _inverseFrequencies;

    public ReferenceDecoder(TinyCheckpoint checkpoint)
        : this(checkpoint.Spec, checkpoint.Weights)
    {
    }

    /// <param name="weights">HuggingFace-named tensors, row-major; linear weights [out, in].</param>
    public ReferenceDecoder(TinyDecoderSpec spec, IReadOnlyDictionary<string, float[]> weights)
    {
        spec.Validate();
        Spec = spec;
        _weights = weights;
        _inverseFrequencies = InverseFrequencies(spec);
    }

    public TinyDecoderSpec Spec { get; }

    /// <summary>Logits [sequence, vocab] for every position, at positions 0, 1, 2, ...</summary>
    public float[,] Logits(int[] tokenIds) => Logits(tokenIds, Enumerable.Range(0, tokenIds.Length).ToArray());

    /// <summary>Logits [sequence, vocab] with explicit rotary positions (HF's position_ids).</summary>
    public float[,] Logits(int[] tokenIds, int[] positionIds) => LogitsFromEmbeddings(Embed(tokenIds), positionIds);

    /// <summary>Logits [sequence, vocab] for input embeddings [sequence, hidden] (HF's inputs_embeds).</summary>
    public float[,] LogitsFromEmbeddings(float[,] inputEmbeddings, int[] positionIds)
    {
        float[][] hidden = Rows(HiddenStates(inputEmbeddings, positionIds, Spec.Layers));
        // Tied models reuse the [vocab, hidden] embedding matrix as the output projection.
        float[] head = Weight(Spec.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight");
        return Matrix(hidden.Select(row => Linear(row, head, bias: null)).ToArray());
    }

    /// <summary>The embedding rows [sequence, hidden] of <paramref name="tokenIds"/>.</summary>
    public float[,] Embed(int[] tokenIds)
    {
        if (tokenIds.Length == 0)
        {
            throw new ArgumentException("At least one token id is needed.", nameof(tokenIds));
        }
        float[] table = Weight("model.embed_tokens.weight");
        var rows = new float[tokenIds.Length][];
        for (int t = 0; t < tokenIds.Length; t++)
        {
            int id = tokenIds[t];
            if (id < 0 || id >= Spec.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokenIds), $"Token id {id} at index {t} is outside the vocabulary [0, {Spec.VocabSize}).");
            }
            rows[t] = table.AsSpan(id * Spec.HiddenSize, Spec.HiddenSize).ToArray();
        }
        return Matrix(rows);
    }

    /// <summary>
    /// The last hidden states [sequence, hidden] after the first <paramref name="layerCount"/> decoder layers
    /// and the final norm: the full model's output for <c>Spec.Layers</c>, GMSA's truncated encoder for fewer.
    /// </summary>
    public float[,] HiddenStates(float[,] inputEmbeddings, int[] positionIds, int layerCount)
    {
        if (positionIds.Length != inputEmbeddings.GetLength(0))
        {
            throw new ArgumentException($"Expected {inputEmbeddings.GetLength(0)} position ids, one per input row, got {positionIds.Length}.", nameof(positionIds));
        }
        if (inputEmbeddings.GetLength(1) != Spec.HiddenSize)
        {
            throw new ArgumentException($"Input embeddings must have width {Spec.HiddenSize}, got {inputEmbeddings.GetLength(1)}.", nameof(inputEmbeddings));
        }
        if (layerCount < 0 || layerCount > Spec.Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"Layer count must be between 0 and {Spec.Layers}, got {layerCount}.");
        }
        float[][] hidden = Rows(inputEmbeddings);
        for (int layer = 0; layer < layerCount; layer++)
        {
            hidden = DecoderLayer(hidden, positionIds, $"model.layers.{layer}.");
        }
        float[] finalNorm = Weight("model.norm.weight");
        return Matrix(hidden.Select(row => RmsNorm(row, finalNorm)).ToArray());
    }

    /// <summary>
    /// RoPE inverse frequencies over head_dim: inv_freq[i] = 1 / theta^(2i / head_dim), i &lt; head_dim / 2,
    /// then HF's <c>_compute_llama3_parameters</c> when rope_scaling is llama3. With
    /// wavelen = 2 pi / inv_freq, low = original / low_freq_factor and high = original / high_freq_factor:
    /// wavelen &lt; high keeps inv_freq; wavelen &gt; low divides it by factor; in between it is
    /// (1 - s) inv_freq / factor + s inv_freq with s = (original / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor).
    /// </summary>
    public static float[] InverseFrequencies(TinyDecoderSpec spec)
    {
        int half = spec.HeadDim / 2;
        var inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++)
        {
            // HF forms the exponent in float32 (arange(0, dim, 2).float() / dim) before the power.
            float exponent = 2 * i / (float)spec.HeadDim;
            double frequency = 1.0 / Math.Pow(spec.RopeTheta, exponent);
            if (spec.Llama3RopeScaling is { } scaling)
            {
                frequency = Llama3Scaled(frequency, scaling);
            }
            inverseFrequencies[i] = (float)frequency;
        }
        return inverseFrequencies;
    }

    /// <summary>
    /// Rotates one query or key head in place, HF's rotate_half convention: element i pairs with element
    /// i + head_dim/2 and both turn by the angle position * inv_freq[i]:
    /// out[i] = x[i] cos - x[i+half] sin, out[i+half] = x[i+half] cos + x[i] sin.
    /// </summary>
    public static void ApplyRotary(Span<float> head, int position, float[] inverseFrequencies)
    {
        int half = inverseFrequencies.Length;
        if (head.Length != 2 * half)
        {
            throw new ArgumentException($"A head of width {head.Length} needs {head.Length / 2} frequencies, got {half}.", nameof(head));
        }
        for (int i = 0; i < half; i++)
        {
            // HF multiplies float32 inv_freq by float32 positions and takes cos/sin in float32.
            float angle = inverseFrequencies[i] * (float)position;
            float cos = MathF.Cos(angle);
            float sin = MathF.Sin(angle);
            float first = head[i];
            float second = head[i + half];
            head[i] = first * cos - second * sin;
            head[i + half] = second * cos + first * sin;
        }
    }

    /// <summary>
    /// Whether the query at sequence index <paramref name="query"/> may attend to the key at index
    /// <paramref name="key"/>: causal, and with a sliding window W only the W most recent keys, itself
    /// included. That is HF's convention (masking_utils.sliding_window_overlay: kv_idx &gt; q_idx - W, i.e.
    /// q - kv &lt; W; the older Mistral mask, which masks kv &lt;= q - W, is the same). Indices are sequence
    /// (cache) positions, not position_ids: HF builds the mask from cache_position.
    /// </summary>
    public static bool Attends(int query, int key, int? slidingWindow) =>
        key <= query && (slidingWindow is not { } window || query - key < window);

    private float[][] DecoderLayer(float[][] hidden, int[] positionIds, string prefix)
    {
        float[] inputNorm = Weight(prefix + "input_layernorm.weight");
        float[][] attention = SelfAttention(hidden.Select(row => RmsNorm(row, inputNorm)).ToArray(), positionIds, prefix + "self_attn.");
        float[][] afterAttention = Add(hidden, attention);

        float[] postAttentionNorm = Weight(prefix + "post_attention_layernorm.weight");
        float[][] mlp = afterAttention.Select(row => Mlp(RmsNorm(row, postAttentionNorm), prefix + "mlp.")).ToArray();
        return Add(afterAttention, mlp);
    }

    private float[][] SelfAttention(float[][] x, int[] positionIds, string prefix)
    {
        int length = x.Length;
        int headDim = Spec.HeadDim;
        float[][] queries = x.Select(row => Projection(row, prefix + "q_proj", Spec.HasQkvBias)).ToArray();
        float[][] keys = x.Select(row => Projection(row, prefix + "k_proj", Spec.HasQkvBias)).ToArray();
        float[][] values = x.Select(row => Projection(row, prefix + "v_proj", Spec.HasQkvBias)).ToArray();

        for (int t = 0; t < length; t++)
        {
            PrepareHeads(queries[t], Spec.Heads, positionIds[t], prefix + "q_norm.weight");
            PrepareHeads(keys[t], Spec.KvHeads, positionIds[t], prefix + "k_norm.weight");
        }

        double scale = 1.0 / Math.Sqrt(headDim);
        var output = new float[length][];
        for (int t = 0; t < length; t++)
        {
            output[t] = new float[Spec.Heads * headDim];
            for (int h = 0; h < Spec.Heads; h++)
            {
                // Grouped-query attention: consecutive query heads share a key/value head (HF's repeat_kv).
                int kvHead = h / Spec.HeadsPerKvHead;
                ReadOnlySpan<float> query = queries[t].AsSpan(h * headDim, headDim);

                var scores = new double[t + 1];
                double maxScore = double.NegativeInfinity;
                for (int j = 0; j <= t; j++)
                {
                    scores[j] = Attends(t, j, Spec.SlidingWindow)
                        ? Dot(query, keys[j].AsSpan(kvHead * headDim, headDim)) * scale
                        : double.NegativeInfinity;
                    maxScore = Math.Max(maxScore, scores[j]);
                }
                double total = 0;
                for (int j = 0; j <= t; j++)
                {
                    scores[j] = Math.Exp(scores[j] - maxScore);
                    total += scores[j];
                }
                for (int e = 0; e < headDim; e++)
                {
                    double sum = 0;
                    for (int j = 0; j <= t; j++)
                    {
                        sum += scores[j] / total * values[j][kvHead * headDim + e];
                    }
                    output[t][h * headDim + e] = (float)sum;
                }
            }
        }
        return output.Select(row => Projection(row, prefix + "o_proj", Spec.HasOutputBias)).ToArray();
    }

    // Qwen3 normalises each head over head_dim before the rotation; every architecture then rotates.
    private void PrepareHeads(float[] projected, int heads, int position, string normName)
    {
        for (int h = 0; h < heads; h++)
        {
            Span<float> head = projected.AsSpan(h * Spec.HeadDim, Spec.HeadDim);
            if (Spec.HasQkNorm)
            {
                RmsNorm(head.ToArray(), Weight(normName)).CopyTo(head);
            }
            ApplyRotary(head, position, _inverseFrequencies);
        }
    }

    // SwiGLU: down(silu(gate(x)) * up(x)).
    private float[] Mlp(float[] x, string prefix)
    {
        float[] gate = Projection(x, prefix + "gate_proj", Spec.MlpBias);
        float[] up = Projection(x, prefix + "up_proj", Spec.MlpBias);
        var product = new float[gate.Length];
        for (int i = 0; i < gate.Length; i++)
        {
            product[i] = Silu(gate[i]) * up[i];
        }
        return Projection(product, prefix + "down_proj", Spec.MlpBias);
    }

    private float[] Projection(float[] x, string name, bool hasBias) =>
        Linear(x, Weight(name + ".weight"), hasBias ? Weight(name + ".bias") : null);

    // y = W x + b with W stored [out, in], as torch.nn.Linear.
    private static float[] Linear(float[] x, float[] weight, float[]? bias)
    {
        int inputs = x.Length;
        var y = new float[weight.Length / inputs];
        for (int o = 0; o < y.Length; o++)
        {
            double sum = Dot(weight.AsSpan(o * inputs, inputs), x);
            y[o] = (float)(bias is null ? sum : sum + bias[o]);
        }
        return y;
    }

    // x * rsqrt(mean(x^2) + eps) * weight, as HF's LlamaRMSNorm in float32.
    private float[] RmsNorm(float[] x, float[] weight)
    {
        double meanSquare = 0;
        foreach (float value in x)
        {
            meanSquare += (double)value * value;
        }
        meanSquare /= x.Length;
        float inverseRms = (float)(1.0 / Math.Sqrt(meanSquare + Spec.RmsNormEps));
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = weight[i] * (x[i] * inverseRms);
        }
        return y;
    }

    private static double Llama3Scaled(double inverseFrequency, Llama3RopeScaling scaling)
    {
        double wavelength = 2 * Math.PI / inverseFrequency;
        double lowFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        if (wavelength < highFrequencyWavelength)
        {
            return inverseFrequency;
        }
        if (wavelength > lowFrequencyWavelength)
        {
            return inverseFrequency / scaling.Factor;
        }
        double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelength - scaling.LowFreqFactor)
            / (scaling.HighFreqFactor - scaling.LowFreqFactor);
        return (1 - smooth) * inverseFrequency / scaling.Factor + smooth * inverseFrequency;
    }

    private static float Silu(float x) => (float)(x / (1 + Math.Exp(-x)));

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }
        return sum;
    }

    private static float[][] Add(float[][] a, float[][] b) =>
        a.Select((row, t) => row.Select((value, i) => value + b[t][i]).ToArray()).ToArray();

    private float[] Weight(string name) =>
        _weights.TryGetValue(name, out float[]? values)
            ? values
            : throw new KeyNotFoundException($"The {Spec.ModelType} reference needs tensor '{name}', which the weights lack.");

    private static float[][] Rows(float[,] matrix)
    {
        var rows = new float[matrix.GetLength(0)][];
        for (int t = 0; t < rows.Length; t++)
        {
            rows[t] = new float[matrix.GetLength(1)];
            for (int i = 0; i < rows[t].Length; i++)
            {
                rows[t][i] = matrix[t, i];
            }
        }
        return rows;
    }

    private static float[,] Matrix(float[][] rows)
    {
        int width = rows.Length == 0 ? 0 : rows[0].Length;
        var matrix = new float[rows.Length, width];
        for (int t = 0; t < rows.Length; t++)
        {
            for (int i = 0; i < width; i++)
            {
                matrix[t, i] = rows[t][i];
            }
        }
        return matrix;
    }
}
