namespace GmsaSharp.Generation;

/// <summary>How to pick tokens and when to stop. The defaults are greedy decoding of up to 100 tokens,
/// as in the GMSA paper's evaluation (which adds a repetition penalty of 1.3).</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate.</summary>
    public int MaxNewTokens { get; init; } = 100;

    /// <summary>Softmax temperature; 0 means greedy (argmax).</summary>
    public double Temperature { get; init; }

    /// <summary>Sample only among the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Sample only within the smallest set of tokens whose probability reaches p; 1 disables.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>HF-style repetition penalty over prompt and generated tokens; 1 disables.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Seed of the sampler, for reproducible sampling; null seeds from the clock.</summary>
    public long? Seed { get; init; }

    /// <summary>Generation stops before any of these strings would be emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Stop at the model's end-of-sequence token(s).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>Checks every option and names the first bad one.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be 0 or more.");
        }
        if (Temperature < 0 || double.IsNaN(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be 0 (greedy) or positive.");
        }
        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be 0 (off) or positive.");
        }
        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        }
        if (!(RepetitionPenalty > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be positive (1 = off).");
        }
        if (StopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Stop strings must not be empty.", nameof(StopStrings));
        }
    }
}
