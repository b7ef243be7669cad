using System.Text.Json.Serialization;

namespace GmsaSharp.Models;

/// <summary>Low-rank adapter hyper-parameters: delta W = (alpha / rank) B A on each targeted projection.</summary>
/// <param name="Rank">r, the inner dimension of A [r, in] and B [out, r].</param>
/// <param name="Alpha">The scale numerator (the GMSA reference: r = 128, alpha = 32).</param>
/// <param name="Dropout">Dropout on the adapter's input during training.</param>
/// <param name="Targets">The projections adapted, by HF name (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).</param>
public sealed record LoraSettings(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("alpha")] double Alpha,
    [property: JsonPropertyName("dropout")] double Dropout,
    [property: JsonPropertyName("targets")] IReadOnlyList<string> Targets)
{
    /// <summary>Every linear projection of a block.</summary>
    public static readonly IReadOnlyList<string> AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The attention input projections (the paper's KEFT trains W_Q, W_K, W_V).</summary>
    public static readonly IReadOnlyList<string> QueryKeyValue = ["q_proj", "k_proj", "v_proj"];

    /// <summary>alpha / rank.</summary>
    [JsonIgnore]
    public double Scale => Alpha / Rank;

    /// <summary>Checks the values and names the first bad one.</summary>
    public void Validate()
    {
        if (Rank < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "LoRA rank must be at least 1.");
        }
        if (!(Alpha > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "LoRA alpha must be positive.");
        }
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "LoRA dropout must be in [0, 1).");
        }
        string[] unknown = Targets.Where(t => !AllProjections.Contains(t)).ToArray();
        if (Targets.Count == 0 || unknown.Length > 0)
        {
            throw new ArgumentException($"LoRA targets must be a non-empty subset of {string.Join(", ", AllProjections)}; got [{string.Join(", ", Targets)}].", nameof(Targets));
        }
        // Each target gets one adapter per block, keyed by its name: a name given twice is a damaged or hand-edited list.
        string? repeated = Targets.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (repeated is not null)
        {
            throw new ArgumentException($"LoRA targets name {repeated} more than once; got [{string.Join(", ", Targets)}].", nameof(Targets));
        }
    }
}
