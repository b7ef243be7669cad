namespace GmsaSharp.Evaluation;

/// <summary>What one method produced for one sample, kept so that failures can be read, not only counted.</summary>
/// <param name="Index">The sample's position in the evaluated set (0-based).</param>
/// <param name="Prompt">The question (null for reconstruction).</param>
/// <param name="References">The gold answers, or the context itself for reconstruction.</param>
/// <param name="Output">The generated answer or reconstruction.</param>
/// <param name="Correct">For QA, whether the output contains a gold answer (the Acc metric); null for reconstruction.</param>
public sealed record EvaluationOutput(int Index, string? Prompt, IReadOnlyList<string> References, string Output, bool? Correct);
