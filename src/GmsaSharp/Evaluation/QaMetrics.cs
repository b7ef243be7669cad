using System.Text;

namespace GmsaSharp.Evaluation;

/// <summary>
/// Question-answering metrics on SQuAD-normalised answers: exact match and token F1 as the official SQuAD v1.1
/// evaluation script, and accuracy as GMSA and "Lost in the Middle" report it. Each is the best over the gold answers.
/// </summary>
/// <remarks>
/// As in SQuAD v2.0's script, gold answers that normalise to nothing are dropped (an empty one would be a substring
/// of every prediction); a sample is refused only when none is left.
/// </remarks>
public static class QaMetrics
{
    // string.punctuation in Python: the ASCII symbols the SQuAD script deletes.
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>
    /// SQuAD normalisation, in the script's order: lowercase (Python's <c>str.lower()</c>), delete ASCII punctuation,
    /// replace the words a, an, the with spaces (words as Python's <c>re</c> sees them), collapse whitespace to single
    /// spaces and trim.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withoutPunctuation = new StringBuilder(text.Length);
        foreach (char c in PythonText.Lower(text))
        {
            if (!Punctuation.Contains(c))
            {
                withoutPunctuation.Append(c);
            }
        }
        return string.Join(' ', PythonText.Split(PythonText.ReplaceWords(withoutPunctuation.ToString(), ["a", "an", "the"], " ")));
    }

    /// <summary>The gold answers as the metrics use them: normalised, those that normalise to nothing dropped.</summary>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or every gold answer normalises to nothing.</exception>
    public static List<string> NormalizedGolds(IReadOnlyList<string> golds)
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
            if (Normalize(gold) is { Length: > 0 } normalizedGold)
            {
                normalized.Add(normalizedGold);
            }
        }
        return normalized.Count > 0
            ? normalized
            : throw new ArgumentException(
                $"Every gold answer ({string.Join(", ", golds.Select(g => $"\"{g}\""))}) is empty after SQuAD normalisation, so none can be scored.", nameof(golds));
    }

    /// <summary>1 if the normalised prediction equals some normalised gold answer, else 0.</summary>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or every gold answer normalises to nothing.</exception>
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
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or every gold answer normalises to nothing.</exception>
    public static double F1(string prediction, IReadOnlyList<string> golds)
    {
        List<string> predictionTokens = PythonText.Split(Normalize(prediction));
        return NormalizedGolds(golds).Max(gold => TokenF1(predictionTokens, PythonText.Split(gold)));
    }

    /// <summary>1 if some normalised gold answer occurs as a substring of the normalised prediction, else 0.</summary>
    /// <remarks>A plain substring test, as in the reference: gold "1" is found in prediction "1990".</remarks>
    /// <exception cref="ArgumentNullException">An argument or a gold answer is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="golds"/> is empty, or every gold answer normalises to nothing.</exception>
    public static double Accuracy(string prediction, IReadOnlyList<string> golds)
    {
        string normalizedPrediction = Normalize(prediction);
        return NormalizedGolds(golds).Any(gold => normalizedPrediction.Contains(gold, StringComparison.Ordinal)) ? 1.0 : 0.0;
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
