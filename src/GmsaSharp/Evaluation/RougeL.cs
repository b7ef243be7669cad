using System.Text;

namespace GmsaSharp.Evaluation;

/// <summary>
/// ROUGE-L (Lin, 2004): precision, recall and F1 of the longest common subsequence of tokens, as Google's
/// rouge-score package computes "rougeL" with its defaults (no stemming).
/// </summary>
/// <remarks>
/// Tokenization (rouge-score's default): lowercase, replace every run of characters other than ASCII a-z and 0-9 with a
/// space, split. Letters outside ASCII are therefore dropped, as in the reference. Either side without tokens scores 0.
/// </remarks>
public static class RougeL
{
    /// <summary>ROUGE-L of <paramref name="prediction"/> against <paramref name="reference"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static RougeScore Compute(string prediction, string reference)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(reference);

        List<string> predictionTokens = Tokenize(prediction);
        List<string> referenceTokens = Tokenize(reference);
        if (predictionTokens.Count == 0 || referenceTokens.Count == 0)
        {
            return new RougeScore(0, 0, 0);
        }

        int lcs = LongestCommonSubsequence(referenceTokens, predictionTokens);
        double precision = (double)lcs / predictionTokens.Count;
        double recall = (double)lcs / referenceTokens.Count;
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
        return new RougeScore(precision, recall, f);
    }

    /// <summary>rouge-score's default tokenization.</summary>
    internal static List<string> Tokenize(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            cleaned.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : ' ');
        }
        return cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>The length of the longest common subsequence, by dynamic programming over two rows.</summary>
    internal static int LongestCommonSubsequence<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        var comparer = EqualityComparer<T>.Default;
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
            {
                current[j] = comparer.Equals(a[i - 1], b[j - 1])
                    ? previous[j - 1] + 1
                    : Math.Max(previous[j], current[j - 1]);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
