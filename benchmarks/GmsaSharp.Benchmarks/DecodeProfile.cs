using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// Where the time of one decoding step (batch 1, one new token after a cached prompt) goes. Times, interleaved
/// within every round so that the shared machine's noise hits all alike, per step:
/// the whole step as generation runs it (forward through the cache, then the greedy sampler); the same weights
/// read by the bare matmuls a step needs and nothing else (the floor the other ops sit on); and each part of
/// the step that reads no weights, timed alone on the step's shapes as many times as a step runs it.
/// Times are the calling thread's CPU time (with one thread, libtorch runs every op on it), so time the shared
/// machine gives to other processes does not count; wall time is printed beside it. Also counts the Tensor
/// handles one step creates. Usage: <c>decode-profile --model llama24|decode16|tiny24|MODEL_FOLDER
/// [--dtype bf16|f32] [--threads 1] [--context 512] [--steps 16] [--rounds 5]</c>.
/// </summary>
public static class DecodeProfile
{
    /// <summary>Runs the profile named by <paramref name="args"/> and prints a markdown table.</summary>
    public static int Run(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }
        string model = values.GetValueOrDefault("model", "llama24");
        ScalarType dtype = values.GetValueOrDefault("dtype", "bf16") == "f32" ? ScalarType.Float32 : ScalarType.BFloat16;
        int threads = int.Parse(values.GetValueOrDefault("threads", "1"), CultureInfo.InvariantCulture);
        int context = int.Parse(values.GetValueOrDefault("context", "512"), CultureInfo.InvariantCulture);
        int steps = int.Parse(values.GetValueOrDefault("steps", "16"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(values.GetValueOrDefault("rounds", "5"), CultureInfo.InvariantCulture);

        var options = new ComputeOptions { Device = "cpu", DType = dtype, Threads = threads };
        var environment = ComputeEnvironment.Select(options).Apply();
        // A HuggingFace model folder (the bundled base, say) is profiled with its own weights.
        bool folder = File.Exists(Path.Combine(model, "config.json"));
        DecoderConfig config = folder ? DecoderConfig.Load(Path.Combine(model, "config.json")) : model switch
        {
            "llama24" => CompressionBenchmarks.Llama24 with { RmsNormEps = 1e-5 },
            "decode16" => LlamaCppComparison.Decode16,
            // llama24's depth and head size with tiny matrices: its step is almost all per-op cost, so changes to
            // that cost show above the shared machine's noise.
            "tiny24" => CompressionBenchmarks.Llama24 with { HiddenSize = 128, Heads = 2, KvHeads = 2, IntermediateSize = 256, VocabSize = 512 },
            _ => throw new ArgumentException($"--model must be llama24, decode16, tiny24 or a model folder, got '{model}'."),
        };
        using CausalLM lm = folder ? CausalLM.FromPretrained(model, options) : CausalLM.CreateRandom(config, environment, seed: 1);
        using var profile = new Parts(lm, context);

        var parts = profile.All(steps);
        if (values.TryGetValue("parts", out string? only))
        {
            // A comma-separated list of row numbers (0 = the whole step), for A/B runs of a few rows.
            HashSet<int> keep = only.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToHashSet();
            parts = parts.Where((_, index) => keep.Contains(index)).ToList();
        }
        var times = parts.ToDictionary(part => part.Name, _ => new List<double>());
        var wallTimes = parts.ToDictionary(part => part.Name, _ => new List<double>());
        for (int round = 0; round <= rounds; round++)
        {
            foreach ((string name, int perStep, Action action) in parts)
            {
                action(); // warm the part up (allocator, oneDNN primitive cache) before timing it
                double cpu = ThreadCpuMilliseconds();
                var watch = Stopwatch.StartNew();
                for (int step = 0; step < steps; step++)
                {
                    action();
                }
                if (round > 0)
                {
                    times[name].Add((ThreadCpuMilliseconds() - cpu) / steps);
                    wallTimes[name].Add(watch.Elapsed.TotalMilliseconds / steps);
                }
            }
        }

        long handles = profile.HandlesPerStep();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"model {model} (hidden {config.HiddenSize}, {config.Layers} blocks, {config.Heads}/{config.KvHeads} heads, ffn {config.IntermediateSize}, vocab {config.VocabSize}), " +
            $"{environment.DType}, {threads} thread(s), {context}-token cache, median of {rounds} interleaved rounds of {steps} steps");
        text.AppendLine(CultureInfo.InvariantCulture, $"Tensor handles created per decoding step: {handles} ({(double)handles / config.Layers:F1} per block)");
        text.AppendLine();
        double whole = Median(times[parts[0].Name]);
        text.AppendLine("| part | runs per step | CPU ms per step | share of the step | wall ms per step |");
        text.AppendLine("|---|---|---|---|---|");
        foreach ((string name, int perStep, _) in parts)
        {
            double ms = Median(times[name]);
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {perStep} | {ms:F2} | {100 * ms / whole:F0}% | {Median(wallTimes[name]):F2} |");
        }
        Console.WriteLine(text.ToString());
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    // CLOCK_THREAD_CPUTIME_ID: CPU time of the calling thread only.
    private static double ThreadCpuMilliseconds()
    {
        if (ClockGetTime(3, out TimeSpec time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }
        return time.Seconds * 1e3 + time.Nanoseconds / 1e6;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The model, a cache holding the prompt, and inputs of the decode step's shapes for every part.</summary>
    private sealed class Parts : IDisposable
    {
        private readonly CausalLM _lm;
        private readonly DecoderConfig _config;
        private readonly int _context;
        private readonly KvCache _cache;
        private readonly KvCache _oneLayer;
        private readonly TokenSampler _sampler = new(new GenerationOptions { MaxNewTokens = 1, StopAtEos = false });
        private readonly List<Tensor> _owned = [];
        private readonly Tensor[][] _weights;
        private readonly Tensor[][] _transposed;
        private readonly Tensor _hidden, _ffn, _qkvOut, _gateUpOut, _q, _k, _v, _kCache, _vCache, _cos, _sin, _logits;
        private readonly RmsNorm _norm;
        private readonly Attention[] _attention;
        private readonly Mlp[] _mlp;
        private readonly float[] _weightBytes;
        private readonly float[] _cacheBytes;
        private readonly Tensor _tinyInput, _tinyWeight;

        public Parts(CausalLM lm, int context)
        {
            _lm = lm;
            _config = lm.Config;
            _context = context;
            ScalarType dtype = lm.Environment.DType;
            using var noGrad = no_grad();
            _cache = lm.NewCache();
            using (Tensor prompt = randint(0, _config.VocabSize, [1, context], generator: new Generator(2)))
            using (Tensor logits = lm.Forward(prompt, cache: _cache, lastPositionOnly: true))
            {
            }
            _oneLayer = new KvCache(1);

            // The step's weights as the fused matmuls read them: q/k/v, o, gate/up, down per block.
            var parameters = lm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            Tensor Cat(params string[] names) => Own(cat(names.Select(n => parameters[n]).ToArray(), 0));
            _weights = Enumerable.Range(0, _config.Layers).Select(i =>
            {
                string a = $"model.layers.{i}.self_attn.", m = $"model.layers.{i}.mlp.";
                return new[] { Cat(a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"), parameters[a + "o_proj.weight"],
                    Cat(m + "gate_proj.weight", m + "up_proj.weight"), parameters[m + "down_proj.weight"] };
            }).ToArray();

            // The same weights stored [in, out], for the layout comparison.
            _transposed = _weights.Select(block => block.Select(w => Own(w.t().contiguous())).ToArray()).ToArray();

            int heads = _config.Heads, kvHeads = _config.KvHeads, headDim = _config.HeadDim;
            var generator = new Generator(3);
            Tensor Random(params long[] shape) => Own(randn(shape, generator: generator).to(dtype));
            _hidden = Random(1, 1, _config.HiddenSize);
            _ffn = Random(1, 1, _config.IntermediateSize);
            _qkvOut = Random(1, 1, (heads + 2 * kvHeads) * headDim);
            _gateUpOut = Random(1, 1, 2 * _config.IntermediateSize);
            _q = Random(1, heads, 1, headDim);
            _k = Random(1, kvHeads, 1, headDim);
            _v = Random(1, kvHeads, 1, headDim);
            _kCache = Random(1, kvHeads, context + 1, headDim);
            _vCache = Random(1, kvHeads, context + 1, headDim);
            _logits = Own(randn(1, 1, _config.VocabSize, generator: generator));
            (Tensor cos, Tensor sin) = lm.Decoder.Rotary.Tables(Own(tensor(new long[] { context }).unsqueeze(0)), dtype);
            _cos = Own(cos);
            _sin = Own(sin);
            // The blocks' own modules, private to them: reflection keeps profiling out of the library's API.
            T Field<T>(DecoderBlock block, string name) => (T)typeof(DecoderBlock).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(block)!;
            _attention = lm.Decoder.Blocks.Select(block => Field<Attention>(block, "self_attn")).ToArray();
            _mlp = lm.Decoder.Blocks.Select(block => Field<Mlp>(block, "mlp")).ToArray();
            long bytes = _weights.Sum(block => block.Sum(w => w.NumberOfElements * w.ElementSize)) + _lm.Decoder.EmbeddingWeight.NumberOfElements * _lm.Decoder.EmbeddingWeight.ElementSize;
            _weightBytes = new float[bytes / sizeof(float)];
            Array.Fill(_weightBytes, 1f);
            _cacheBytes = new float[2L * _config.Layers * kvHeads * context * headDim * _kCache.ElementSize / sizeof(float)];
            Array.Fill(_cacheBytes, 1f);
            _tinyInput = Random(1, 1, 64);
            _tinyWeight = Random(64, 64);
            _norm = new RmsNorm(_config.HiddenSize, _config.RmsNormEps, lm.Device, dtype);
            using (Tensor filler = Random(1, kvHeads, context, headDim))
            {
                _oneLayer.Append(0, filler, filler);
                _oneLayer.Advance(context, null);
            }
        }

        private Tensor Own(Tensor tensor)
        {
            _owned.Add(tensor.DetachFromDisposeScope());
            return tensor;
        }

        // The step's weight products, four per block (q, k and v read the hidden state, down the FFN state) and the
        // vocabulary projection, each as multiply(weight [out, in], input) computes it.
        private void EveryMatmul(Tensor hidden, Tensor ffn, Func<Tensor, Tensor, Tensor> multiply)
        {
            foreach (Tensor[] block in _weights)
            {
                multiply(block[0], hidden);
                multiply(block[1], hidden);
                multiply(block[2], hidden);
                multiply(block[3], ffn);
            }
            multiply(_lm.Decoder.EmbeddingWeight, hidden);
        }

        /// <summary>(name, runs per step, one step's worth of the part) for every part; the whole step first.</summary>
        public List<(string Name, int PerStep, Action Action)> All(int steps)
        {
            int layers = _config.Layers;
            int group = _config.Heads / _config.KvHeads;
            long batch = 1, length = 1;
            var parts = new List<(string, int, Action)>
            {
                ("whole decoding step (forward + greedy sampler)", 1, () => Step()),
                ("whole decoding step under no_grad instead of inference_mode", 1, () => Step(inference: false)),
                ("weights only: the step's matmuls, libtorch's linear", 4 * layers + 1, () => Scoped(() => EveryMatmul(_hidden, _ffn, (weight, input) => nn.functional.linear(input, weight)))),
                ("weights only: the same matmuls, the decoder's single-row loop", 4 * layers + 1, () => Scoped(() => EveryMatmul(_hidden, _ffn, (weight, input) => SingleRowLinear.Forward(input, weight, null)))),
                ("floor: a .NET vector sum over as many bytes as those weights", 1, () =>
                {
                    if (MemoryBandwidth.Sum(_weightBytes) <= 0)
                    {
                        throw new InvalidOperationException("The sum read nothing.");
                    }
                }),
                ("per-call cost: as many matmuls, each [1, 64] x [64, 64]", 4 * layers + 1, () => Repeat(4 * layers + 1, () => nn.functional.linear(_tinyInput, _tinyWeight))),
                ("alternative: the same matmuls as torch.mv on [out, in] weights", 4 * layers + 1, () => Scoped(() =>
                    EveryMatmul(_hidden.reshape(-1), _ffn.reshape(-1), (weight, input) => weight.mv(input)))),
                ("alternative: the same matmuls as [out, in] weights times a column", 4 * layers + 1, () => Scoped(() =>
                    EveryMatmul(_hidden.reshape(-1, 1), _ffn.reshape(-1, 1), (weight, input) => weight.matmul(input)))),
                ("alternative: the same matmuls as matmul on [in, out] weights", 4 * layers, () => Scoped(() =>
                {
                    foreach (Tensor[] block in _transposed)
                    {
                        _hidden.matmul(block[0]);
                        _hidden.matmul(block[1]);
                        _hidden.matmul(block[2]);
                        _ffn.matmul(block[3]);
                    }
                })),
                ("for the above: the block matmuls alone, [out, in] with linear", 4 * layers, () => Scoped(() =>
                {
                    foreach (Tensor[] block in _weights)
                    {
                        nn.functional.linear(_hidden, block[0]);
                        nn.functional.linear(_hidden, block[1]);
                        nn.functional.linear(_hidden, block[2]);
                        nn.functional.linear(_ffn, block[3]);
                    }
                })),
                ("model forward without the sampler", 1, () => Scoped(() =>
                {
                    _lm.Forward(tensor(new long[] { 1 }, dtype: ScalarType.Int64).unsqueeze(0), cache: _cache, lastPositionOnly: true);
                    _cache.Truncate(_context);
                })),
                ("decoder blocks + final norm only (no embedding, no logits)", 1, () => Scoped(() =>
                {
                    _lm.Decoder.Forward(_hidden, null, null, _cache, null);
                    _cache.Truncate(_context);
                })),
                ("the blocks' own attention modules (with the cache)", layers, () => Scoped(() =>
                {
                    (Tensor cos, Tensor sin) = (_cos, _sin);
                    for (int i = 0; i < layers; i++)
                    {
                        _attention[i].Forward(_hidden, cos, sin, null, _cache, null);
                    }
                    _cache.Truncate(_cache.Length);
                })),
                ("their matmuls alone (q/k/v, o)", 2 * layers, () => Scoped(() =>
                {
                    foreach (Tensor[] block in _weights)
                    {
                        nn.functional.linear(_hidden, block[0]);
                        nn.functional.linear(_hidden, block[1]);
                    }
                })),
                ("the blocks' own MLP modules", layers, () => Scoped(() =>
                {
                    for (int i = 0; i < layers; i++)
                    {
                        _mlp[i].Forward(_hidden, null);
                    }
                })),
                ("their matmuls alone (gate/up, down)", 2 * layers, () => Scoped(() =>
                {
                    foreach (Tensor[] block in _weights)
                    {
                        nn.functional.linear(_hidden, block[2]);
                        nn.functional.linear(_ffn, block[3]);
                    }
                })),
                ("RmsNorm", 2 * layers + 1, () => Repeat(2 * layers + 1, () => _norm.Forward(_hidden))),
                ("rotary: apply to q and k", layers, () => Repeat(layers, () =>
                {
                    RotaryEmbedding.Apply(_q, _cos, _sin);
                    RotaryEmbedding.Apply(_k, _cos, _sin);
                })),
                ("rotary tables, positions, mask check", 1, () => Scoped(() =>
                {
                    Tensor positions = AttentionMasks.Positions(batch, _context, length, null, _lm.Device);
                    _lm.Decoder.Rotary.Tables(positions, _lm.Environment.DType);
                    AttentionMasks.Causal(batch, _context, length, null, _config.SlidingWindow, _lm.Device);
                })),
                ("heads: split q/k/v, view, transpose; merge back", layers, () => Repeat(layers, () =>
                {
                    long q = _config.Heads * _config.HeadDim, kv = _config.KvHeads * _config.HeadDim;
                    Tensor[] qkv = _qkvOut.split([q, kv, kv], -1);
                    qkv[0].view(1, 1, _config.Heads, _config.HeadDim).transpose(1, 2);
                    qkv[1].view(1, 1, _config.KvHeads, _config.HeadDim).transpose(1, 2);
                    qkv[2].view(1, 1, _config.KvHeads, _config.HeadDim).transpose(1, 2);
                    _q.transpose(1, 2).reshape(batch, length, q);
                })),
                ("KV cache append (write k, v; view the history)", layers, () => Repeat(layers, () =>
                {
                    _oneLayer.Append(0, _k, _v);
                    _oneLayer.Truncate(_oneLayer.Length);
                })),
                ("attention (scaled_dot_product_attention over the cache)", layers, () => Repeat(layers, () =>
                {
                    Tensor folded = group > 1 ? _q.reshape(batch, _config.KvHeads, group, _config.HeadDim) : _q;
                    nn.functional.scaled_dot_product_attention(folded, _kCache, _vCache).reshape(batch, _config.Heads, 1, _config.HeadDim);
                })),
                ("attention over the cache's own views (append, then attend)", layers, () => Repeat(layers, () =>
                {
                    (Tensor keys, Tensor values) = _oneLayer.Append(0, _k, _v);
                    Tensor folded = group > 1 ? _q.reshape(batch, _config.KvHeads, group, _config.HeadDim) : _q;
                    nn.functional.scaled_dot_product_attention(folded, keys, values).reshape(batch, _config.Heads, 1, _config.HeadDim);
                    _oneLayer.Truncate(_oneLayer.Length);
                })),
                ("attention: the decoder's single-query loop over every block's own cache", layers, () =>
                {
                    for (int layer = 0; layer < layers; layer++)
                    {
                        (Tensor? keys, Tensor? values) = _cache.Storage(layer);
                        SingleQueryAttention.Forward(_q, keys!, values!, _context, get_num_threads()).Dispose();
                    }
                }),
                ("floor: a .NET vector sum over as many bytes as that cache", 1, () =>
                {
                    if (MemoryBandwidth.Sum(_cacheBytes) <= 0)
                    {
                        throw new InvalidOperationException("The sum read nothing.");
                    }
                }),
                ("MLP silu(gate) * up, split", layers, () => Repeat(layers, () =>
                {
                    Tensor[] gateUp = _gateUpOut.split([_config.IntermediateSize, _config.IntermediateSize], -1);
                    _ = nn.functional.silu(gateUp[0]) * gateUp[1];
                })),
                ("residual adds", 2 * layers, () => Repeat(2 * layers, () => _ = _hidden + _hidden)),
                ("dispose scopes (open, move one tensor out, close)", 7 * layers, () => Repeat(7 * layers, () =>
                {
                    using var inner = NewDisposeScope();
                    (_hidden + 0).MoveToOuterDisposeScope();
                })),
                ("embed token ids + range check", 1, () => Scoped(() => _lm.Embed(tensor(new long[] { 1 }, dtype: ScalarType.Int64).unsqueeze(0)))),
                ("logits to fp32 + greedy sampler", 1, () => Scoped(() =>
                {
                    using Tensor flat = _logits.reshape(-1);
                    _sampler.Next(flat, Array.Empty<int>());
                })),
            };
            return parts;
        }

        // One decoding step as TokenGenerator runs it, then the cache forgets it so every step reads the same length.
        private void Step(bool inference = true)
        {
            using var scope = NewDisposeScope();
            using IDisposable noGrad = inference ? inference_mode() : no_grad();
            Tensor ids = tensor(new long[] { 1 }, dtype: ScalarType.Int64).unsqueeze(0);
            Tensor logits = _lm.Forward(ids, cache: _cache, lastPositionOnly: true);
            using (Tensor flat = logits.reshape(-1))
            {
                _sampler.Next(flat, Array.Empty<int>());
            }
            _cache.Truncate(_context);
        }

        /// <summary>Tensor handles one decoding step creates (TorchSharp's per-thread counters).</summary>
        public long HandlesPerStep()
        {
            var statistics = DisposeScopeManager.Statistics.TensorStatistics;
            long before = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
            Step();
            return statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - before;
        }

        private static void Scoped(Action action)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            action();
        }

        private static void Repeat(int count, Action action) => Scoped(() =>
        {
            for (int i = 0; i < count; i++)
            {
                action();
            }
        });

        public void Dispose()
        {
            _cache.Dispose();
            _oneLayer.Dispose();
            _sampler.Dispose();
            _norm.Dispose();
            foreach (Tensor tensor in _owned)
            {
                tensor.Dispose();
            }
        }
    }
}
