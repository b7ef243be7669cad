namespace GmsaSharp.Evaluation;

/// <summary>How much of an original a reconstruction reproduces exactly from its start.</summary>
/// <param name="MatchedLength">Units (words or tokens) of the longest common prefix.</param>
/// <param name="OriginalLength">Units in the original, at least 1.</param>
public sealed record PrefixMatch(int MatchedLength, int OriginalLength)
{
    /// <summary><see cref="MatchedLength"/> / <see cref="OriginalLength"/>, from 0 to 1.</summary>
    public double Fraction => (double)MatchedLength / OriginalLength;
}
