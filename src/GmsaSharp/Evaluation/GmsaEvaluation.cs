using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Evaluation;

/// <summary>
/// Runs the paper's comparisons over a JSONL set: GMSA at chosen rates, the plain decoder reading the whole
/// context ("full prompt"), and the same token budget spent on the context's first tokens ("truncation"),
/// for QA (Acc/EM/F1) or reconstruction (BLEU-4, ROUGE-L, prefix exact match), with end-to-end latency.
/// </summary>
public sealed class GmsaEvaluation(GmsaCompressor compressor, GenerationOptions options)
{
    /// <summary>How the full-prompt and truncation baselines lay out context and question (see
    /// <see cref="PromptLayout.FullPromptTemplate"/>); by default the checkpoint's.</summary>
    public string FullPromptTemplate { get; init; } = compressor.Config.Prompts.FullPromptTemplate;

    private CausalLM Lm => compressor.Model;

    // The checkpoint's layout, with this evaluation's full-prompt template for the baselines.
    private PromptLayout BaselinePrompts => compressor.Config.Prompts with { FullPromptTemplate = FullPromptTemplate };

    /// <summary>
    /// Checks every QA sample before any is answered, so bad data fails in seconds with its line instead of after
    /// hours: gold answers that all normalise to nothing, and contexts that do not fit the decoder at a rate (or as
    /// a full prompt) with the question and <see cref="GenerationOptions.MaxNewTokens"/>.
    /// </summary>
    /// <param name="samples">The QA samples.</param>
    /// <param name="rates">The GMSA (and truncation) rates to be run.</param>
    /// <param name="fullPrompt">Whether the full-prompt baseline will run.</param>
    /// <param name="source">The data file, named in errors with each sample's line.</param>
    public void CheckQaSamples(IReadOnlyList<GmsaSample> samples, IReadOnlyList<int> rates, bool fullPrompt, string source)
    {
        int positions = Lm.Config.MaxPositionEmbeddings;
        var baseline = new FullPromptBaseline(Lm, BaselinePrompts);
        foreach (GmsaSample sample in samples)
        {
            string where = $"'{source}' line {sample.Line}";
            if (sample.Prompt is null || sample.Answers.Count == 0)
            {
                throw new InvalidDataException($"{where} needs a 'prompt' and an 'answer' for QA evaluation.");
            }
            CheckGolds(sample, source);
            IReadOnlyList<int> context = Tokenizer.Encode(sample.Input, addBos: false);
            int question = Tokenizer.Encode(compressor.Config.Prompts.QuestionPrompt(sample.Prompt), addBos: false).Count;
            foreach (int rate in rates)
            {
                int soft = CompressedContext.SoftTokenCountFor(context.Count, compressor.Config.WindowSize, rate);
                if (soft + question + options.MaxNewTokens > positions)
                {
                    throw new InvalidDataException($"{where}: {context.Count} context tokens at rate {rate} give {soft} soft tokens; with {question} question " +
                        $"tokens and {options.MaxNewTokens} new tokens that is more than the decoder's {positions} positions.");
                }
            }
            int full = baseline.PromptTokens(context, sample.Prompt).Length;
            if (fullPrompt && full + options.MaxNewTokens > positions)
            {
                throw new InvalidDataException($"{where}: the full prompt has {full} tokens; with {options.MaxNewTokens} new tokens that is more than the decoder's {positions} positions (use --no-full-prompt).");
            }
        }
    }

    /// <summary>Refuses a sample none of whose gold answers survives SQuAD normalisation, naming its file and line.</summary>
    public static void CheckGolds(GmsaSample sample, string source)
    {
        try
        {
            QaMetrics.NormalizedGolds(sample.Answers);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{source}' line {sample.Line}: {e.Message.Replace(" (Parameter 'golds')", "", StringComparison.Ordinal)}", e);
        }
    }

    /// <summary>QA through GMSA at <paramref name="rate"/>.</summary>
    public EvaluationRow Gmsa(IReadOnlyList<GmsaSample> samples, int rate, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Qa("gmsa", rate, samples, progress, cancellationToken, sample =>
        {
            using CompressedContext context = compressor.Compress(sample.Input, rate, cancellationToken: cancellationToken);
            GenerationResult answer = compressor.AnswerAsync(context, sample.Prompt!, options, cancellationToken).GetAwaiter().GetResult();
            return (answer.Text, context.SourceTokens, context.SoftTokenCount);
        });

    /// <summary>QA with the plain decoder reading the whole context.</summary>
    public EvaluationRow FullPrompt(IReadOnlyList<GmsaSample> samples, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Qa("full prompt", null, samples, progress, cancellationToken, sample =>
        {
            IReadOnlyList<int> context = Tokenizer.Encode(sample.Input, addBos: false);
            return (AnswerPlain(context, sample, cancellationToken), context.Count, context.Count);
        });

    /// <summary>QA with the plain decoder reading only as many leading context tokens as GMSA at <paramref name="rate"/> has soft tokens.</summary>
    public EvaluationRow Truncation(IReadOnlyList<GmsaSample> samples, int rate, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Qa("truncation", rate, samples, progress, cancellationToken, sample =>
        {
            IReadOnlyList<int> context = Tokenizer.Encode(sample.Input, addBos: false);
            int budget = CompressedContext.SoftTokenCountFor(context.Count, compressor.Config.WindowSize, rate);
            return (AnswerPlain(context.Take(budget).ToArray(), sample, cancellationToken), context.Count, budget);
        });

    /// <summary>Reconstruction through GMSA at <paramref name="rate"/>: the decoder restates the context after the autoencoding instruction.</summary>
    public EvaluationRow Reconstruction(IReadOnlyList<GmsaSample> samples, int rate, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var outputs = new List<EvaluationOutput>();
        double contextTokens = 0, softTokens = 0, milliseconds = 0;
        IReadOnlyList<int> instruction = Tokenizer.Encode(compressor.Config.Prompts.AutoencodeInstruction, addBos: false);
        foreach (GmsaSample sample in samples)
        {
            var clock = Stopwatch.StartNew();
            using CompressedContext context = compressor.Compress(sample.Input, rate, cancellationToken: cancellationToken);
            var reconstruction = options with { MaxNewTokens = Math.Min(context.SourceTokens + 16, Lm.Config.MaxPositionEmbeddings - context.SoftTokenCount - instruction.Count) };
            string text = TextGeneration.CollectAsync(Tokenizer, compressor.AnswerTokens(context, instruction, reconstruction, cancellationToken), 0, reconstruction, cancellationToken)
                .GetAwaiter().GetResult().Text;
            milliseconds += clock.Elapsed.TotalMilliseconds;
            outputs.Add(new EvaluationOutput(outputs.Count, null, [sample.Input], text, null));
            contextTokens += context.SourceTokens;
            softTokens += context.SoftTokenCount;
            progress?.Report(outputs.Count);
        }
        string[] predictions = outputs.Select(o => o.Output).ToArray();
        string[] references = samples.Select(s => s.Input).ToArray();
        var scores = new ReconstructionScores(
            Bleu.Corpus(predictions, references).Score,
            predictions.Zip(references).Average(p => RougeL.Compute(p.First, p.Second).FMeasure),
            predictions.Zip(references).Average(p => PrefixExactMatch.Compute(p.First, p.Second).Fraction));
        return new EvaluationRow("gmsa reconstruction", rate, samples.Count, null, scores, contextTokens / samples.Count, softTokens / samples.Count, milliseconds / samples.Count)
        {
            Outputs = outputs,
        };
    }

    /// <summary>The rows as a Markdown table.</summary>
    public static string Markdown(IEnumerable<EvaluationRow> rows) => MarkdownTable.Render(
        ["method", "rate", "samples", "Acc", "EM", "F1", "BLEU-4", "ROUGE-L", "prefix EM", "context tokens", "decoder context tokens", "latency ms"],
        rows.Select(row => (IReadOnlyList<string>)
        [
            row.Method, row.Rate is { } rate ? rate + "x" : "-", row.Samples.ToString(CultureInfo.InvariantCulture),
            Cell(row.Qa?.Accuracy), Cell(row.Qa?.ExactMatch), Cell(row.Qa?.F1),
            Cell(row.Reconstruction?.Bleu4), Cell(row.Reconstruction?.RougeL, "F3"), Cell(row.Reconstruction?.PrefixExactMatch, "F3"),
            Cell(row.MeanContextTokens, "F0"), Cell(row.MeanDecoderContextTokens, "F0"), Cell(row.MeanLatencyMs, "F0"),
        ]));

    /// <summary>
    /// Every row's per-sample outputs as JSON lines, <c>{"method", "rate", "index", "prompt", "references", "output", "correct"}</c>,
    /// method by method.
    /// </summary>
    public static IEnumerable<string> OutputLines(IEnumerable<EvaluationRow> rows) =>
        rows.SelectMany(row => row.Outputs.Select(output => JsonSerializer.Serialize(new
        {
            method = row.Method,
            rate = row.Rate,
            index = output.Index,
            prompt = output.Prompt,
            references = output.References,
            output = output.Output,
            correct = output.Correct,
        }, OutputJson)));

    private static readonly JsonSerializerOptions OutputJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The rows as indented JSON.</summary>
    public static string Json(IEnumerable<EvaluationRow> rows) => JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true });

    private static string Cell(double? value, string format = "F2") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private HfTokenizer Tokenizer => Lm.Tokenizer ?? throw new InvalidOperationException("Evaluation needs the base model's tokenizer.");

    private string AnswerPlain(IReadOnlyList<int> context, GmsaSample sample, CancellationToken cancellationToken) =>
        new FullPromptBaseline(Lm, BaselinePrompts).AnswerAsync(context, sample.Prompt!, options, cancellationToken).GetAwaiter().GetResult().Text;

    private static EvaluationRow Qa(string method, int? rate, IReadOnlyList<GmsaSample> samples, IProgress<int>? progress, CancellationToken cancellationToken,
        Func<GmsaSample, (string Answer, int ContextTokens, int DecoderContextTokens)> answer)
    {
        if (samples.Any(s => s.Prompt is null || s.Answers.Count == 0))
        {
            throw new ArgumentException("QA evaluation needs a prompt and answers on every sample.", nameof(samples));
        }
        var outputs = new List<EvaluationOutput>();
        double contextTokens = 0, decoderTokens = 0, milliseconds = 0;
        foreach (GmsaSample sample in samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            (string prediction, int context, int tokens) = answer(sample);
            milliseconds += clock.Elapsed.TotalMilliseconds;
            contextTokens += context;
            decoderTokens += tokens;
            outputs.Add(new EvaluationOutput(outputs.Count, sample.Prompt, sample.Answers, prediction, QaMetrics.Accuracy(prediction, sample.Answers) == 1.0));
            progress?.Report(outputs.Count);
        }
        QaScores scores = QaScores.Average(outputs.Select(o => (o.Output, o.References)).ToArray());
        return new EvaluationRow(method, rate, samples.Count, scores, null, contextTokens / samples.Count, decoderTokens / samples.Count, milliseconds / samples.Count)
        {
            Outputs = outputs,
        };
    }
}
