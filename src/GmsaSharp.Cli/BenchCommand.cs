using System.CommandLine;
using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Training;
using ScottPlot;

namespace GmsaSharp.Cli;

/// <summary>`gmsa bench`: the end-to-end speed comparison (and, with --qa-data, accuracy) of GMSA against full prompts.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Base model folder (with --gmsa)." };
        var gmsa = new Option<string?>("--gmsa") { Description = "GMSA checkpoint folder (with --model)." };
        var randomLayers = new Option<int?>("--random-layers") { Description = "Instead of --model/--gmsa: a random-weight Llama with this many blocks (vocabulary 32000)." };
        var randomHidden = new Option<int>("--random-hidden") { Description = "Hidden size of that random model (a multiple of 64; heads of 64, MLP 2.75x).", DefaultValueFactory = _ => 512 };
        var randomEncoder = new Option<int>("--random-encoder-layers") { Description = "Encoder blocks of that random model's fresh compressor.", DefaultValueFactory = _ => 8 };
        var contexts = new Option<string>("--contexts") { Description = "Context lengths in tokens.", DefaultValueFactory = _ => "512,1024,2048,4096" };
        var rates = new Option<string>("--rates") { Description = "Compression rates.", DefaultValueFactory = _ => "4,8,16" };
        var answerTokens = new Option<int>("--answer-tokens") { Description = "Tokens generated per answer.", DefaultValueFactory = _ => 32 };
        var repeats = new Option<int>("--repeats") { Description = "Timed rounds, each timing the full prompt and then every rate (medians reported).", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup-rounds") { Description = "Untimed rounds first, while .NET optimises the decoding path.", DefaultValueFactory = _ => 3 };
        var qaData = new Option<string?>("--qa-data") { Description = "Held-out QA JSONL: adds Acc/EM/F1 of the full prompt and each rate." };
        var qaLimit = new Option<int>("--qa-limit") { Description = "QA samples to score.", DefaultValueFactory = _ => 50 };
        var output = new Option<string>("--out") { Description = "Folder for results.md, results.json and latency.png.", Required = true };
        var common = new CommonOptions();
        var command = new Command("bench", "Measure end-to-end latency of GMSA against the full prompt across context lengths and rates.")
            { model, gmsa, randomLayers, randomHidden, randomEncoder, contexts, rates, answerTokens, repeats, warmup, qaData, qaLimit, output };
        common.AddTo(command);
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            int[] lengths = OptionValues.PositiveIntegers(result.GetValue(contexts)!, "--contexts");
            int[] rateList = OptionValues.PositiveIntegers(result.GetValue(rates)!, "--rates");
            (CausalLM lm, GmsaCompressor compressor, string description) = Load(result.GetValue(model), result.GetValue(gmsa), result.GetValue(randomLayers), result.GetValue(randomHidden), result.GetValue(randomEncoder), lengths.Max(), common.Read(result));
            using (lm)
            using (compressor)
            {
                string header = $"{description}; {lm.Environment.Describe()}";
                Console.WriteLine(header);
                var comparison = new LatencyComparison(compressor) { AnswerTokens = result.GetValue(answerTokens), Repeats = result.GetValue(repeats), WarmupRounds = result.GetValue(warmup) };
                IReadOnlyList<LatencyRow> rows = comparison.Run(lengths, rateList, new Progress<string>(Console.WriteLine), cancellationToken);
                string folder = result.GetValue(output)!;
                Directory.CreateDirectory(folder);
                // The header is already on the console; the result files get it too.
                string markdown = LatencyComparison.Markdown(rows);
                if (result.GetValue(qaData) is { } qa)
                {
                    var samples = GmsaJsonl.Read(qa, requireQa: true).Take(result.GetValue(qaLimit)).ToArray();
                    var evaluation = new GmsaEvaluation(compressor, new GenerationOptions { MaxNewTokens = 16, StopStrings = ["\n"] });
                    var accuracy = new List<EvaluationRow> { SampleProgressBar.Run("accuracy, full prompt", samples.Length, progress => evaluation.FullPrompt(samples, progress, cancellationToken)) };
                    accuracy.AddRange(rateList.Select(rate => SampleProgressBar.Run($"accuracy, gmsa {rate}x", samples.Length, progress => evaluation.Gmsa(samples, rate, progress, cancellationToken))));
                    markdown += "\nAccuracy on held-out QA:\n\n" + GmsaEvaluation.Markdown(accuracy);
                    File.WriteAllText(Path.Combine(folder, "accuracy.json"), GmsaEvaluation.Json(accuracy));
                }
                File.WriteAllText(Path.Combine(folder, "results.md"), $"{header}\n\n{markdown}");
                File.WriteAllText(Path.Combine(folder, "results.json"), LatencyComparison.Json(rows));
                WritePlot(rows, Path.Combine(folder, "latency.png"));
                Console.Write(markdown);
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static (CausalLM, GmsaCompressor, string) Load(string? model, string? gmsa, int? randomLayers, int hidden, int randomEncoder, int longest, ComputeOptions compute)
    {
        if (randomLayers is { } layers)
        {
            if (model is not null || gmsa is not null)
            {
                throw new ArgumentException("Give either --random-layers or --model with --gmsa, not both.");
            }
            if (hidden < 64 || hidden % 64 != 0)
            {
                throw new ArgumentException($"--random-hidden must be a positive multiple of 64 (heads of 64), got {hidden}.");
            }
            var config = new DecoderConfig
            {
                Architecture = DecoderArchitecture.Llama, VocabSize = 32000, HiddenSize = hidden, IntermediateSize = hidden * 11 / 4, Layers = layers,
                Heads = hidden / 64, KvHeads = hidden / 64, HeadDim = 64, MaxPositionEmbeddings = longest + 256, TieWordEmbeddings = true,
            };
            CausalLM random = CausalLM.CreateRandom(config, ComputeEnvironment.Select(compute).Apply(), seed: 1);
            var compressor = GmsaCompressor.Create(random, new GmsaOptions { EncoderLayers = randomEncoder, EncoderLora = new LoraSettings(16, 32, 0, LoraSettings.AllProjections), WindowSize = Math.Min(512, config.MaxPositionEmbeddings) });
            return (random, compressor, $"random Llama: {layers} blocks, hidden {hidden}, encoder {randomEncoder} blocks, LSA 1, window 512");
        }
        if (model is null || gmsa is null)
        {
            throw new ArgumentException("Give --model and --gmsa, or --random-layers.");
        }
        CausalLM lm = CausalLM.FromPretrained(model, compute);
        try
        {
            GmsaCompressor compressor = GmsaCompressor.FromPretrained(gmsa, lm);
            return (lm, compressor, $"{model}: {lm.Config.Layers} blocks, hidden {lm.Config.HiddenSize}, encoder {compressor.Config.EncoderLayers} blocks, LSA {compressor.Config.LsaLayers}, window {compressor.Config.WindowSize}");
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    private static void WritePlot(IReadOnlyList<LatencyRow> rows, string path)
    {
        var plot = new Plot();
        foreach (var series in rows.GroupBy(r => r.Rate is { } rate ? $"{r.Method} {rate}x" : r.Method))
        {
            var points = series.OrderBy(r => r.ContextTokens).ToArray();
            var scatter = plot.Add.Scatter(points.Select(r => (double)r.ContextTokens).ToArray(), points.Select(r => r.TotalMs).ToArray());
            scatter.LegendText = series.Key;
        }
        plot.ShowLegend();
        plot.Title("End-to-end latency per question");
        plot.XLabel("context tokens");
        plot.YLabel("milliseconds (compress + answer)");
        plot.SavePng(path, 900, 560);
    }
}
