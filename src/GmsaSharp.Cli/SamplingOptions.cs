using System.CommandLine;
using GmsaSharp.Generation;

namespace GmsaSharp.Cli;

/// <summary>The generation options every command that answers or generates shares.</summary>
internal sealed class SamplingOptions
{
    public Option<int?> MaxNewTokens { get; } = new("--max-new-tokens") { Description = "Most tokens to generate (default: 100; for `ask`, the GMSA checkpoint's answer length)." };

    public Option<double> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; 0 = greedy (default)." };

    public Option<int> TopK { get; } = new("--top-k") { Description = "Sample among the k most likely tokens; 0 = off." };

    public Option<double> TopP { get; } = new("--top-p") { Description = "Nucleus sampling threshold in (0, 1]; 1 = off.", DefaultValueFactory = _ => 1.0 };

    public Option<long?> Seed { get; } = new("--seed") { Description = "Seed for reproducible sampling." };

    public Option<double> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "HF-style repetition penalty; 1 = off (the GMSA paper uses 1.3).", DefaultValueFactory = _ => 1.0 };

    public Option<string[]> Stop { get; } = new("--stop")
    {
        Description = "Stop before this string (repeatable; \\n, \\r, \\t and \\\\ are read as line break, carriage return, tab and backslash; " +
            "default: none; for `ask`, the GMSA checkpoint's answer stop strings).",
    };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { MaxNewTokens, Temperature, TopK, TopP, Seed, RepetitionPenalty, Stop })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The options given on the command line; those not given come from <paramref name="defaults"/>
    /// (for `ask`, the GMSA checkpoint's answer options; elsewhere plain <see cref="GenerationOptions"/>).</summary>
    public GenerationOptions Read(ParseResult result, GenerationOptions? defaults = null)
    {
        defaults ??= new GenerationOptions();
        string[]? stops = result.GetValue(Stop);
        var options = defaults with
        {
            MaxNewTokens = result.GetValue(MaxNewTokens) ?? defaults.MaxNewTokens,
            Temperature = result.GetValue(Temperature),
            TopK = result.GetValue(TopK),
            TopP = result.GetValue(TopP),
            Seed = result.GetValue(Seed),
            RepetitionPenalty = result.GetValue(RepetitionPenalty),
            StopStrings = stops is { Length: > 0 } ? stops.Select(Unescape).ToArray() : defaults.StopStrings,
        };
        options.Validate();
        return options;
    }

    // A shell passes '\n' as a backslash and an n; a stop string almost always means the line break.
    private static string Unescape(string stop)
    {
        var text = new System.Text.StringBuilder(stop.Length);
        for (int i = 0; i < stop.Length; i++)
        {
            if (stop[i] != '\\')
            {
                text.Append(stop[i]);
                continue;
            }
            if (i + 1 == stop.Length)
            {
                throw new ArgumentException($"--stop '{stop}' ends in a lone backslash; write \\\\ for a backslash.");
            }
            text.Append(stop[++i] switch
            {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '\\' => '\\',
                char other => throw new ArgumentException($"--stop '{stop}' has the unknown escape \\{other}; use \\n, \\r, \\t or \\\\."),
            });
        }
        return text.ToString();
    }
}
