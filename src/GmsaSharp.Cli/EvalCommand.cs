using System.CommandLine;
using System.Text.Json;
using GmsaSharp.Data;
using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Training;

namespace GmsaSharp.Cli;

/// <summary>`gmsa eval`: a GMSA checkpoint over a JSONL set at chosen rates, against the full prompt and truncation.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var models = new GmsaModelOptions();
        var data = new Option<string>("--data") { Description = "JSONL: QA lines {input, prompt, answer}, or {input} with --reconstruction.", Required = true };
        var rates = new Option<string>("--rates") { Description = "GMSA rates to evaluate.", DefaultValueFactory = _ => "4,8" };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N samples." };
        var reconstruction = new Option<bool>("--reconstruction") { Description = "Score reconstruction (BLEU-4, ROUGE-L, prefix EM) instead of QA." };
        var noFullPrompt = new Option<bool>("--no-full-prompt") { Description = "Skip the full-prompt baseline." };
        var truncation = new Option<bool>("--truncation") { Description = "Add the truncation baseline at each rate's token budget." };
        var template = new Option<string?>("--full-prompt-template") { Description = "Layout of the baselines' prompt, with {context} and {prompt} (default: the GMSA checkpoint's)." };
        var groupBy = new Option<string?>("--group-by") { Description = "Comma-separated label fields of the QA lines (e.g. attribute,biographies from gmsa synth): accuracy per value of each, every method side by side, in results.md and breakdowns.json." };
        var output = new Option<string>("--out") { Description = "Folder for results.md, results.json and outputs.jsonl (every sample's output per method).", Required = true };
        var sampling = new SamplingOptions();
        var command = new Command("eval", "Evaluate a GMSA checkpoint on a JSONL set (QA or reconstruction) against the full prompt.")
            { data, rates, limit, reconstruction, noFullPrompt, truncation, template, groupBy, output };
        models.AddTo(command);
        sampling.AddTo(command);
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            bool isReconstruction = result.GetValue(reconstruction);
            string dataPath = result.GetValue(data)!;
            IReadOnlyList<GmsaSample> samples = GmsaJsonl.Read(dataPath, requireQa: !isReconstruction);
            if (result.GetValue(limit) is { } count)
            {
                samples = samples.Take(count).ToArray();
            }
            int[] evaluated = OptionValues.PositiveIntegers(result.GetValue(rates)!, "--rates");
            string[] groupFields = ParseGroupBy(result.GetValue(groupBy), isReconstruction, samples);
            if (!isReconstruction)
            {
                // Before the model loads: these need no tokenizer.
                foreach (GmsaSample sample in samples)
                {
                    GmsaEvaluation.CheckGolds(sample, dataPath);
                }
            }
            GenerationOptions options = sampling.Read(result);
            (var lm, var compressor) = models.Load(result);
            using (lm)
            using (compressor)
            {
                var evaluation = new GmsaEvaluation(compressor, options) { FullPromptTemplate = result.GetValue(template) ?? compressor.Config.Prompts.FullPromptTemplate };
                if (!isReconstruction)
                {
                    evaluation.CheckQaSamples(samples, evaluated, fullPrompt: !result.GetValue(noFullPrompt), dataPath);
                }
                var rows = new List<EvaluationRow>();
                string folder = result.GetValue(output)!;
                void Add(EvaluationRow row)
                {
                    rows.Add(row);
                    Console.WriteLine($"{row.Method} {(row.Rate is { } r ? r + "x" : "")}: " +
                        (row.Qa is { } qa ? $"Acc {qa.Accuracy:F2} EM {qa.ExactMatch:F2} F1 {qa.F1:F2}" : $"BLEU-4 {row.Reconstruction!.Bleu4:F2} ROUGE-L {row.Reconstruction.RougeL:F3}") +
                        $", {row.MeanLatencyMs:F0} ms/sample");
                }
                try
                {
                    if (!isReconstruction && !result.GetValue(noFullPrompt))
                    {
                        Add(SampleProgressBar.Run("full prompt", samples.Count, progress => evaluation.FullPrompt(samples, progress, cancellationToken)));
                    }
                    foreach (int rate in evaluated)
                    {
                        Add(SampleProgressBar.Run($"gmsa {rate}x", samples.Count, progress => isReconstruction
                            ? evaluation.Reconstruction(samples, rate, progress, cancellationToken)
                            : evaluation.Gmsa(samples, rate, progress, cancellationToken)));
                        if (!isReconstruction && result.GetValue(truncation))
                        {
                            Add(SampleProgressBar.Run($"truncation {rate}x", samples.Count, progress => evaluation.Truncation(samples, rate, progress, cancellationToken)));
                        }
                    }
                }
                catch when (rows.Count > 0)
                {
                    // Hours of completed methods are kept: their results are written before the error is reported.
                    WriteResults(folder, rows);
                    Console.Error.WriteLine($"The evaluation stopped; results of the {rows.Count} completed method(s) are in {folder}.");
                    throw;
                }
                QaBreakdown[] breakdowns = groupFields.Select(field => QaBreakdown.Compute(field, samples, rows)).ToArray();
                string markdown = GmsaEvaluation.Markdown(rows) + string.Concat(breakdowns.Select(b => $"\nAccuracy by {b.Field}:\n\n{b.Markdown()}"));
                WriteResults(folder, rows);
                File.WriteAllText(Path.Combine(folder, "results.md"), markdown);
                if (breakdowns.Length > 0)
                {
                    File.WriteAllText(Path.Combine(folder, "breakdowns.json"), JsonSerializer.Serialize(breakdowns, new JsonSerializerOptions { WriteIndented = true }));
                }
                Console.Write(markdown);
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static void WriteResults(string folder, IReadOnlyList<EvaluationRow> rows)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "results.md"), GmsaEvaluation.Markdown(rows));
        File.WriteAllText(Path.Combine(folder, "results.json"), GmsaEvaluation.Json(rows));
        File.WriteAllLines(Path.Combine(folder, "outputs.jsonl"), GmsaEvaluation.OutputLines(rows));
    }

    // Checked before any model is loaded, so that a misspelt field fails in a second, not after the evaluation.
    private static string[] ParseGroupBy(string? value, bool isReconstruction, IReadOnlyList<GmsaSample> samples)
    {
        if (value is null)
        {
            return [];
        }
        string[] fields = value.Split(',', StringSplitOptions.TrimEntries);
        if (fields.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"--group-by must be comma-separated field names, got '{value}'.");
        }
        if (isReconstruction)
        {
            throw new ArgumentException("--group-by applies to QA evaluation, not --reconstruction.");
        }
        foreach (string field in fields)
        {
            try
            {
                QaBreakdown.Labels(field, samples);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"--group-by {field}: {e.Message}", e);
            }
        }
        return fields;
    }
}
