using System.Text.Json.Serialization;

namespace GmsaSharp.Evaluation;

/// <summary>One method's results on a QA or reconstruction set.</summary>
/// <param name="Method">"full prompt", "gmsa", "truncation".</param>
/// <param name="Rate">The compression rate (or the rate whose budget truncation matched); null for the full prompt.</param>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="Qa">QA scores (percent), or null for a reconstruction set.</param>
/// <param name="Reconstruction">Reconstruction scores, or null for a QA set.</param>
/// <param name="MeanContextTokens">Mean tokens of the original context.</param>
/// <param name="MeanDecoderContextTokens">Mean positions the decoder spent on the context (soft tokens, kept tokens or all).</param>
/// <param name="MeanLatencyMs">Mean end-to-end milliseconds per sample (compression included).</param>
public sealed record EvaluationRow(string Method, int? Rate, int Samples, QaScores? Qa, ReconstructionScores? Reconstruction,
    double MeanContextTokens, double MeanDecoderContextTokens, double MeanLatencyMs)
{
    /// <summary>Each sample's output, in sample order (not part of the summary JSON; <c>gmsa eval</c> writes them to outputs.jsonl).</summary>
    [JsonIgnore]
    public IReadOnlyList<EvaluationOutput> Outputs { get; init; } = [];
}

/// <summary>Mean reconstruction quality: BLEU-4 (corpus, 0-100), ROUGE-L F (0-1), prefix exact match fraction (0-1).</summary>
public sealed record ReconstructionScores(double Bleu4, double RougeL, double PrefixExactMatch);
