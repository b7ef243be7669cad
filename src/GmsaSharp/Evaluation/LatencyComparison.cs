using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Generation;

namespace GmsaSharp.Evaluation;

/// <summary>
/// What compression buys, measured end to end on token ids (any model, tokenizer or not): for each context
/// length, the full prompt (prefill the context and question, then generate) against GMSA at each rate
/// (compress, then answer from the soft tokens) and a further question on an already compressed context
/// (the soft tokens' KV cache reused). Every figure is a median over rounds that each time every method, after
/// warm-up rounds, and speed-ups are ratios within the same run.
/// </summary>
public sealed class LatencyComparison(GmsaCompressor compressor)
{
    /// <summary>Tokens generated per answer (exactly; EOS does not stop it).</summary>
    public int AnswerTokens { get; init; } = 32;

    /// <summary>Tokens in the question prompt.</summary>
    public int QuestionTokens { get; init; } = 16;

    /// <summary>Timed rounds; each round measures the full prompt and then every rate.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>Untimed rounds first, so that the timed ones measure the optimised code that a long-running
    /// application runs: .NET compiles methods quickly first and optimises those that keep running, which for
    /// the decoding path takes some dozens of answers.</summary>
    public int WarmupRounds { get; init; } = 3;

    /// <summary>Seed of the random context and question tokens.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The prefill compute bound on GMSA's speed-up: prefill work falls from N·L to k·L + (n + N)·L/r.</summary>
    public static double PrefillBound(int decoderBlocks, int encoderBlocks, int lsaBlocks, int rate) =>
        decoderBlocks / (encoderBlocks + (double)(lsaBlocks + decoderBlocks) / rate);

    /// <summary>Measures every context length and rate.</summary>
    public IReadOnlyList<LatencyRow> Run(IReadOnlyList<int> contextLengths, IReadOnlyList<int> rates, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (contextLengths.Count == 0 || rates.Count == 0)
        {
            throw new ArgumentException("Give at least one context length and one rate.");
        }
        if (rates.Distinct().Count() != rates.Count)
        {
            throw new ArgumentException($"Each rate may be given once, got {string.Join(", ", rates)}.", nameof(rates));
        }
        if (Repeats < 1 || WarmupRounds < 0)
        {
            throw new ArgumentException($"Repeats must be at least 1 and WarmupRounds at least 0, got {Repeats} and {WarmupRounds}.");
        }
        var options = new GenerationOptions { MaxNewTokens = AnswerTokens, StopAtEos = false };
        var random = new Random(Seed);
        int vocabulary = compressor.Model.Config.VocabSize;
        int[] question = Enumerable.Range(0, QuestionTokens).Select(_ => random.Next(vocabulary)).ToArray();
        var rows = new List<LatencyRow>();
        foreach (int length in contextLengths)
        {
            int[] context = Enumerable.Range(0, length).Select(_ => random.Next(vocabulary)).ToArray();
            int[] fullPrompt = [.. context, .. question];
            if (fullPrompt.Length + AnswerTokens > compressor.Model.Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException($"A {length}-token context with the question and answer exceeds the model's {compressor.Model.Config.MaxPositionEmbeddings} positions.");
            }
            // Every round times the full prompt and then each rate, so that what changes during a run (the JIT
            // promoting code to its optimised tier over the first answers, the shared machine's load) reaches both
            // sides of each ratio alike. Rounds before WarmupRounds are not counted.
            var full = new List<double>();
            var compress = rates.ToDictionary(rate => rate, _ => new List<double>());
            var answer = rates.ToDictionary(rate => rate, _ => new List<double>());
            var reused = rates.ToDictionary(rate => rate, _ => new List<double>());
            for (int round = 0; round < WarmupRounds + Repeats; round++)
            {
                bool timed = round >= WarmupRounds;
                progress?.Report($"{length} tokens, {(timed ? $"round {round - WarmupRounds + 1} of {Repeats}" : $"warm-up {round + 1} of {WarmupRounds}")}");
                double fullMs = Time(() => Drain(TokenGenerator.Generate(compressor.Model, fullPrompt, options, cancellationToken)));
                if (timed)
                {
                    full.Add(fullMs);
                }
                foreach (int rate in rates)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var clock = Stopwatch.StartNew();
                    using CompressedContext compressed = compressor.CompressTokens(context, rate, cancellationToken: cancellationToken);
                    double compressMs = clock.Elapsed.TotalMilliseconds;
                    double answerMs = Time(() => Drain(compressor.AnswerTokens(compressed, question, options, cancellationToken)));
                    double reusedMs = Time(() => Drain(compressor.AnswerTokens(compressed, question, options, cancellationToken)));
                    if (timed)
                    {
                        compress[rate].Add(compressMs);
                        answer[rate].Add(answerMs);
                        reused[rate].Add(reusedMs);
                    }
                }
            }
            double fullMedian = MedianOf(full);
            rows.Add(new LatencyRow("full prompt", length, null, 0, fullMedian, 1.0, null));
            foreach (int rate in rates)
            {
                double bound = PrefillBound(compressor.Model.Config.Layers, compressor.Config.EncoderLayers, compressor.Config.LsaLayers, rate);
                double compressMedian = MedianOf(compress[rate]), answerMedian = MedianOf(answer[rate]), reusedMedian = MedianOf(reused[rate]);
                rows.Add(new LatencyRow("gmsa", length, rate, compressMedian, answerMedian, fullMedian / (compressMedian + answerMedian), bound));
                rows.Add(new LatencyRow("gmsa reused", length, rate, 0, reusedMedian, fullMedian / reusedMedian, bound));
            }
        }
        return rows;
    }

    /// <summary>The rows as a Markdown table.</summary>
    public static string Markdown(IEnumerable<LatencyRow> rows) => MarkdownTable.Render(
        ["method", "context tokens", "rate", "compress ms", "answer ms", "total ms", "speed-up vs full prompt", "prefill bound"],
        rows.Select(row => (IReadOnlyList<string>)
        [
            row.Method, Format(row.ContextTokens, "D"), row.Rate is { } rate ? rate + "x" : "-",
            Format(row.CompressMs, "F0"), Format(row.AnswerMs, "F0"), Format(row.TotalMs, "F0"),
            Format(row.SpeedUp, "F2") + "x", row.PrefillBound is { } bound ? Format(bound, "F2") + "x" : "-",
        ]));

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Format(int value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The rows as indented JSON.</summary>
    public static string Json(IEnumerable<LatencyRow> rows) => JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true });

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double MedianOf(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static void Drain(IEnumerable<int> tokens)
    {
        foreach (int _ in tokens)
        {
        }
    }
}
