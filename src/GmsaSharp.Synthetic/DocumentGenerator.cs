namespace GmsaSharp.Synthetic;

/// <summary>
/// Makes long documents from a group of people: several biographies and filler paragraphs, shuffled. Document
/// <c>i</c> depends only on the seed, <c>i</c>, the people and the options, not on how many are generated.
/// </summary>
public sealed class DocumentGenerator
{
    private const string ParagraphSeparator = "\n\n";

    private readonly IReadOnlyList<Person> _people;
    private readonly WordLists _words;
    private readonly DocumentOptions _options;
    private readonly int _seed;

    /// <summary>Documents about <paramref name="people"/>, with filler drawn from <paramref name="words"/>.</summary>
    public DocumentGenerator(IReadOnlyList<Person> people, WordLists words, DocumentOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(people);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (people.Count < options.MaxBiographies)
        {
            throw new ArgumentException(
                $"Documents of up to {options.MaxBiographies} biographies need at least that many distinct people; the group has {people.Count}.", nameof(people));
        }
        _people = people;
        _words = words;
        _options = options;
        _seed = seed;
    }

    /// <summary>Documents 0 to <paramref name="count"/> - 1.</summary>
    public IReadOnlyList<SyntheticDocument> Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Enumerable.Range(0, count).Select(Document).ToList();
    }

    /// <summary>Document number <paramref name="index"/>.</summary>
    public SyntheticDocument Document(int index)
    {
        SeededRandom random = SeededRandom.For(_seed, "document", index);
        int biographyCount = random.NextInclusive(_options.MinBiographies, _options.MaxBiographies);
        int fillerCount = (int)Math.Round(biographyCount * _options.FillerParagraphsPerBiography);

        var paragraphs = new List<(string Text, Person? Person)>(biographyCount + fillerCount);
        foreach (Person person in DistinctPeople(biographyCount, random))
        {
            paragraphs.Add((BiographyRenderer.Render(person, random, _options.NameEverySentence), person));
        }
        for (int i = 0; i < fillerCount; i++)
        {
            paragraphs.Add((FillerParagraphs.Create(random, _words.Cities), null));
        }
        random.Shuffle(paragraphs);

        List<(string Text, Person? Person)> kept = _options.MaxCharacters is int maxCharacters ? Fit(paragraphs, maxCharacters) : paragraphs;
        if (!kept.Any(p => p.Person is not null))
        {
            throw new InvalidOperationException(
                $"Document {index}: no biography fits in MaxCharacters = {_options.MaxCharacters}; biographies are about 300-500 characters.");
        }
        return new SyntheticDocument(
            string.Join(ParagraphSeparator, kept.Select(p => p.Text)),
            kept.Where(p => p.Person is not null).Select(p => p.Person!).ToList());
    }

    private IEnumerable<Person> DistinctPeople(int count, SeededRandom random)
    {
        var chosen = new HashSet<int>();
        while (chosen.Count < count)
        {
            int index = random.Next(_people.Count);
            if (chosen.Add(index))
            {
                yield return _people[index];
            }
        }
    }

    /// <summary>The paragraphs, in order, that fit in the budget; one that does not fit is skipped, not cut.</summary>
    private static List<(string Text, Person? Person)> Fit(List<(string Text, Person? Person)> paragraphs, int maxCharacters)
    {
        var kept = new List<(string Text, Person? Person)>();
        int length = 0;
        foreach ((string Text, Person? Person) paragraph in paragraphs)
        {
            int added = (kept.Count == 0 ? 0 : ParagraphSeparator.Length) + paragraph.Text.Length;
            if (length + added <= maxCharacters)
            {
                kept.Add(paragraph);
                length += added;
            }
        }
        return kept;
    }
}
