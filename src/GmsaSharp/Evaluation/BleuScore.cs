namespace GmsaSharp.Evaluation;

/// <summary>A BLEU score and the statistics it was computed from, on sacrebleu's 0-100 scale.</summary>
/// <param name="Score">BLEU, 0 to 100.</param>
/// <param name="Counts">Matched (clipped) n-grams for n = 1..4.</param>
/// <param name="Totals">Hypothesis n-grams for n = 1..4.</param>
/// <param name="Precisions">The n-gram precisions used, 0 to 100, after smoothing; 0 for orders that were not used.</param>
/// <param name="BrevityPenalty">exp(1 - r/c) when the hypothesis length c is below the reference length r, else 1.</param>
/// <param name="HypothesisLength">Tokens in the hypotheses.</param>
/// <param name="ReferenceLength">Tokens in the references, the closest reference length per segment.</param>
public sealed record BleuScore(
    double Score,
    IReadOnlyList<int> Counts,
    IReadOnlyList<int> Totals,
    IReadOnlyList<double> Precisions,
    double BrevityPenalty,
    int HypothesisLength,
    int ReferenceLength);
