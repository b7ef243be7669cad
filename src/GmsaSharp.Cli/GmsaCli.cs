using System.CommandLine;

namespace GmsaSharp.Cli;

/// <summary>The `gmsa` command tree (a type of its own so tests can invoke it in-process).</summary>
public static class GmsaCli
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
}
