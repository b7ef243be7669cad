using System.CommandLine;
using GmsaSharp.Generation;

namespace GmsaSharp.Cli;

/// <summary>The generation options every command that answers or generates shares.</summary>
internal sealed class SamplingOptions
{
    public Option<int> MaxNewTokens { get; } = new("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 100 };

    public Option<double> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; 0 = greedy (default)." };

    public Option<int> TopK { get; } = new("--top-k") { Description = "Sample among the k most likely tokens; 0 = off." };

    public Option<double> TopP { get; } = new("--top-p") { Description = "Nucleus sampling threshold in (0, 1]; 1 = off.", DefaultValueFactory = _ => 1.0 };

    public Option<long?> Seed { get; } = new("--seed") { Description = "Seed for reproducible sampling." };

    public Option<double> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "HF-style repetition penalty; 1 = off (the GMSA paper uses 1.3).", DefaultValueFactory = _ => 1.0 };

    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop before this string (repeatable)." };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { MaxNewTokens, Temperature, TopK, TopP, Seed, RepetitionPenalty, Stop })
        {
            command.Options.Add(option);
        }
    }

    public GenerationOptions Read(ParseResult result)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = result.GetValue(MaxNewTokens),
            Temperature = result.GetValue(Temperature),
            TopK = result.GetValue(TopK),
            TopP = result.GetValue(TopP),
            Seed = result.GetValue(Seed),
            RepetitionPenalty = result.GetValue(RepetitionPenalty),
            StopStrings = result.GetValue(Stop) ?? [],
        };
        options.Validate();
        return options;
    }
}
