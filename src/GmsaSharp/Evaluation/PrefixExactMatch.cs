namespace GmsaSharp.Evaluation;

/// <summary>
/// Prefix exact match, the GMSA paper's reconstruction metric: the proportion of the original that the
/// reconstruction reproduces exactly from the start.
/// </summary>
/// <remarks>
/// Definition used here: the original and the reconstruction are compared unit by unit from the first; the match is the
/// number of leading units that are equal, and the score is that number over the original's length. Units are
/// whitespace-separated words for strings (case, punctuation and attached symbols must match exactly), or whatever the
/// caller passes (e.g. token ids). Whatever the reconstruction adds after the original does not lower the score.
/// </remarks>
public static class PrefixExactMatch
{
    /// <summary>Compares whitespace-separated words.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="original"/> has no words.</exception>
    public static PrefixMatch Compute(string reconstruction, string original)
    {
        ArgumentNullException.ThrowIfNull(reconstruction);
        ArgumentNullException.ThrowIfNull(original);
        return Compute(PythonText.Split(reconstruction), PythonText.Split(original));
    }

    /// <summary>Compares two sequences of units (words, token ids) with their default equality.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="original"/> is empty.</exception>
    public static PrefixMatch Compute<T>(IReadOnlyList<T> reconstruction, IReadOnlyList<T> original)
    {
        ArgumentNullException.ThrowIfNull(reconstruction);
        ArgumentNullException.ThrowIfNull(original);
        if (original.Count == 0)
        {
            throw new ArgumentException("The original is empty, so no fraction of it can be reproduced.", nameof(original));
        }

        var comparer = EqualityComparer<T>.Default;
        int limit = Math.Min(reconstruction.Count, original.Count);
        int matched = 0;
        while (matched < limit && comparer.Equals(reconstruction[matched], original[matched]))
        {
            matched++;
        }
        return new PrefixMatch(matched, original.Count);
    }
}
