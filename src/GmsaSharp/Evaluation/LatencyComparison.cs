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
/// (the soft tokens' KV cache reused). Every figure is a median over repeats after a warm-up, and speed-ups
/// are ratios within the same run.
/// </summary>
public sealed class LatencyComparison(GmsaCompressor compressor)
{
    /// <summary>Tokens generated per answer (exactly; EOS does not stop it).</summary>
    public int AnswerTokens { get; init; } = 32;

    /// <summary>Tokens in the question prompt.</summary>
    public int QuestionTokens { get; init; } = 16;

    /// <summary>Timed repeats per configuration (after one warm-up).</summary>
    public int Repeats { get; init; } = 3;

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
            progress?.Report($"full prompt, {length} tokens");
            double full = Median(() => Drain(TokenGenerator.Generate(compressor.Model, fullPrompt, options, cancellationToken)));
            rows.Add(new LatencyRow("full prompt", length, null, 0, full, 1.0, null));
            foreach (int rate in rates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report($"gmsa {rate}x, {length} tokens");
                double bound = PrefillBound(compressor.Model.Config.Layers, compressor.Config.EncoderLayers, compressor.Config.LsaLayers, rate);
                var compress = new List<double>();
                var answer = new List<double>();
                var reused = new List<double>();
                for (int repeat = 0; repeat <= Repeats; repeat++)
                {
                    var clock = Stopwatch.StartNew();
                    using CompressedContext compressed = compressor.CompressTokens(context, rate, cancellationToken: cancellationToken);
                    double compressMs = clock.Elapsed.TotalMilliseconds;
                    double answerMs = Time(() => Drain(compressor.AnswerTokens(compressed, question, options, cancellationToken)));
                    double reusedMs = Time(() => Drain(compressor.AnswerTokens(compressed, question, options, cancellationToken)));
                    if (repeat > 0)
                    {
                        compress.Add(compressMs);
                        answer.Add(answerMs);
                        reused.Add(reusedMs);
                    }
                }
                double compressMedian = MedianOf(compress), answerMedian = MedianOf(answer), reusedMedian = MedianOf(reused);
                rows.Add(new LatencyRow("gmsa", length, rate, compressMedian, answerMedian, full / (compressMedian + answerMedian), bound));
                rows.Add(new LatencyRow("gmsa reused", length, rate, 0, reusedMedian, full / reusedMedian, bound));
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

    private double Median(Action action)
    {
        action();
        return MedianOf(Enumerable.Range(0, Repeats).Select(_ => Time(action)).ToList());
    }

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
