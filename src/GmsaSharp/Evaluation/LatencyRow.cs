namespace GmsaSharp.Evaluation;

/// <summary>One measured configuration of the end-to-end speed comparison.</summary>
/// <param name="Method">"full prompt", "gmsa" (compress + answer) or "gmsa reused" (a further question on a compressed context).</param>
/// <param name="ContextTokens">Context length in tokens.</param>
/// <param name="Rate">Compression rate; null for the full prompt.</param>
/// <param name="CompressMs">Median compression time (0 when nothing is compressed).</param>
/// <param name="AnswerMs">Median time to read the prompt and generate the answer tokens.</param>
/// <param name="SpeedUp">Full-prompt total over this row's total, measured in the same run.</param>
/// <param name="PrefillBound">The prefill compute bound on the speed-up, N / (k + (n + N) / r); null for the full prompt.</param>
public sealed record LatencyRow(string Method, int ContextTokens, int? Rate, double CompressMs, double AnswerMs, double SpeedUp, double? PrefillBound)
{
    /// <summary>Compression plus answer.</summary>
    public double TotalMs => CompressMs + AnswerMs;
}
