namespace GmsaSharp.Synthetic;

/// <summary>
/// Lists of unrelated names and places ("Hugo Kyoto Falk Cobalt Systems ..."), to be repeated back word for word.
/// </summary>
/// <remarks>
/// Reading a document with several people needs a decoder that can find, in the text it has read, the place
/// where the asked name occurs and read what follows it (an induction head). Biographies and their questions
/// never force that skill: a one-person document is answered by finding the fact of the asked kind, and a
/// two-person one is half right that way. A small decoder trained from scratch on them never learned it (two-person
/// questions stayed at chance through every run), and the same decoder learned it within a few hundred steps of
/// repeating these lists, whose words can only be predicted by copying.
/// </remarks>
public sealed class CopyListGenerator
{
    private readonly IReadOnlyList<string> _pool;
    private readonly int _minWords;
    private readonly int _maxWords;
    private readonly int _seed;

    /// <summary>Lists of <paramref name="minWords"/> to <paramref name="maxWords"/> items drawn from every list of <paramref name="words"/>.</summary>
    public CopyListGenerator(WordLists words, int minWords, int maxWords, int seed)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (minWords < 1 || maxWords < minWords)
        {
            throw new ArgumentOutOfRangeException(nameof(maxWords), $"A copy list needs 1 <= minWords <= maxWords; got {minWords} and {maxWords}.");
        }
        _pool = [.. words.FemaleFirstNames, .. words.MaleFirstNames, .. words.LastNames, .. words.Cities, .. words.Universities, .. words.Majors, .. words.Companies];
        _minWords = minWords;
        _maxWords = maxWords;
        _seed = seed;
    }

    /// <summary>A list as the text of a copy record: its items separated by spaces.</summary>
    public static string Text(IReadOnlyList<string> items) => string.Join(' ', items);

    /// <summary>The first <paramref name="count"/> lists, each as its items; list i is the same whatever the count.</summary>
    public IEnumerable<IReadOnlyList<string>> Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (int i = 0; i < count; i++)
        {
            SeededRandom random = SeededRandom.For(_seed, "copy-list", i);
            int length = random.NextInclusive(_minWords, _maxWords);
            yield return Enumerable.Range(0, length).Select(_ => random.Pick(_pool)).ToArray();
        }
    }
}
