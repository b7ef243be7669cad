namespace GmsaSharp.Evaluation;

/// <summary>QA metrics averaged over a set of questions, as percentages (0 to 100), the way the GMSA paper reports them.</summary>
/// <param name="Count">Questions averaged.</param>
/// <param name="Accuracy">Mean <see cref="QaMetrics.Accuracy"/> x 100.</param>
/// <param name="ExactMatch">Mean <see cref="QaMetrics.ExactMatch"/> x 100.</param>
/// <param name="F1">Mean <see cref="QaMetrics.F1"/> x 100.</param>
public sealed record QaScores(int Count, double Accuracy, double ExactMatch, double F1)
{
    /// <summary>Scores each (prediction, gold answers) item with <see cref="QaMetrics"/> and averages.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="items"/>, a prediction or a gold list is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="items"/> is empty, or an item's gold list is invalid.</exception>
    public static QaScores Average(IEnumerable<(string Prediction, IReadOnlyList<string> Golds)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        int count = 0;
        double accuracy = 0, exactMatch = 0, f1 = 0;
        foreach ((string prediction, IReadOnlyList<string> golds) in items)
        {
            // Rethrown so that the message says which item of a large set is at fault.
            try
            {
                accuracy += QaMetrics.Accuracy(prediction, golds);
                exactMatch += QaMetrics.ExactMatch(prediction, golds);
                f1 += QaMetrics.F1(prediction, golds);
            }
            catch (ArgumentNullException e)
            {
                throw new ArgumentNullException(nameof(items), $"Item {count}: {e.Message}");
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Item {count}: {e.Message}", nameof(items), e);
            }
            count++;
        }
        if (count == 0)
        {
            throw new ArgumentException("There are no items to average.", nameof(items));
        }
        return new QaScores(count, 100 * accuracy / count, 100 * exactMatch / count, 100 * f1 / count);
    }
}
