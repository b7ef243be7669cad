namespace GmsaSharp.Training;

/// <summary>A progress report after an optimizer step.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps in all.</param>
/// <param name="Loss">Mean loss per predicted token over the step's micro-batches.</param>
/// <param name="LearningRate">The rate the step used.</param>
/// <param name="TokensPerSecond">Predicted tokens per second since this run started.</param>
/// <param name="Elapsed">Wall time since this run started.</param>
/// <param name="Remaining">Estimated time to the last step.</param>
public readonly record struct TrainingProgress(int Step, int Steps, double Loss, double LearningRate, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>The end of a training run.</summary>
/// <param name="Steps">Steps completed (counting those of a resumed checkpoint).</param>
/// <param name="Interrupted">Cancellation stopped the run early; a checkpoint was saved.</param>
/// <param name="LastLoss">The last step's loss; null when this run took no step (a resumed run that was already complete).</param>
public sealed record TrainingResult(int Steps, bool Interrupted, double? LastLoss);
