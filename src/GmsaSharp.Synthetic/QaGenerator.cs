namespace GmsaSharp.Synthetic;

/// <summary>
/// Asks questions about the people of documents: distinct (person, attribute) pairs per document while there
/// are enough, each with a random paraphrase. The items of document <c>i</c> depend only on the seed and <c>i</c>.
/// </summary>
public sealed class QaGenerator
{
    private readonly int _questionsPerDocument;
    private readonly int _seed;

    /// <summary>A generator of <paramref name="questionsPerDocument"/> questions per document.</summary>
    public QaGenerator(int questionsPerDocument, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(questionsPerDocument);
        _questionsPerDocument = questionsPerDocument;
        _seed = seed;
    }

    /// <summary>The questions of every document, document by document.</summary>
    public IReadOnlyList<QaItem> Generate(IReadOnlyList<SyntheticDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return documents.SelectMany((document, index) => Generate(document, index)).ToList();
    }

    /// <summary>The questions about <paramref name="document"/>, the <paramref name="index"/>-th of its set.</summary>
    public IReadOnlyList<QaItem> Generate(SyntheticDocument document, int index)
    {
        ArgumentNullException.ThrowIfNull(document);
        SeededRandom random = SeededRandom.For(_seed, "questions", index);
        var pairs = document.People
            .SelectMany(person => Enum.GetValues<PersonAttribute>().Select(attribute => (Person: person, Attribute: attribute)))
            .ToList();
        var items = new List<QaItem>(_questionsPerDocument);
        while (items.Count < _questionsPerDocument)
        {
            // A fresh shuffle once every pair has been asked, when more questions are wanted than pairs exist.
            random.Shuffle(pairs);
            foreach ((Person person, PersonAttribute attribute) in pairs.Take(_questionsPerDocument - items.Count))
            {
                string question = random.Pick(QuestionTemplates.Questions[attribute]).Replace("{name}", person.FullName);
                items.Add(new QaItem(document, person, attribute, question, person.ValueOf(attribute)));
            }
        }
        return items;
    }
}
