using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace GmsaSharp.Cli;

/// <summary>The `gmsa` command tree (a type of its own so tests can invoke it in-process).</summary>
public static partial class GmsaCli
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Create() => new("gmsa: long-context compression for LLaMA-family models (GMSA) on TorchSharp.")
    {
        InfoCommand.Create(),
        GenerateCommand.Create(),
        PerplexityCommand.Create(),
        CompressCommand.Create(),
        AskCommand.Create(),
        TrainCommand.Create(),
        SynthCommand.Create(),
        EvalCommand.Create(),
        BenchCommand.Create(),
    };

    /// <summary>Parses and runs <paramref name="args"/>. Bad command lines exit with code 2, like every other bad
    /// input, with the parser's messages in the project's words (no .NET type names) and a pointer to --help
    /// instead of the whole help text.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ParseResult parsed = Create().Parse(args);
        if (parsed.Errors.Count == 0)
        {
            return await parsed.InvokeAsync();
        }
        foreach (ParseError error in parsed.Errors)
        {
            await Console.Error.WriteLineAsync($"error: {ParseMessage(error.Message)}");
        }
        await Console.Error.WriteLineAsync($"Run '{CommandPath(parsed.CommandResult)} --help' for the options.");
        return 2;
    }

    /// <summary>"Cannot parse argument 'abc' for option '--rate' as expected type 'System.Nullable`1[[System.Int32, ...]]'."
    /// becomes "--rate expects a whole number, got 'abc'."; other parser messages already speak plainly.</summary>
    internal static string ParseMessage(string message)
    {
        Match match = UnparsableValue().Match(message);
        if (!match.Success)
        {
            return message;
        }
        string type = match.Groups["type"].Value;
        string expected = type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "another kind of value";
        return $"{match.Groups["option"].Value} expects {expected}, got '{match.Groups["value"].Value}'.";
    }

    private static string CommandPath(CommandResult command) =>
        command.Parent is CommandResult parent ? $"{CommandPath(parent)} {command.Command.Name}" : "gmsa";

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>.+)'\.$", RegexOptions.Singleline)]
    private static partial Regex UnparsableValue();
}
