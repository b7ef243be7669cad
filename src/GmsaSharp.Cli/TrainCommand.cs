using System.CommandLine;
using System.Text.Json.Nodes;
using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Training;

namespace GmsaSharp.Cli;

/// <summary>`gmsa train pretrain|autoencode|keft`.</summary>
internal static class TrainCommand
{
    public static Command Create() => new("train", "Train a base decoder (pretrain) or a GMSA compressor (autoencode, then keft).")
    {
        Pretrain(),
        Qa(),
        Autoencode(),
        Keft(),
        Distill(),
    };

    private static Command Pretrain()
    {
        var training = new TrainingCliOptions();
        var model = new Option<string?>("--model") { Description = "Continue training this HF model folder." };
        var config = new Option<string?>("--config") { Description = "Start from scratch: a config.json describing the decoder." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "With --config: the folder holding tokenizer.json / tokenizer_config.json." };
        var data = new Option<string[]>("--data") { Description = "Plain-text training file(s); each file is one stream (EOS added at its end).", Required = true, AllowMultipleArgumentsPerToken = true };
        var sequence = new Option<int>("--seq-len") { Description = "Tokens predicted per training sequence.", DefaultValueFactory = _ => 1024 };
        var packing = new Option<string>("--packing")
        {
            Description = "stream: cut the text into full sequences; records: one EOS-terminated record (e.g. a document and its questions) per sequence, cutting only records longer than --seq-len.",
            DefaultValueFactory = _ => "stream",
        };
        var command = new Command("pretrain", "Causal-LM training of a decoder, from scratch (--config, --tokenizer) or from a model (--model).") { model, config, tokenizer, data, sequence, packing };
        training.AddTo(command);
        training.SetAction(command, (result, run) =>
        {
            PretrainPacking packed = OptionValues.Enum<PretrainPacking>(result.GetValue(packing)!, "--packing");
            using CausalLM lm = LoadOrCreate(result.GetValue(model), result.GetValue(config), result.GetValue(tokenizer), run.Output, run.Resume, run.Compute, run.Options.Seed);
            var stage = new PretrainStage(lm, result.GetValue(data)!, result.GetValue(sequence), run.Options.Seed, packed);
            Console.WriteLine($"pretrain: {lm.parameters().Sum(p => p.numel()):N0} parameters, {stage.Tokens:N0} tokens in {stage.Sequences:N0} sequences" +
                (packed == PretrainPacking.Records ? $" ({stage.WindowedRecords:N0} records longer than --seq-len cut into windows)" : "") + $"; {lm.Environment.Describe()}");
            return run.Train(stage);
        });
        return command;
    }

    private static Command Qa()
    {
        var training = new TrainingCliOptions();
        var model = new Option<string>("--model") { Description = "The decoder to fine-tune (HF folder).", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL with {\"input\", \"prompt\", \"answer\"} per line; consecutive lines with the same input share one copy of it.", Required = true };
        var sequence = new Option<int>("--seq-len") { Description = "Most tokens per training sequence (context and the questions packed after it).", DefaultValueFactory = _ => 1024 };
        var questionTemplate = new Option<string>("--question-template") { Description = "Question prompt after the context; {question} is replaced. Use the GMSA checkpoint's.", DefaultValueFactory = _ => PromptLayout.Default.QuestionTemplate };
        var answerPrefix = new Option<string>("--answer-prefix") { Description = "Text before each answer (e.g. a space after 'Answer:').", DefaultValueFactory = _ => PromptLayout.Default.AnswerPrefix };
        var contextLoss = new Option<bool>("--context-loss") { Description = "Also train on the context tokens (language modelling), not only on the answers." };
        var command = new Command("qa", "Fine-tune a decoder to answer questions from a full, uncompressed context (loss on the answers).")
            { model, data, sequence, questionTemplate, answerPrefix, contextLoss };
        training.AddTo(command);
        training.SetAction(command, (result, run) =>
        {
            // On --resume the checkpoint then overwrites every weight exactly.
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, run.Compute);
            var prompts = new PromptLayout { QuestionTemplate = result.GetValue(questionTemplate)!, AnswerPrefix = result.GetValue(answerPrefix)! };
            var stage = new FullContextQaStage(lm, GmsaJsonl.Read(result.GetValue(data)!, requireQa: true), prompts, result.GetValue(sequence), result.GetValue(contextLoss), run.Options.Seed);
            Console.WriteLine($"qa: {stage.Report}; {stage.Sequences:N0} sequences; {lm.Environment.Describe()}");
            return run.Train(stage);
        });
        return command;
    }

    // A resumed run restarts from its own artifact, whose weights the checkpoint then overwrites exactly.
    private static CausalLM LoadOrCreate(string? model, string? config, string? tokenizer, string output, bool resume, ComputeOptions compute, long seed)
    {
        if ((model is null) == (config is null))
        {
            throw new ArgumentException("Give exactly one of --model (continue) and --config (from scratch).");
        }
        if (model is not null)
        {
            return CausalLM.FromPretrained(model, compute);
        }
        if (tokenizer is null)
        {
            throw new ArgumentException("Training from --config needs --tokenizer.");
        }
        string path = config!;
        var decoder = DecoderConfig.Parse(JsonNode.Parse(File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"Config '{path}' does not exist.", path))!.AsObject(), path);
        CausalLM lm = resume && File.Exists(Path.Combine(output, "config.json"))
            ? CausalLM.FromPretrained(output, compute)
            : CausalLM.CreateRandom(decoder, ComputeEnvironment.Select(compute).Apply(), seed);
        lm.AttachTokenizer(tokenizer);
        return lm;
    }

    private static Command Autoencode()
    {
        var training = new TrainingCliOptions();
        var model = new Option<string>("--model") { Description = "The frozen base decoder (HF folder).", Required = true };
        var gmsa = new Option<string?>("--gmsa") { Description = "Continue from this GMSA checkpoint instead of a fresh compressor." };
        var data = new Option<string>("--data") { Description = "JSONL with {\"input\": context} per line.", Required = true };
        var rates = new Option<string>("--rates") { Description = "Compression rates drawn per sample.", DefaultValueFactory = _ => "4,8" };
        // The library's defaults for a fresh compressor (the reference's), shown and used unless given.
        var defaults = new GmsaOptions();
        var encoderLayers = new Option<int?>("--encoder-layers") { Description = "k, encoder blocks (default: a quarter of the base's)." };
        var rank = new Option<int>("--lora-rank") { Description = "Encoder LoRA rank.", DefaultValueFactory = _ => defaults.EncoderLora.Rank };
        var alpha = new Option<double>("--lora-alpha") { Description = "Encoder LoRA alpha.", DefaultValueFactory = _ => defaults.EncoderLora.Alpha };
        var dropout = new Option<double>("--lora-dropout") { Description = "Encoder LoRA dropout.", DefaultValueFactory = _ => defaults.EncoderLora.Dropout };
        var lsaLayers = new Option<int>("--lsa-layers") { Description = "n, LSA blocks (the paper: 1).", DefaultValueFactory = _ => defaults.LsaLayers };
        var window = new Option<int?>("--window") { Description = "Encoder window in tokens (default: min(512, max positions))." };
        var maxContext = new Option<int?>("--max-context-tokens") { Description = "Longest context per sample (default: the window)." };
        var overlong = new Option<string>("--overlong") { Description = "Longer contexts: window (split) or reject.", DefaultValueFactory = _ => "window" };
        var questionTemplate = new Option<string>("--question-template") { Description = "Decoder prompt after the soft tokens; {question} is replaced.", DefaultValueFactory = _ => defaults.Prompts.QuestionTemplate };
        var answerPrefix = new Option<string>("--answer-prefix") { Description = "Text before each KEFT answer target (e.g. a space after 'Answer:').", DefaultValueFactory = _ => defaults.Prompts.AnswerPrefix };
        var command = new Command("autoencode", "GMSA stage 1: train encoder LoRA + LSA so the frozen decoder restates the context from soft tokens.")
            { model, gmsa, data, rates, encoderLayers, rank, alpha, dropout, lsaLayers, window, maxContext, overlong, questionTemplate, answerPrefix };
        training.AddTo(command);
        training.SetAction(command, (result, run) =>
        {
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, run.Compute);
            string? start = StartingCheckpoint(run.Output, run.Resume, result.GetValue(gmsa));
            using GmsaCompressor compressor = start is not null
                ? GmsaCompressor.FromPretrained(start, lm)
                : GmsaCompressor.Create(lm, new GmsaOptions
                {
                    EncoderLayers = result.GetValue(encoderLayers),
                    EncoderLora = defaults.EncoderLora with { Rank = result.GetValue(rank), Alpha = result.GetValue(alpha), Dropout = result.GetValue(dropout) },
                    LsaLayers = result.GetValue(lsaLayers),
                    WindowSize = result.GetValue(window),
                    Prompts = defaults.Prompts with { QuestionTemplate = result.GetValue(questionTemplate)!, AnswerPrefix = result.GetValue(answerPrefix)! },
                    Seed = run.Options.Seed,
                });
            string policy = result.GetValue(overlong)!;
            var stage = new AutoencodeStage(compressor, GmsaJsonl.Read(result.GetValue(data)!, requireQa: false), OptionValues.PositiveIntegers(result.GetValue(rates)!, "--rates"),
                result.GetValue(maxContext) ?? compressor.Config.WindowSize, OptionValues.Enum<OverlongPolicy>(policy, "--overlong"), run.Options.Seed);
            Console.WriteLine($"autoencode: {stage.Report}; encoder {compressor.Config.EncoderLayers} blocks, LSA {compressor.Config.LsaLayers}, window {compressor.Config.WindowSize}; {lm.Environment.Describe()}");
            return run.Train(stage);
        });
        return command;
    }

    private static Command Keft()
    {
        var training = new TrainingCliOptions();
        var model = new Option<string>("--model") { Description = "The frozen base decoder (HF folder).", Required = true };
        var gmsa = new Option<string>("--gmsa") { Description = "The autoencoder-trained GMSA checkpoint.", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL with {\"input\", \"prompt\", \"answer\"} per line.", Required = true };
        var rates = new Option<string>("--rates") { Description = "Compression rates drawn per sample.", DefaultValueFactory = _ => "4,8" };
        var rank = new Option<int>("--keft-rank") { Description = "Rank of the decoder LoRA.", DefaultValueFactory = _ => 64 };
        var alpha = new Option<double>("--keft-alpha") { Description = "Alpha of that LoRA.", DefaultValueFactory = _ => 32 };
        var dropout = new Option<double>("--keft-dropout") { Description = "Dropout of that LoRA.", DefaultValueFactory = _ => 0.05 };
        var targets = new Option<string>("--keft-targets")
        {
            Description = "Decoder projections that LoRA adapts, by HF name (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj), comma-separated, or 'all' (the paper: q/k/v).",
            DefaultValueFactory = _ => "q_proj,k_proj,v_proj",
        };
        var trainCompressor = new Option<bool>("--train-compressor")
        {
            Description = "Also train the compressor (encoder LoRA and LSA) on the answers; the paper keeps it frozen.",
        };
        var autoencodeWeight = new Option<double>("--autoencode-weight")
        {
            Description = "With --train-compressor: each micro-batch also restates one window of its first document from its soft tokens (as `train autoencode` does), that loss times this weight added to the answers' (0 = off).",
            DefaultValueFactory = _ => 0,
        };
        var perContext = new Option<int>("--questions-per-context")
        {
            Description = "Consecutive questions about one context trained after a single compression of it (the paper: 1); more makes each compression pay for several answers.",
            DefaultValueFactory = _ => 1,
        };
        var adoptBase = new Option<bool>("--adopt-base")
        {
            Description = "The --gmsa checkpoint was trained on an earlier version of --model (same shape, before further fine-tuning): continue from its weights on --model, which becomes its base.",
        };
        var command = new Command("keft", "GMSA stage 2 (Knowledge Extraction Fine-Tuning): train LoRA on the decoder (the paper: its q/k/v) to answer from soft tokens.")
            { model, gmsa, data, rates, rank, alpha, dropout, targets, trainCompressor, autoencodeWeight, perContext, adoptBase };
        training.AddTo(command);
        training.SetAction(command, (result, run) =>
        {
            // Checked before the model loads, so a typo costs no loading time.
            double restate = result.GetValue(autoencodeWeight);
            if (!double.IsFinite(restate) || restate < 0 || (restate > 0 && !result.GetValue(trainCompressor)))
            {
                throw new ArgumentException($"--autoencode-weight must be a number >= 0, and above 0 only with --train-compressor, got {restate}{(result.GetValue(trainCompressor) ? "" : " without --train-compressor")}.");
            }
            var keft = new LoraSettings(result.GetValue(rank), result.GetValue(alpha), result.GetValue(dropout), ParseTargets(result.GetValue(targets)!));
            try
            {
                keft.Validate();
            }
            catch (ArgumentException e) when (e.ParamName is { } name)
            {
                throw new ArgumentException($"--keft-{name.ToLowerInvariant()}: {e.Message}");
            }
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, run.Compute);
            string start = StartingCheckpoint(run.Output, run.Resume, result.GetValue(gmsa))!;
            // A resumed run restarts from its own output, which already records --model as its base.
            using GmsaCompressor compressor = result.GetValue(adoptBase) && start != run.Output
                ? GmsaCompressor.FromPretrainedForNewBase(start, lm)
                : GmsaCompressor.FromPretrained(start, lm);
            int questions = result.GetValue(perContext) is >= 1 and var n ? n : throw new ArgumentException($"--questions-per-context must be at least 1, got {result.GetValue(perContext)}.");
            var stage = new KeftStage(compressor, GmsaJsonl.Read(result.GetValue(data)!, requireQa: true), OptionValues.PositiveIntegers(result.GetValue(rates)!, "--rates"), keft, run.Options.Seed, questions, result.GetValue(trainCompressor), restate);
            string trains = !result.GetValue(trainCompressor) ? "the KEFT adapters (compressor frozen)"
                : restate > 0 ? $"the KEFT adapters, the encoder LoRA and LSA, with restatement weighted {restate}"
                : "the KEFT adapters, the encoder LoRA and LSA";
            Console.WriteLine($"keft: {stage.Report}; {stage.Sequences:N0} sequences; trains {trains}; {lm.Environment.Describe()}");
            return run.Train(stage);
        });
        return command;
    }

    private static Command Distill()
    {
        var training = new TrainingCliOptions();
        var model = new Option<string>("--model") { Description = "The frozen base decoder (HF folder) of the teacher.", Required = true };
        var teacher = new Option<string>("--teacher") { Description = "The trained GMSA checkpoint whose soft tokens the student learns to produce.", Required = true };
        var data = new Option<string>("--data") { Description = "JSONL whose distinct \"input\" fields are the documents (QA or autoencoder files).", Required = true };
        var rates = new Option<string>("--rates") { Description = "Compression rates drawn per sample.", DefaultValueFactory = _ => "4,8" };
        var encoderLayers = new Option<int>("--encoder-layers") { Description = "The student's encoder blocks (fewer than the teacher's makes compression cheaper).", Required = true };
        var lsaLayers = new Option<int?>("--lsa-layers") { Description = "The student's LSA blocks (default: the teacher's)." };
        var command = new Command("distill",
            "Train a cheaper compressor (fewer encoder blocks) to produce a trained one's soft tokens; it starts from the teacher's weights where shapes allow and keeps its KEFT adapters.")
            { model, teacher, data, rates, encoderLayers, lsaLayers };
        training.AddTo(command);
        training.SetAction(command, (result, run) =>
        {
            using CausalLM lm = CausalLM.FromPretrained(result.GetValue(model)!, run.Compute);
            using GmsaCompressor taught = GmsaCompressor.FromPretrained(result.GetValue(teacher)!, lm);
            string? resumed = StartingCheckpoint(run.Output, run.Resume, given: null);
            using GmsaCompressor student = resumed is not null
                ? GmsaCompressor.FromPretrained(resumed, lm)
                : DistillStage.CreateStudent(taught, result.GetValue(encoderLayers), result.GetValue(lsaLayers) ?? taught.Config.LsaLayers, run.Options.Seed);
            var stage = new DistillStage(student, taught, GmsaJsonl.Read(result.GetValue(data)!, requireQa: false), OptionValues.PositiveIntegers(result.GetValue(rates)!, "--rates"), run.Options.Seed);
            Console.WriteLine($"distill: {stage.Report}; student encoder {student.Config.EncoderLayers} blocks, LSA {student.Config.LsaLayers}; " +
                $"teacher encoder {taught.Config.EncoderLayers}, LSA {taught.Config.LsaLayers}; {lm.Environment.Describe()}");
            return run.Train(stage);
        });
        return command;
    }

    // A resumed GMSA stage restarts from its own artifact (the checkpoint then restores the exact weights).
    private static string? StartingCheckpoint(string output, bool resume, string? given) =>
        resume && File.Exists(Path.Combine(output, GmsaConfig.FileName)) ? output : given;

    private static IReadOnlyList<string> ParseTargets(string text)
    {
        if (text.Trim() == "all")
        {
            return LoraSettings.AllProjections;
        }
        string[] names = text.Split(',', StringSplitOptions.TrimEntries);
        string[] unknown = names.Where(n => !LoraSettings.AllProjections.Contains(n)).ToArray();
        return unknown.Length == 0 && names.Distinct().Count() == names.Length
            ? names
            : throw new ArgumentException($"--keft-targets must be 'all' or distinct names among {string.Join(", ", LoraSettings.AllProjections)}, got '{text}'.");
    }
}
