using GmsaSharp.Cli;

namespace GmsaSharp.Tests.Support;

/// <summary>Runs the `gmsa` command in-process with its console output captured (tests that use it join
/// <see cref="ConsoleCollection"/>, since the console is process-wide).</summary>
internal static class CliRunner
{
    /// <summary>The exit code, standard output and standard error of <c>gmsa args</c>.</summary>
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        TextWriter originalOut = Console.Out, originalError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = GmsaCli.RunAsync(args).GetAwaiter().GetResult();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
