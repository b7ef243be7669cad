using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using GmsaSharp.Checkpoints;
using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>
/// The training loop every stage shares: AdamW on fp32 master weights, warm-up then cosine or linear decay,
/// gradient accumulation and clipping, deterministic seeds, resumable checkpoints (every N steps, at the end
/// and on cancellation), a metrics JSONL and progress reports. Dropout draws from TorchSharp's process-wide
/// generator, reseeded per micro-batch: a resumed run matches an uninterrupted one exactly unless other
/// threads draw random numbers meanwhile.
/// </summary>
public static class Trainer
{
    /// <summary>The checkpoint folder inside the output folder.</summary>
    public const string CheckpointFolder = "checkpoint";

    /// <summary>The metrics log inside the output folder.</summary>
    public const string MetricsFile = "metrics.jsonl";

    private const string StateFile = "trainer_state.json";
    private const string WeightsFile = "trainable.safetensors";
    private const string OptimizerFile = "optimizer.bin";

    /// <summary>Trains <paramref name="stage"/> and writes its artifact and checkpoint to <paramref name="outputDirectory"/>.</summary>
    /// <param name="stage">What to train.</param>
    /// <param name="options">How.</param>
    /// <param name="outputDirectory">Where the artifact, checkpoint and metrics go.</param>
    /// <param name="resume">Continue from the checkpoint in <paramref name="outputDirectory"/>.</param>
    /// <param name="progress">Receives a report every <see cref="TrainingOptions.LogEvery"/> steps.</param>
    /// <param name="cancellationToken">Stops after the current step, saving a checkpoint first.</param>
    public static TrainingResult Run(ITrainingStage stage, TrainingOptions options, string outputDirectory, bool resume,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        Directory.CreateDirectory(outputDirectory);
        string checkpoint = Path.Combine(outputDirectory, CheckpointFolder);
        if (!resume && Directory.Exists(checkpoint))
        {
            throw new InvalidOperationException($"'{outputDirectory}' already holds a checkpoint: resume it, or train into another folder.");
        }

        using var masters = new MasterWeights(stage.TrainableParameters);
        var matrices = masters.Masters.Where(m => m.Master.dim() >= 2).Select(m => m.Master).ToList();
        var others = masters.Masters.Where(m => m.Master.dim() < 2).Select(m => m.Master).ToList();
        // Each group states its own betas: TorchSharp's groups default to (0.9, 0.999) whatever the optimizer's say.
        using var optimizer = optim.AdamW(
            [new AdamW.ParamGroup(matrices, options.LearningRate, options.Beta1, options.Beta2, weight_decay: options.WeightDecay),
             new AdamW.ParamGroup(others, options.LearningRate, options.Beta1, options.Beta2, weight_decay: 0)],
            options.LearningRate, options.Beta1, options.Beta2);

        int startStep = resume ? LoadCheckpoint(checkpoint, stage, options, masters, optimizer) : 0;
        TrimMetrics(Path.Combine(outputDirectory, MetricsFile), startStep);

        LearningRateSchedule schedule = options.Schedule;
        var clock = Stopwatch.StartNew();
        long tokensSeen = 0;
        double? lastLoss = null;
        for (int step = startStep; step < options.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveCheckpoint(outputDirectory, stage, options, masters, optimizer, step);
                return new TrainingResult(step, Interrupted: true, lastLoss);
            }
            double learningRate = schedule.At(step);
            foreach (optim.ILearningRateController group in optimizer.ParamGroups)
            {
                group.LearningRate = learningRate;
            }

            stage.SetTraining(true);
            double lossSum = 0;
            for (int micro = 0; micro < options.GradientAccumulation; micro++)
            {
                long index = (long)step * options.GradientAccumulation + micro;
                // Dropout draws depend on the micro-batch alone, so a resumed run matches an uninterrupted one.
                manual_seed(options.Seed * 1_000_003 + index);
                using var scope = NewDisposeScope();
                (Tensor loss, long tokens) = stage.MicroBatchLoss(index, options.BatchSize, options.Seed);
                using Scalar microBatches = options.GradientAccumulation.ToScalar();
                (loss / microBatches).backward();
                masters.CollectGradients();
                lossSum += loss.item<float>();
                tokensSeen += tokens;
            }
            stage.SetTraining(false);
            double stepLoss = lossSum / options.GradientAccumulation;
            if (!double.IsFinite(stepLoss))
            {
                throw new InvalidOperationException($"The {stage.Name} loss became {stepLoss} at step {step + 1}; lower the learning rate or check the data.");
            }
            lastLoss = stepLoss;
            if (options.GradientClip > 0)
            {
                nn.utils.clip_grad_norm_(masters.Masters.Select(m => m.Master), options.GradientClip);
            }
            optimizer.step();
            optimizer.zero_grad();
            masters.PublishToModel();

            int done = step + 1;
            if (done % options.LogEvery == 0 || done == options.Steps)
            {
                double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                var report = new TrainingProgress(done, options.Steps, stepLoss, learningRate, tokensSeen / seconds, clock.Elapsed,
                    TimeSpan.FromSeconds(seconds / (done - startStep) * (options.Steps - done)));
                AppendMetrics(Path.Combine(outputDirectory, MetricsFile), report);
                progress?.Report(report);
            }
            if (options.CheckpointEvery > 0 && done % options.CheckpointEvery == 0 && done < options.Steps)
            {
                SaveCheckpoint(outputDirectory, stage, options, masters, optimizer, done);
            }
        }
        SaveCheckpoint(outputDirectory, stage, options, masters, optimizer, options.Steps);
        return new TrainingResult(options.Steps, Interrupted: false, lastLoss);
    }

    private static void SaveCheckpoint(string outputDirectory, ITrainingStage stage, TrainingOptions options, MasterWeights masters, OptimizerHelper optimizer, int step)
    {
        stage.SaveArtifact(outputDirectory);
        string final = Path.Combine(outputDirectory, CheckpointFolder);
        string temporary = final + ".tmp";
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }
        Directory.CreateDirectory(temporary);
        SafetensorsFile.Write(Path.Combine(temporary, WeightsFile), masters.Masters.Select(m => new KeyValuePair<string, Tensor>(m.Name, m.Master)));
        optimizer.save_state_dict(Path.Combine(temporary, OptimizerFile));
        var state = new JsonObject
        {
            ["stage"] = stage.Name,
            ["step"] = step,
            ["steps"] = options.Steps,
            ["seed"] = options.Seed,
            ["batch_size"] = options.BatchSize,
            ["gradient_accumulation"] = options.GradientAccumulation,
            ["settings"] = new JsonObject(options.RunSettings.OrderBy(item => item.Key, StringComparer.Ordinal)
                .Select(item => KeyValuePair.Create(item.Key, (JsonNode?)item.Value))),
            // Checked on resume: a damaged weights or optimizer file would otherwise load as garbage or fail without a name.
            ["sha256"] = new JsonObject
            {
                [WeightsFile] = FileHash(Path.Combine(temporary, WeightsFile)),
                [OptimizerFile] = FileHash(Path.Combine(temporary, OptimizerFile)),
            },
        };
        File.WriteAllText(Path.Combine(temporary, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }
        Directory.Move(temporary, final);
    }

    private static int LoadCheckpoint(string checkpoint, ITrainingStage stage, TrainingOptions options, MasterWeights masters, OptimizerHelper optimizer)
    {
        CheckpointState state = CheckpointState.Read(Path.Combine(checkpoint, StateFile));
        if (state.Stage != stage.Name)
        {
            throw new InvalidOperationException($"Checkpoint '{checkpoint}' is from stage '{state.Stage}', not '{stage.Name}'.");
        }
        foreach ((string key, long stored, long expected) in new[] { ("seed", state.Seed, options.Seed), ("batch_size", state.BatchSize, options.BatchSize),
            ("gradient_accumulation", state.GradientAccumulation, (long)options.GradientAccumulation) })
        {
            if (stored != expected)
            {
                throw new InvalidOperationException($"Checkpoint '{checkpoint}' was trained with {key} {stored}; resuming with {expected} would not continue the same run.");
            }
        }
        string[] changed = state.Settings is null ? [] : options.RunSettings.Keys.Union(state.Settings.Keys).Order(StringComparer.Ordinal)
            .Where(key => options.RunSettings.GetValueOrDefault(key) != state.Settings.GetValueOrDefault(key))
            .Select(key => $"{key} {options.RunSettings.GetValueOrDefault(key) ?? "(not given)"} (the checkpoint has {state.Settings.GetValueOrDefault(key) ?? "(not given)"})")
            .ToArray();
        if (changed.Length > 0)
        {
            throw new InvalidOperationException(
                $"Checkpoint '{checkpoint}' was trained with other settings; resuming would keep the old ones. Changed: {string.Join("; ", changed)}. Resume with the original settings, or train into another folder.");
        }
        foreach ((string file, string expected) in state.FileHashes)
        {
            string path = Path.Combine(checkpoint, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Checkpoint file '{path}' is missing.", path);
            }
            if (FileHash(path) != expected)
            {
                throw new InvalidDataException($"Checkpoint file '{path}' is damaged: its SHA-256 differs from the one recorded when it was saved.");
            }
        }
        using (SafetensorsFile weights = SafetensorsFile.Open(Path.Combine(checkpoint, WeightsFile)))
        {
            var tensors = weights.Entries.Keys.ToDictionary(name => name, name => weights.Read(name));
            try
            {
                masters.Load(tensors, checkpoint);
            }
            finally
            {
                foreach (Tensor tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        string optimizerPath = Path.Combine(checkpoint, OptimizerFile);
        try
        {
            optimizer.load_state_dict(optimizerPath);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"Optimizer state '{optimizerPath}' cannot be read ({e.Message}); the checkpoint is damaged.", e);
        }
        int step = state.Step;
        if (step > options.Steps)
        {
            throw new InvalidOperationException($"Checkpoint '{checkpoint}' is at step {step}, beyond the {options.Steps} steps requested.");
        }
        return step;
    }

    private static void AppendMetrics(string path, TrainingProgress report)
    {
        var line = new JsonObject
        {
            ["step"] = report.Step,
            ["loss"] = report.Loss,
            ["lr"] = report.LearningRate,
            ["tokens_per_second"] = Math.Round(report.TokensPerSecond, 1),
            ["elapsed_seconds"] = Math.Round(report.Elapsed.TotalSeconds, 2),
        };
        File.AppendAllText(path, line.ToJsonString() + "\n");
    }

    // A resumed run rewrites the metrics of steps after its checkpoint instead of logging them twice.
    private static void TrimMetrics(string path, int keepThroughStep)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var kept = File.ReadAllLines(path).Zip(ReadMetricsLines(path)).Where(pair => pair.Second.Step <= keepThroughStep).Select(pair => pair.First);
        File.WriteAllLines(path, kept);
    }

    /// <summary>Reads a metrics log written by <see cref="Run"/> as (step, loss) pairs. A partial last line (the
    /// process was killed while writing it) is skipped; any other bad line is an error naming the file and line.</summary>
    public static IReadOnlyList<(int Step, double Loss)> ReadMetrics(string path) => ReadMetricsLines(path);

    private static List<(int Step, double Loss)> ReadMetricsLines(string path)
    {
        string[] lines = File.ReadAllLines(path);
        var metrics = new List<(int Step, double Loss)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (MetricsRecord(lines[i]) is { } record)
            {
                metrics.Add(record);
            }
            else if (i < lines.Length - 1)
            {
                throw new InvalidDataException($"'{path}' line {i + 1} is not a metrics record (step and loss): {lines[i]}");
            }
        }
        return metrics;
    }

    private static (int Step, double Loss)? MetricsRecord(string line)
    {
        try
        {
            JsonNode? node = JsonNode.Parse(line);
            return node?["step"] is JsonValue step && node["loss"] is JsonValue loss ? (step.GetValue<int>(), loss.GetValue<double>()) : null;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string FileHash(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
