using GmsaSharp.Runtime;
using GmsaSharp.Training;

namespace GmsaSharp.Cli;

/// <summary>What every `gmsa train` stage reads from its command line (optimisation, output folder, resume, compute
/// choices), and the run of the stage it builds.</summary>
internal sealed record StageRun(TrainingOptions Options, string Output, bool Resume, ComputeOptions Compute, CancellationToken CancellationToken)
{
    /// <summary>Trains <paramref name="stage"/> with progress, Ctrl-C checkpointing and a loss curve.</summary>
    public int Train(ITrainingStage stage) => TrainingRun.Run(stage, Options, Output, Resume, CancellationToken);
}
