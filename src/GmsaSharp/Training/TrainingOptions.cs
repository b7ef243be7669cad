namespace GmsaSharp.Training;

/// <summary>How to optimise: AdamW, warm-up then decay, clipping, accumulation, checkpoints, seeds.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer steps in all.</summary>
    public required int Steps { get; init; }

    /// <summary>Samples (or sequences) per micro-batch.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate (the reference: 1e-4 for autoencoding, 1e-5 for KEFT).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW weight decay, applied to matrices only (not norms or biases).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW's decay of its running mean of gradients (PyTorch's default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW's decay of its running mean of squared gradients (PyTorch's default 0.999; small-model
    /// recipes often use 0.95, which adapts the step size faster).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Warm-up steps; null means 10% of <see cref="Steps"/>.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>Decay after warm-up.</summary>
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;

    /// <summary>Gradient-norm clipping threshold (the reference: 2.0); 0 disables.</summary>
    public double GradientClip { get; init; } = 2.0;

    /// <summary>Seed of data order, rate draws, dropout and fresh weights.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Save a resumable checkpoint every this many steps; 0 only at the end (and on cancellation).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Report progress and write a metrics line every this many steps.</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Settings that define the run beyond these options (model shape, data, rates: the CLI's options by name).
    /// Checkpoints record them and a resume refuses any that changed, since it would silently keep the old ones.</summary>
    public IReadOnlyDictionary<string, string> RunSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>The warm-up length actually used.</summary>
    public int EffectiveWarmupSteps => WarmupSteps ?? Steps / 10;

    /// <summary>The schedule these options define.</summary>
    internal LearningRateSchedule Schedule => new(LearningRate, EffectiveWarmupSteps, Steps, Decay);

    /// <summary>Checks every value and names the first bad one.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Steps must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be at least 1.");
        if (GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "Gradient accumulation must be at least 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive.");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Weight decay must not be negative.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "AdamW beta1 must be at least 0 and below 1.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "AdamW beta2 must be at least 0 and below 1.");
        if (EffectiveWarmupSteps < 0 || EffectiveWarmupSteps > Steps) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "Warm-up steps must be between 0 and Steps.");
        if (GradientClip < 0) throw new ArgumentOutOfRangeException(nameof(GradientClip), GradientClip, "Gradient clip must not be negative.");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "CheckpointEvery must not be negative.");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, "LogEvery must be at least 1.");
    }
}
