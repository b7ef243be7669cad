using System.Diagnostics;
using System.Globalization;
using System.Text;
using GmsaSharp.Benchmarks.LlamaCpp;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using static TorchSharp.torch;

namespace GmsaSharp.Benchmarks;

/// <summary>
/// GmsaSharp against llama.cpp (LLamaSharp 0.30, CPU backend) on the same weights, the same token ids and the
/// same number of threads, in one process with the engines interleaved within every repeat so that the shared
/// machine's noise hits both alike. Full prompt = prefill of context + question, then greedy decoding; the
/// first token's time counts as prefill, the rest as decode. GMSA rows (compress + answer, and an answer from a
/// reused compressed context) come from a fresh random compressor on the same decoder.
/// Usage: <c>llama-cpp --model decode16|llama24 --dtype bf16|f32 --threads N [--contexts 512,2048] [--rates 4,8,16]
/// [--decode 32] [--repeats 3] [--out file.md]</c>.
/// </summary>
public static class LlamaCppComparison
{
    private const int QuestionTokens = 16;

    /// <summary>The random Llama of issue 22's decode measurements: hidden 1024, 16 blocks, 16 / 4 heads, ffn 2816.</summary>
    public static DecoderConfig Decode16 => new()
    {
        Architecture = DecoderArchitecture.Llama,
        VocabSize = 32000,
        HiddenSize = 1024,
        IntermediateSize = 2816,
        Layers = 16,
        Heads = 16,
        KvHeads = 4,
        HeadDim = 64,
        RmsNormEps = 1e-5,
        MaxPositionEmbeddings = 4096 + 256,
        TieWordEmbeddings = true,
    };

    /// <summary>Runs the comparison named by <paramref name="args"/> and prints a markdown table.</summary>
    public static int Run(string[] args)
    {
        var options = Options.Parse(args);
        ComputeEnvironment environment = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = options.DType, Threads = options.Threads }).Apply();
        DecoderConfig config = options.Model == "llama24" ? CompressionBenchmarks.Llama24 with { RmsNormEps = 1e-5 } : Decode16;
        using CausalLM lm = CausalLM.CreateRandom(config, environment, seed: 1);
        using GmsaCompressor? compressor = options.Model == "llama24"
            ? GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 8, EncoderLora = new LoraSettings(16, 32, 0, LoraSettings.AllProjections), WindowSize = 512 })
            : null;

        string folder = Directory.CreateTempSubdirectory("gmsa-llama-cpp-").FullName;
        try
        {
            string gguf = Path.Combine(folder, "model.gguf");
            // The bundled tokenizer, padded to the random model's vocabulary: llama.cpp needs one to load, and the
            // benchmark feeds token ids, so which tokenizer it is does not matter.
            LlamaGgufExport.Write(lm, FindBundledBase(), gguf, options.DType == ScalarType.BFloat16 ? GgmlType.BF16 : GgmlType.F32);
            using LlamaCppModel llamaCpp = LlamaCppModel.Load(gguf, options.Contexts.Max() + QuestionTokens + options.Decode, options.Threads);
            string report = Measure(options, environment, lm, compressor, llamaCpp);
            Console.WriteLine(report);
            if (options.Out is { } path)
            {
                File.WriteAllText(path, report);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    private static string Measure(Options options, ComputeEnvironment environment, CausalLM lm, GmsaCompressor? compressor, LlamaCppModel llamaCpp)
    {
        var random = new Random(2);
        int[] question = Enumerable.Range(0, QuestionTokens).Select(_ => random.Next(lm.Config.VocabSize)).ToArray();
        var timings = new Dictionary<(string Method, int Context, int Rate), List<Timing>>();
        void Record(string method, int context, int rate, Timing timing)
        {
            if (!timings.TryGetValue((method, context, rate), out List<Timing>? list))
            {
                timings[(method, context, rate)] = list = [];
            }
            list.Add(timing);
        }

        // Repeat 0 is the warm-up and is not recorded.
        for (int repeat = 0; repeat <= options.Repeats; repeat++)
        {
            foreach (int contextLength in options.Contexts)
            {
                int[] context = Enumerable.Range(0, contextLength).Select(_ => random.Next(lm.Config.VocabSize)).ToArray();
                int[] prompt = [.. context, .. question];
                Timing ours = Time(TokenGenerator.Generate(lm, prompt, Greedy(options.Decode)));
                Timing theirs = TimeLlamaCpp(llamaCpp, prompt, options.Decode);
                var answers = new List<(int Rate, Timing Fresh, Timing Reused)>();
                foreach (int rate in compressor is null ? [] : options.Rates)
                {
                    var watch = Stopwatch.StartNew();
                    using CompressedContext compressed = compressor!.CompressTokens(context, rate);
                    double compressMs = watch.Elapsed.TotalMilliseconds;
                    Timing fresh = Time(compressor.AnswerTokens(compressed, question, Greedy(options.Decode)));
                    Timing reused = Time(compressor.AnswerTokens(compressed, question, Greedy(options.Decode)));
                    answers.Add((rate, fresh with { CompressMs = compressMs }, reused));
                }
                if (repeat == 0)
                {
                    continue;
                }
                Record("gmsasharp full prompt", contextLength, 0, ours);
                Record("llama.cpp full prompt", contextLength, 0, theirs);
                foreach ((int rate, Timing fresh, Timing reused) in answers)
                {
                    Record("gmsa", contextLength, rate, fresh);
                    Record("gmsa reused", contextLength, rate, reused);
                }
            }
        }
        return Report(options, environment, lm.Config, timings);
    }

    private static GenerationOptions Greedy(int tokens) => new() { MaxNewTokens = tokens, StopAtEos = false };

    // The first token ends the prefill; every later one is a decoding step.
    private static Timing Time(IEnumerable<int> tokens)
    {
        var watch = Stopwatch.StartNew();
        double first = 0;
        int count = 0;
        foreach (int _ in tokens)
        {
            if (count++ == 0)
            {
                first = watch.Elapsed.TotalMilliseconds;
            }
        }
        return new Timing(0, first, watch.Elapsed.TotalMilliseconds - first, count - 1);
    }

    private static Timing TimeLlamaCpp(LlamaCppModel llamaCpp, int[] prompt, int decode)
    {
        llamaCpp.Reset();
        var watch = Stopwatch.StartNew();
        int next = llamaCpp.Append(prompt);
        double first = watch.Elapsed.TotalMilliseconds;
        for (int step = 1; step < decode; step++)
        {
            next = llamaCpp.Append([next]);
        }
        return new Timing(0, first, watch.Elapsed.TotalMilliseconds - first, decode - 1);
    }

    private static string Report(Options options, ComputeEnvironment environment, DecoderConfig config, Dictionary<(string Method, int Context, int Rate), List<Timing>> timings)
    {
        int bytesPerWeight = options.DType == ScalarType.BFloat16 ? 2 : 4;
        long blockWeights = (long)config.HiddenSize * config.HeadDim * (2 * config.Heads + 2 * config.KvHeads) + 3L * config.HiddenSize * config.IntermediateSize;
        // Every block matrix and the vocabulary projection are read once per token; one embedding row is negligible.
        long weightBytes = (blockWeights * config.Layers + (long)config.VocabSize * config.HiddenSize) * bytesPerWeight;
        // A step also reads every cached key and value: after 4,096 tokens of llama24 as many bytes as the weights.
        // Counted in the compute dtype for every row, llama.cpp's too (its f16 cache reads fewer bytes in f32 runs).
        long cacheBytesPerPosition = 2L * config.Layers * config.KvHeads * config.HeadDim * bytesPerWeight;
        double bandwidth = MemoryBandwidth.Measure(options.Threads);
        // The bound of a row whose decoder holds `positions` before its answer: at the answer's middle step.
        double Bound(int positions) => bandwidth / (weightBytes + (positions + QuestionTokens + options.Decode / 2) * cacheBytesPerPosition);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"model {options.Model} (hidden {config.HiddenSize}, {config.Layers} blocks, {config.Heads}/{config.KvHeads} heads, ffn {config.IntermediateSize}, vocab {config.VocabSize}), " +
            $"{environment.DType}, {options.Threads} thread(s), median of {options.Repeats} interleaved repeats after a warm-up, question {QuestionTokens} tokens, {options.Decode} generated tokens");
        text.AppendLine(CultureInfo.InvariantCulture, $"read bandwidth {bandwidth / 1e9:F1} GB/s ({options.Threads} thread(s), best of 5 passes over 1 GiB); weights read per token {weightBytes / 1e6:F0} MB; " +
            $"KV cache read per token {cacheBytesPerPosition / 1e3:F0} KB per cached position; bandwidth bound with no context {Bound(0):F1} tokens/s");
        text.AppendLine();
        text.AppendLine("| method | context tokens | rate | compress ms | prefill ms | decode tokens/s | % of bandwidth bound | total ms | speed-up vs llama.cpp full prompt |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int context in options.Contexts)
        {
            Timing reference = Median(timings[("llama.cpp full prompt", context, 0)]);
            foreach (((string method, int rowContext, int rate), List<Timing> list) in timings.Where(entry => entry.Key.Context == context))
            {
                Timing row = Median(list);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {method} | {context} | {(rate == 0 ? "-" : $"{rate}x")} | {row.CompressMs:F0} | {row.PrefillMs:F0} | {row.DecodeTokensPerSecond:F1} | {100 * row.DecodeTokensPerSecond / Bound(rate == 0 ? context : context / rate):F0}% | {row.TotalMs:F0} | {reference.TotalMs / row.TotalMs:F2}x |");
            }
        }
        return text.ToString();
    }

    // The median repeat by total time, so each row's columns come from one run.
    private static Timing Median(List<Timing> timings) => timings.OrderBy(t => t.TotalMs).ElementAt(timings.Count / 2);

    private static string FindBundledBase()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "models", "bio-small", "base");
            if (File.Exists(Path.Combine(candidate, "tokenizer.json")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"models/bio-small/base (its tokenizer goes into the GGUF) was not found above '{AppContext.BaseDirectory}'.");
    }

    private sealed record Timing(double CompressMs, double PrefillMs, double DecodeMs, int DecodeSteps)
    {
        public double TotalMs => CompressMs + PrefillMs + DecodeMs;

        public double DecodeTokensPerSecond => DecodeSteps * 1000 / DecodeMs;
    }

    private sealed record Options(string Model, ScalarType DType, int Threads, int[] Contexts, int[] Rates, int Decode, int Repeats, string? Out)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    throw new ArgumentException($"Expected '--name value' pairs, got '{string.Join(' ', args)}'.");
                }
                values[args[i][2..]] = args[i + 1];
            }
            string[] known = ["model", "dtype", "threads", "contexts", "rates", "decode", "repeats", "out"];
            if (values.Keys.Except(known).FirstOrDefault() is { } unknown)
            {
                throw new ArgumentException($"Unknown option --{unknown}; known: {string.Join(", ", known.Select(k => "--" + k))}.");
            }
            string model = values.GetValueOrDefault("model", "decode16");
            if (model is not ("decode16" or "llama24"))
            {
                throw new ArgumentException($"--model must be decode16 or llama24, got '{model}'.");
            }
            ScalarType dtype = values.GetValueOrDefault("dtype", "bf16") switch
            {
                "bf16" => ScalarType.BFloat16,
                "f32" => ScalarType.Float32,
                var other => throw new ArgumentException($"--dtype must be bf16 or f32, got '{other}'."),
            };
            var options = new Options(model, dtype, Int(values, "threads", "1"), Ints(values, "contexts", "512,2048"), Ints(values, "rates", "4,8,16"),
                Int(values, "decode", "32"), Int(values, "repeats", "3"), values.GetValueOrDefault("out"));
            if (options.Threads < 1 || options.Decode < 2 || options.Repeats < 1 || options.Contexts.Length == 0 || options.Contexts.Any(c => c < 1) || options.Rates.Any(r => r < 1))
            {
                throw new ArgumentException("--threads, --repeats, every context and rate must be at least 1, --decode at least 2.");
            }
            return options;
        }

        private static int Int(Dictionary<string, string> values, string name, string fallback) =>
            int.TryParse(values.GetValueOrDefault(name, fallback), CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new ArgumentException($"--{name} must be an integer, got '{values[name]}'.");

        private static int[] Ints(Dictionary<string, string> values, string name, string fallback) =>
            values.GetValueOrDefault(name, fallback).Split(',').Select(part => int.TryParse(part, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new ArgumentException($"--{name} must be comma-separated integers, got '{values[name]}'.")).ToArray();
    }
}
