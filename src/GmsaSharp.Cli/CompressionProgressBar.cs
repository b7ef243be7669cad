using GmsaSharp.Compression;
using Spectre.Console;

namespace GmsaSharp.Cli;

/// <summary>Runs a compression with a progress bar on stderr when it is a terminal, silently otherwise.</summary>
internal static class CompressionProgressBar
{
    public static CompressedContext Run(Func<IProgress<CompressionProgress>?, CompressedContext> compress)
    {
        if (Console.IsErrorRedirected)
        {
            return compress(null);
        }
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        CompressedContext? context = null;
        console.Progress().Start(progress =>
        {
            ProgressTask task = progress.AddTask("Compressing");
            context = compress(new Progress<CompressionProgress>(report =>
            {
                task.MaxValue = report.Windows;
                task.Value = report.WindowsDone;
            }));
            task.Value = task.MaxValue;
        });
        return context!;
    }
}
