using System.CommandLine;
using System.Globalization;
using GmsaSharp.Training;

namespace GmsaSharp.Cli;

/// <summary>The optimisation options every `gmsa train` stage shares.</summary>
internal sealed class TrainingCliOptions
{
    public Option<string> Output { get; } = new("--out") { Description = "Output folder: the trained model, checkpoint/, metrics.jsonl and loss.png.", Required = true };
    public Option<int> Steps { get; } = new("--steps") { Description = "Optimizer steps.", Required = true };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Samples per micro-batch.", DefaultValueFactory = _ => 1 };
    public Option<int> Accumulation { get; } = new("--grad-accum") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "Peak learning rate (reference: 1e-4 autoencode, 1e-5 KEFT).", DefaultValueFactory = _ => 1e-4 };
    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW weight decay on matrices.", DefaultValueFactory = _ => 0.01 };
    public Option<double> Beta1 { get; } = new("--beta1") { Description = "AdamW beta1.", DefaultValueFactory = _ => 0.9 };
    public Option<double> Beta2 { get; } = new("--beta2") { Description = "AdamW beta2 (0.95 adapts faster than the default).", DefaultValueFactory = _ => 0.999 };
    public Option<int?> Warmup { get; } = new("--warmup") { Description = "Warm-up steps (default: 10% of --steps)." };
    public Option<string> Decay { get; } = new("--decay") { Description = "Decay after warm-up: cosine, linear or constant.", DefaultValueFactory = _ => "cosine" };
    public Option<double> Clip { get; } = new("--clip") { Description = "Gradient-norm clipping (0 = off).", DefaultValueFactory = _ => 2.0 };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of data order, rate draws, dropout and fresh weights.", DefaultValueFactory = _ => 42 };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Save a resumable checkpoint every N steps (0: at the end and on Ctrl-C only)." };
    public Option<int> LogEvery { get; } = new("--log-every") { Description = "Report and log every N steps.", DefaultValueFactory = _ => 10 };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the checkpoint in --out." };
    public CommonOptions Common { get; } = new();

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Output, Steps, BatchSize, Accumulation, LearningRate, WeightDecay, Beta1, Beta2, Warmup, Decay, Clip, Seed, CheckpointEvery, LogEvery, Resume })
        {
            command.Options.Add(option);
        }
        Common.AddTo(command);
    }

    /// <summary>Sets <paramref name="command"/>'s action: read these options, let <paramref name="train"/> build the stage
    /// (and say what it holds), run it.</summary>
    public void SetAction(Command command, Func<ParseResult, StageRun, int> train) =>
        command.SetAction((result, cancellationToken) => CliErrors.Run(() => Task.FromResult(train(result,
            new StageRun(Read(result), result.GetValue(Output)!, result.GetValue(Resume), Common.Read(result), cancellationToken)))));

    public TrainingOptions Read(ParseResult result)
    {
        string decay = result.GetValue(Decay)!;
        var options = new TrainingOptions
        {
            Steps = result.GetValue(Steps),
            BatchSize = result.GetValue(BatchSize),
            GradientAccumulation = result.GetValue(Accumulation),
            LearningRate = result.GetValue(LearningRate),
            WeightDecay = result.GetValue(WeightDecay),
            Beta1 = result.GetValue(Beta1),
            Beta2 = result.GetValue(Beta2),
            WarmupSteps = result.GetValue(Warmup),
            Decay = OptionValues.Enum<LearningRateDecay>(decay, "--decay"),
            GradientClip = result.GetValue(Clip),
            Seed = result.GetValue(Seed),
            CheckpointEvery = result.GetValue(CheckpointEvery),
            LogEvery = result.GetValue(LogEvery),
            RunSettings = RunSettings(result),
        };
        options.Validate();
        return options;
    }

    // Every option of the command except those that steer a run without defining it (where it goes, how long,
    // how often it logs, which threads it uses): a resume must match these.
    private Dictionary<string, string> RunSettings(ParseResult result)
    {
        var free = new HashSet<Option>([Output, Steps, CheckpointEvery, LogEvery, Resume, Common.Device, Common.Threads]);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Option option in result.CommandResult.Command.Options.Where(o => !free.Contains(o)))
        {
            object? value = result.GetResult(option)?.GetValueOrDefault<object?>();
            if (value is string[] values)
            {
                settings[option.Name] = string.Join(" ", values);
            }
            else if (value is not null)
            {
                settings[option.Name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            }
        }
        return settings;
    }
}
