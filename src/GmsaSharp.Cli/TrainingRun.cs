using GmsaSharp.Training;
using ScottPlot;
using Spectre.Console;

namespace GmsaSharp.Cli;

/// <summary>Runs a stage from the CLI: progress lines, Ctrl-C saves a checkpoint, and a loss-curve PNG at the end.</summary>
internal static class TrainingRun
{
    public static int Run(ITrainingStage stage, TrainingOptions options, string output, bool resume, CancellationToken cancellationToken)
    {
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool stopping = false;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (stopping)
            {
                // Letting the key press through ends the process at once, without the checkpoint; the last
                // periodic checkpoint stays valid (checkpoints are written beside the target and moved into place).
                Console.Error.WriteLine("aborting without a checkpoint.");
                e.Cancel = false;
                return;
            }
            stopping = true;
            e.Cancel = true;
            Console.Error.WriteLine("stopping after this step; saving a checkpoint (Ctrl-C again to abort)...");
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            TrainingResult result = Console.IsOutputRedirected
                ? Trainer.Run(stage, options, output, resume, new LineProgress(), interrupt.Token)
                : RunWithProgressBar(stage, options, output, resume, interrupt.Token);
            string plot = WriteLossCurve(output, stage.Name);
            Console.WriteLine(result.Interrupted
                ? $"interrupted at step {result.Steps}/{options.Steps}; resume with --resume. Loss curve: {plot}"
                : result.LastLoss is { } loss
                    ? $"done: {result.Steps} steps, last loss {loss:F4}. Model and checkpoint in {output}; loss curve: {plot}"
                    : $"already complete: the checkpoint in {output} is at step {result.Steps}. Loss curve: {plot}");
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Plots metrics.jsonl as loss.png.</summary>
    public static string WriteLossCurve(string output, string stage)
    {
        var metrics = Trainer.ReadMetrics(Path.Combine(output, Trainer.MetricsFile));
        var plot = new Plot();
        plot.Add.Scatter(metrics.Select(m => (double)m.Step).ToArray(), metrics.Select(m => m.Loss).ToArray());
        plot.Title($"gmsa train {stage}");
        plot.XLabel("step");
        plot.YLabel("loss (nats per token)");
        string path = Path.Combine(output, "loss.png");
        plot.SavePng(path, 800, 500);
        return path;
    }

    // On a terminal: one bar whose label carries the latest loss, learning rate and speed, with an ETA column.
    private static TrainingResult RunWithProgressBar(ITrainingStage stage, TrainingOptions options, string output, bool resume, CancellationToken cancellationToken)
    {
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask($"{stage.Name}", maxValue: options.Steps);
                result = Trainer.Run(stage, options, output, resume, new SynchronousProgress(p =>
                {
                    task.Value = p.Step;
                    task.Description = Markup.Escape($"{stage.Name} step {p.Step}/{p.Steps} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.TokensPerSecond:F0} tok/s");
                }), cancellationToken);
            });
        return result!;
    }

    private static string Line(TrainingProgress p) =>
        $"step {p.Step}/{p.Steps}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {p.TokensPerSecond:F0} tok/s  elapsed {p.Elapsed:hh\\:mm\\:ss}  eta {p.Remaining:hh\\:mm\\:ss}";

    // Redirected output (a log file): one line per report.
    private sealed class LineProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => Console.WriteLine(Line(p));
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
