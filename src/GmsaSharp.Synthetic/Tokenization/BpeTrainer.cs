using System.Text;
using System.Text.RegularExpressions;

namespace GmsaSharp.Synthetic.Tokenization;

/// <summary>
/// Learns a GPT-2-style byte-level BPE tokenizer: text is cut into words by <see cref="SplitPattern"/>, each word
/// is a sequence of byte symbols, and the most frequent adjacent pair (counted over all words, weighted by word
/// frequency) is merged into a new token, again and again.
/// </summary>
/// <remarks>
/// Pair counts are updated only for the words that hold the merged pair, and a priority queue with lazily
/// corrected entries finds the next pair, so each merge costs time in proportion to the words it touches.
/// Ties between pairs of equal count go to the pair of smaller token ids (left, then right), which makes the
/// result depend only on the input.
/// </remarks>
public static partial class BpeTrainer
{
    /// <summary>
    /// The pre-tokenizer regex of Qwen2/3: digits one by one, letters with at most one leading non-letter, runs
    /// of punctuation, and whitespace.
    /// </summary>
    public const string SplitPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Learns merges from <paramref name="texts"/> until the vocabulary (256 byte tokens, learned tokens and
    /// <paramref name="specialTokens"/>) has <paramref name="vocabularySize"/> entries, or no pair occurs twice.
    /// Special tokens are cut out of the texts before counting and get the last ids; the first of them is the
    /// end-of-text token (EOS and padding) of the saved tokenizer.
    /// </summary>
    public static TrainedBpeTokenizer Train(IEnumerable<string> texts, int vocabularySize, IReadOnlyList<string> specialTokens,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(specialTokens);
        if (specialTokens.Count == 0)
        {
            throw new ArgumentException("At least one special token is needed: the first is the end-of-text token.", nameof(specialTokens));
        }
        if (specialTokens.Any(string.IsNullOrEmpty) || specialTokens.Distinct(StringComparer.Ordinal).Count() != specialTokens.Count)
        {
            throw new ArgumentException($"Special tokens must be non-empty and distinct, got [{string.Join(", ", specialTokens)}].", nameof(specialTokens));
        }
        int minimumSize = 256 + specialTokens.Count;
        if (vocabularySize < minimumSize)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize,
                $"The vocabulary needs at least the 256 byte tokens and {specialTokens.Count} special tokens ({minimumSize}).");
        }

        Dictionary<string, long> wordCounts = CountWords(texts, specialTokens, cancellationToken);
        var merger = new PairMerger(wordCounts);
        merger.Run(vocabularySize - specialTokens.Count, cancellationToken);
        return new TrainedBpeTokenizer(merger.Tokens, merger.Merges, specialTokens);
    }

    /// <summary>How often each pre-tokenized word occurs, with special tokens cut out first so no merge spans one.</summary>
    private static Dictionary<string, long> CountWords(IEnumerable<string> texts, IReadOnlyList<string> specialTokens, CancellationToken cancellationToken)
    {
        var specials = new Regex(string.Join("|", specialTokens.OrderByDescending(t => t.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
        Regex split = Split();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            int start = 0;
            foreach (ValueMatch special in specials.EnumerateMatches(text))
            {
                CountPieces(text.AsSpan(start, special.Index - start), split, lookup);
                start = special.Index + special.Length;
            }
            CountPieces(text.AsSpan(start), split, lookup);
        }
        return counts;
    }

    /// <summary>Counts the pieces of HuggingFace's Split with behavior Isolated: the matches and the text between them.</summary>
    private static void CountPieces(ReadOnlySpan<char> text, Regex split, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts)
    {
        int gapStart = 0;
        foreach (ValueMatch match in split.EnumerateMatches(text))
        {
            if (match.Length == 0)
            {
                continue;
            }
            if (match.Index > gapStart)
            {
                Add(text[gapStart..match.Index], counts);
            }
            Add(text.Slice(match.Index, match.Length), counts);
            gapStart = match.Index + match.Length;
        }
        if (text.Length > gapStart)
        {
            Add(text[gapStart..], counts);
        }
    }

    private static void Add(ReadOnlySpan<char> word, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts) =>
        counts[word] = counts.TryGetValue(word, out long count) ? count + 1 : 1;

    [GeneratedRegex(SplitPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Split();

    /// <summary>The merge loop over the distinct words of the corpus, as arrays of token ids.</summary>
    private sealed class PairMerger
    {
        private readonly int[][] _words;
        private readonly int[] _wordLengths;
        private readonly long[] _wordCounts;
        private readonly Dictionary<(int Left, int Right), long> _pairCounts = [];
        private readonly Dictionary<(int Left, int Right), List<int>> _pairWords = [];
        private readonly PriorityQueue<(int Left, int Right), (long Count, int Left, int Right)> _queue = new(BestPairFirst.Instance);
        private readonly Dictionary<string, int> _tokenIds = new(StringComparer.Ordinal);

        public PairMerger(Dictionary<string, long> wordCounts)
        {
            for (int b = 0; b < 256; b++)
            {
                Tokens.Add(ByteSymbols.Of(b));
                _tokenIds.Add(Tokens[b], b);
            }
            // Sorted, so that the word order (and with it nothing else) cannot depend on the input order.
            var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal).ToList();
            _words = new int[words.Count][];
            _wordLengths = new int[words.Count];
            _wordCounts = new long[words.Count];
            for (int w = 0; w < words.Count; w++)
            {
                _words[w] = Encoding.UTF8.GetBytes(words[w].Key).Select(b => (int)b).ToArray();
                _wordLengths[w] = _words[w].Length;
                _wordCounts[w] = words[w].Value;
                for (int i = 0; i + 1 < _wordLengths[w]; i++)
                {
                    var pair = (_words[w][i], _words[w][i + 1]);
                    _pairCounts[pair] = _pairCounts.GetValueOrDefault(pair) + _wordCounts[w];
                    WordsOf(pair).Add(w);
                }
            }
            foreach (((int Left, int Right) pair, long count) in _pairCounts)
            {
                _queue.Enqueue(pair, (count, pair.Left, pair.Right));
            }
        }

        /// <summary>Every token by id: the byte-level symbols of its bytes.</summary>
        public List<string> Tokens { get; } = [];

        /// <summary>The learned merges, in order.</summary>
        public List<(string Left, string Right)> Merges { get; } = [];

        public void Run(int tokenCount, CancellationToken cancellationToken)
        {
            var seen = new int[_words.Length];
            int stamp = 0;
            while (Tokens.Count < tokenCount && _queue.TryDequeue(out (int Left, int Right) pair, out (long Count, int, int) queued))
            {
                long count = _pairCounts.GetValueOrDefault(pair);
                if (count != queued.Count)
                {
                    // A stale entry: the pair lost occurrences since it was queued.
                    if (count > 0)
                    {
                        _queue.Enqueue(pair, (count, pair.Left, pair.Right));
                    }
                    continue;
                }
                if (count < 2)
                {
                    break;
                }
                cancellationToken.ThrowIfCancellationRequested();

                string merged = Tokens[pair.Left] + Tokens[pair.Right];
                // Two different merges can spell the same token ("ab"+"c", "a"+"bc"); it keeps one id.
                if (!_tokenIds.TryGetValue(merged, out int mergedId))
                {
                    mergedId = Tokens.Count;
                    Tokens.Add(merged);
                    _tokenIds.Add(merged, mergedId);
                }
                Merges.Add((Tokens[pair.Left], Tokens[pair.Right]));

                stamp++;
                var changes = new Dictionary<(int Left, int Right), long>();
                foreach (int w in _pairWords[pair])
                {
                    if (seen[w] != stamp)
                    {
                        seen[w] = stamp;
                        MergeInWord(w, pair, mergedId, changes);
                    }
                }
                _pairWords.Remove(pair);
                foreach (((int Left, int Right) changed, long delta) in changes)
                {
                    long updated = _pairCounts.GetValueOrDefault(changed) + delta;
                    if (updated == 0)
                    {
                        _pairCounts.Remove(changed);
                    }
                    else
                    {
                        _pairCounts[changed] = updated;
                    }
                    if (delta > 0)
                    {
                        _queue.Enqueue(changed, (updated, changed.Left, changed.Right));
                    }
                }
            }
        }

        /// <summary>
        /// Replaces the pair in one word, left to right without overlaps, and records how the word's pair counts
        /// change: all its old pairs out, all its new pairs in (words are short, so this is cheap and plainly right).
        /// </summary>
        private void MergeInWord(int w, (int Left, int Right) pair, int mergedId, Dictionary<(int Left, int Right), long> changes)
        {
            int[] word = _words[w];
            int length = _wordLengths[w];
            long weight = _wordCounts[w];
            bool found = false;
            for (int i = 0; i + 1 < length && !found; i++)
            {
                found = word[i] == pair.Left && word[i + 1] == pair.Right;
            }
            if (!found)
            {
                return;
            }

            for (int i = 0; i + 1 < length; i++)
            {
                var old = (word[i], word[i + 1]);
                changes[old] = changes.GetValueOrDefault(old) - weight;
            }
            int written = 0;
            for (int i = 0; i < length; i++)
            {
                if (i + 1 < length && word[i] == pair.Left && word[i + 1] == pair.Right)
                {
                    word[written++] = mergedId;
                    i++;
                }
                else
                {
                    word[written++] = word[i];
                }
            }
            _wordLengths[w] = written;
            for (int i = 0; i + 1 < written; i++)
            {
                var added = (word[i], word[i + 1]);
                changes[added] = changes.GetValueOrDefault(added) + weight;
                if (added.Item1 == mergedId || added.Item2 == mergedId)
                {
                    WordsOf(added).Add(w);
                }
            }
        }

        private List<int> WordsOf((int Left, int Right) pair)
        {
            if (!_pairWords.TryGetValue(pair, out List<int>? words))
            {
                words = [];
                _pairWords.Add(pair, words);
            }
            return words;
        }
    }

    /// <summary>Higher count first; among equal counts the smaller left id, then the smaller right id.</summary>
    private sealed class BestPairFirst : IComparer<(long Count, int Left, int Right)>
    {
        public static readonly BestPairFirst Instance = new();

        public int Compare((long Count, int Left, int Right) x, (long Count, int Left, int Right) y)
        {
            int byCount = y.Count.CompareTo(x.Count);
            if (byCount != 0)
            {
                return byCount;
            }
            int byLeft = x.Left.CompareTo(y.Left);
            return byLeft != 0 ? byLeft : x.Right.CompareTo(y.Right);
        }
    }
}
