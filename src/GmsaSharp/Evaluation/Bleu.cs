namespace GmsaSharp.Evaluation;

/// <summary>
/// BLEU-4 (Papineni et al., 2002) as sacrebleu computes it with its defaults: 13a tokenization
/// (<see cref="Tokenizer13a"/>), case-sensitive, uniform weights over n = 1..4, the brevity penalty against the
/// closest reference length, "exp" smoothing, scores from 0 to 100.
/// </summary>
/// <remarks>
/// <para>
/// "exp" smoothing (Chen and Cherry 2014, method 3; the NIST mteval-v13a.pl smoothing): the k-th order with no
/// match (counting from the lowest) gets precision 1 / (2^k * total) instead of 0, so one missing 4-gram does not zero a
/// sentence. It matters only when some order has no match but another has; no match at all scores 0.
/// </para>
/// <para>
/// <see cref="Corpus(IReadOnlyList{string}, IReadOnlyList{IReadOnlyList{string}})"/> matches <c>sacrebleu.corpus_bleu</c>:
/// an order with no hypothesis n-grams at all (every hypothesis shorter than n tokens) makes the score 0.
/// <see cref="Sentence(string, IReadOnlyList{string})"/> matches <c>sacrebleu.sentence_bleu</c>, which uses the
/// "effective order": such orders are left out of the geometric mean, so a one-word hypothesis can score.
/// </para>
/// </remarks>
public static class Bleu
{
    /// <summary>The highest n-gram order, 4 as in BLEU-4.</summary>
    public const int MaxOrder = 4;

    // sacrebleu's floored log(0); exp of a mean that includes it underflows to exactly 0.
    private const double LogOfZero = -9999999999;

    /// <summary>Corpus BLEU with one or more references per hypothesis.</summary>
    /// <param name="hypotheses">The system outputs, one per segment.</param>
    /// <param name="references">
    /// The references of each segment: <c>references[i]</c> holds those of <c>hypotheses[i]</c>, at least one.
    /// (sacrebleu takes the transpose: one list per reference set.)
    /// </param>
    /// <exception cref="ArgumentNullException">An argument or an element of it is null.</exception>
    /// <exception cref="ArgumentException">The counts differ, or a segment has no reference.</exception>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
        {
            throw new ArgumentException(
                $"Expected one reference list per hypothesis: {hypotheses.Count} hypotheses, {references.Count} reference lists.",
                nameof(references));
        }

        var statistics = new SegmentStatistics();
        for (int i = 0; i < hypotheses.Count; i++)
        {
            string hypothesis = hypotheses[i] ?? throw new ArgumentNullException(nameof(hypotheses), $"hypotheses[{i}] is null.");
            IReadOnlyList<string> segmentReferences = references[i]
                ?? throw new ArgumentNullException(nameof(references), $"references[{i}] is null.");
            statistics.Add(hypothesis, segmentReferences, $"references[{i}]");
        }
        return statistics.Score(effectiveOrder: false);
    }

    /// <summary>Corpus BLEU with exactly one reference per hypothesis: <c>references[i]</c> is that of <c>hypotheses[i]</c>.</summary>
    /// <exception cref="ArgumentNullException">An argument or an element of it is null.</exception>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        return Corpus(hypotheses, references.Select(reference => (IReadOnlyList<string>)[reference]).ToList());
    }

    /// <summary>Sentence BLEU of one hypothesis against one or more references (sacrebleu's <c>sentence_bleu</c>).</summary>
    /// <exception cref="ArgumentNullException">An argument or a reference is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="references"/> is empty.</exception>
    public static BleuScore Sentence(string hypothesis, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(references);
        var statistics = new SegmentStatistics();
        statistics.Add(hypothesis, references, nameof(references));
        return statistics.Score(effectiveOrder: true);
    }

    /// <summary>Sentence BLEU of one hypothesis against one reference.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static BleuScore Sentence(string hypothesis, string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Sentence(hypothesis, [reference]);
    }

    /// <summary>
    /// BLEU from summed statistics, as sacrebleu's <c>compute_bleu</c> with "exp" smoothing.
    /// <paramref name="correct"/> and <paramref name="total"/> hold n = 1..<see cref="MaxOrder"/>.
    /// </summary>
    internal static BleuScore FromStatistics(int[] correct, int[] total, int hypothesisLength, int referenceLength, bool effectiveOrder)
    {
        double brevityPenalty = 1.0;
        if (hypothesisLength < referenceLength)
        {
            brevityPenalty = hypothesisLength > 0 ? Math.Exp(1.0 - (double)referenceLength / hypothesisLength) : 0.0;
        }

        var precisions = new double[MaxOrder];
        if (correct.All(count => count == 0))
        {
            return new BleuScore(0.0, correct, total, precisions, brevityPenalty, hypothesisLength, referenceLength);
        }

        double smoothing = 1.0;
        int orders = MaxOrder;
        for (int n = 1; n <= MaxOrder; n++)
        {
            if (total[n - 1] == 0)
            {
                break;
            }
            if (effectiveOrder)
            {
                orders = n;
            }
            if (correct[n - 1] == 0)
            {
                smoothing *= 2;
                precisions[n - 1] = 100.0 / (smoothing * total[n - 1]);
            }
            else
            {
                precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
            }
        }

        double logSum = 0.0;
        for (int n = 0; n < orders; n++)
        {
            logSum += precisions[n] == 0.0 ? LogOfZero : Math.Log(precisions[n]);
        }
        double score = brevityPenalty * Math.Exp(logSum / orders);
        return new BleuScore(score, correct, total, precisions, brevityPenalty, hypothesisLength, referenceLength);
    }

    /// <summary>Tokenizes as sacrebleu does before counting: trailing whitespace off, then 13a.</summary>
    private static List<string> Tokens(string segment) => PythonText.Split(Tokenizer13a.Tokenize(PythonText.TrimEnd(segment)));

    /// <summary>Counts every n-gram of order 1..<see cref="MaxOrder"/>, keyed by its tokens joined with spaces.</summary>
    private static Dictionary<string, int> NGramCounts(List<string> tokens)
    {
        // Tokens never contain whitespace, so joining with a space cannot make two different n-grams collide.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 1; n <= MaxOrder; n++)
        {
            for (int start = 0; start + n <= tokens.Count; start++)
            {
                string ngram = string.Join(' ', tokens.GetRange(start, n));
                counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
            }
        }
        return counts;
    }

    /// <summary>The sufficient statistics of BLEU, summed over segments.</summary>
    private sealed class SegmentStatistics
    {
        private readonly int[] _correct = new int[MaxOrder];
        private readonly int[] _total = new int[MaxOrder];
        private int _hypothesisLength;
        private int _referenceLength;

        public void Add(string hypothesis, IReadOnlyList<string> references, string referencesName)
        {
            if (references.Count == 0)
            {
                throw new ArgumentException($"{referencesName} is empty: BLEU needs at least one reference per hypothesis.", nameof(references));
            }

            // A hypothesis n-gram matches up to the largest number of times it occurs in any single reference.
            var referenceCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            var referenceLengths = new List<int>(references.Count);
            for (int r = 0; r < references.Count; r++)
            {
                string reference = references[r] ?? throw new ArgumentNullException(nameof(references), $"{referencesName}[{r}] is null.");
                List<string> referenceTokens = Tokens(reference);
                referenceLengths.Add(referenceTokens.Count);
                foreach ((string ngram, int count) in NGramCounts(referenceTokens))
                {
                    referenceCounts[ngram] = Math.Max(referenceCounts.GetValueOrDefault(ngram), count);
                }
            }

            List<string> hypothesisTokens = Tokens(hypothesis);
            foreach ((string ngram, int count) in NGramCounts(hypothesisTokens))
            {
                int order = ngram.Count(c => c == ' ') + 1;
                _total[order - 1] += count;
                _correct[order - 1] += Math.Min(count, referenceCounts.GetValueOrDefault(ngram));
            }
            _hypothesisLength += hypothesisTokens.Count;
            _referenceLength += ClosestLength(hypothesisTokens.Count, referenceLengths);
        }

        public BleuScore Score(bool effectiveOrder) =>
            FromStatistics(_correct.ToArray(), _total.ToArray(), _hypothesisLength, _referenceLength, effectiveOrder);

        /// <summary>The reference length closest to the hypothesis length; on a tie, the shorter.</summary>
        private static int ClosestLength(int hypothesisLength, List<int> referenceLengths)
        {
            int closest = referenceLengths[0];
            foreach (int length in referenceLengths)
            {
                int distance = Math.Abs(hypothesisLength - length);
                int closestDistance = Math.Abs(hypothesisLength - closest);
                if (distance < closestDistance || (distance == closestDistance && length < closest))
                {
                    closest = length;
                }
            }
            return closest;
        }
    }
}
