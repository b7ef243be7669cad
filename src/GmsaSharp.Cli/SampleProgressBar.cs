using Spectre.Console;

namespace GmsaSharp.Cli;

/// <summary>Runs one evaluation pass with a progress bar over its samples on stderr when that is a terminal,
/// silently otherwise (so piped output and logs stay clean).</summary>
internal static class SampleProgressBar
{
    public static T Run<T>(string label, int samples, Func<IProgress<int>?, T> evaluate)
    {
        if (Console.IsErrorRedirected)
        {
            return evaluate(null);
        }
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress().Start(progress =>
        {
            ProgressTask task = progress.AddTask(label, maxValue: Math.Max(1, samples));
            T result = evaluate(new Progress<int>(done => task.Value = done));
            task.Value = task.MaxValue;
            return result;
        });
    }
}
