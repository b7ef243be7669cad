using System.Text;
using System.Text.RegularExpressions;

namespace GmsaSharp.Evaluation;

/// <summary>
/// Question-answering metrics on SQuAD-normalised answers: exact match and token F1 as the official SQuAD v1.1
/// evaluation script, and accuracy as GMSA and "Lost in the Middle" report it. Each is the best over the gold answers.
/// </summary>
/// <remarks>
/// Gold answers must be non-empty after normalisation: an empty one would be a substring of every prediction.
/// </remarks>
public static class QaMetrics
{
    // string.punctuation in Python: the ASCII symbols the SQuAD script deletes.
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private static readonly Regex Articles = new(@"\b(a|an|the)\b", RegexOptions.CultureInvariant);

    /// <summary>
    /// SQuAD normalisation, in the script's order: lowercase, delete ASCII punctuation, replace the words a, an, the
    /// with spaces, collapse whitespace to single spaces and trim.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withoutPunctuation = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            if (!Punctuation.Contains(c))
            {
                withoutPunctuation.Append(c);
            }
        }
        string withoutArticles = Articles.Replace(withoutPunctuation.ToString(), " ");
        return string.Join(' ', PythonText.Split(withoutArticles));
    }

    /// <summary>1 if the normalised prediction equals some normalised gold answer, else 0.</summary>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or a gold answer normalises to nothing.</exception>
    public static double ExactMatch(string prediction, IReadOnlyList<string> golds)
    {
        string normalizedPrediction = Normalize(prediction);
        return NormalizedGolds(golds).Any(gold => gold == normalizedPrediction) ? 1.0 : 0.0;
    }

    /// <summary>
    /// The best token F1 over the gold answers, 0 to 1: tokens are the words of the normalised texts, counted as a bag
    /// (a word matches as many times as it occurs in both).
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or a gold answer normalises to nothing.</exception>
    public static double F1(string prediction, IReadOnlyList<string> golds)
    {
        List<string> predictionTokens = PythonText.Split(Normalize(prediction));
        return NormalizedGolds(golds).Max(gold => TokenF1(predictionTokens, PythonText.Split(gold)));
    }

    /// <summary>1 if some normalised gold answer occurs as a substring of the normalised prediction, else 0.</summary>
    /// <remarks>A plain substring test, as in the reference: gold "1" is found in prediction "1990".</remarks>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or a gold answer normalises to nothing.</exception>
    public static double Accuracy(string prediction, IReadOnlyList<string> golds)
    {
        string normalizedPrediction = Normalize(prediction);
        return NormalizedGolds(golds).Any(gold => normalizedPrediction.Contains(gold, StringComparison.Ordinal)) ? 1.0 : 0.0;
    }

    private static List<string> NormalizedGolds(IReadOnlyList<string> golds)
    {
        ArgumentNullException.ThrowIfNull(golds);
        if (golds.Count == 0)
        {
            throw new ArgumentException("The list of gold answers is empty: at least one is needed.", nameof(golds));
        }

        var normalized = new List<string>(golds.Count);
        for (int i = 0; i < golds.Count; i++)
        {
            string gold = golds[i] ?? throw new ArgumentNullException(nameof(golds), $"golds[{i}] is null.");
            string normalizedGold = Normalize(gold);
            if (normalizedGold.Length == 0)
            {
                throw new ArgumentException(
                    $"golds[{i}] (\"{gold}\") is empty after SQuAD normalisation, so it would match any prediction.", nameof(golds));
            }
            normalized.Add(normalizedGold);
        }
        return normalized;
    }

    /// <summary>SQuAD v1.1's f1_score on token lists; 0 when nothing is shared.</summary>
    private static double TokenF1(List<string> prediction, List<string> gold)
    {
        var goldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in gold)
        {
            goldCounts[token] = goldCounts.GetValueOrDefault(token) + 1;
        }

        int shared = 0;
        foreach (string token in prediction)
        {
            if (goldCounts.GetValueOrDefault(token) > 0)
            {
                goldCounts[token]--;
                shared++;
            }
        }
        if (shared == 0)
        {
            return 0.0;
        }

        double precision = (double)shared / prediction.Count;
        double recall = (double)shared / gold.Count;
        return 2 * precision * recall / (precision + recall);
    }
}
