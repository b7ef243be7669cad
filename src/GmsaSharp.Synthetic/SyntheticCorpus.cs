namespace GmsaSharp.Synthetic;

/// <summary>
/// Writes the whole synthetic corpus: one world, split into people for train / validation / test, and for each
/// split a folder with ae.jsonl (documents), qa.jsonl (questions with answers), restate.jsonl (each document
/// asked back word for word), copy.jsonl (as many lists of names and places, asked back) and pretrain.txt
/// (documents followed by their answered questions, each record ended by the EOS token).
/// </summary>
public static class SyntheticCorpus
{
    /// <summary>The file of autoencoding records in each split folder.</summary>
    public const string AutoencoderFile = "ae.jsonl";

    /// <summary>The file of QA records in each split folder.</summary>
    public const string QaFile = "qa.jsonl";

    /// <summary>
    /// The file of restatement records in each split folder: QA lines whose answer is the whole document. A frozen
    /// decoder can only be taught to reconstruct text from soft tokens (GMSA's autoencoding) if it can copy text
    /// it has read; pretrained LLMs can, a small model trained from scratch learns it from these.
    /// </summary>
    public const string RestateFile = "restate.jsonl";

    /// <summary>The question of every restatement record (GMSA's default autoencoding instruction).</summary>
    public const string RestateInstruction = "Restate the aforementioned text.";

    /// <summary>
    /// The file of copy records in each split folder: QA lines whose input is a list of unrelated names and places
    /// (<see cref="CopyListGenerator"/>) and whose answer is that list, one per document. They teach a decoder
    /// trained from scratch to find and copy what it has read, which telling people apart needs.
    /// </summary>
    public const string CopyFile = "copy.jsonl";

    /// <summary>The question of every copy record.</summary>
    public const string CopyInstruction = "Repeat the list.";

    /// <summary>The file of pretraining text in each split folder.</summary>
    public const string PretrainingFile = "pretrain.txt";

    /// <summary>Writes the train, validation and test folders under <paramref name="outputDirectory"/>; returns their counts.</summary>
    public static IReadOnlyList<SyntheticSplitCounts> Write(string outputDirectory, SyntheticCorpusOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        ArgumentNullException.ThrowIfNull(options);
        WordLists words = WordLists.Load(options.WordListDirectory);
        BiographyWorld world = BiographyWorld.Create(options.Seed, options.PeopleCount, words, options.EmployerCities);
        BiographySplits splits = world.Split(options.ValidationFraction, options.TestFraction);

        var counts = new List<SyntheticSplitCounts>();
        foreach ((string name, IReadOnlyList<Person> people, int documentCount) in new[]
        {
            ("train", splits.Train, options.TrainDocuments),
            ("validation", splits.Validation, options.ValidationDocuments),
            ("test", splits.Test, options.TestDocuments),
        })
        {
            cancellationToken.ThrowIfCancellationRequested();
            counts.Add(WriteSplit(Path.Combine(outputDirectory, name), name, people, documentCount, words, options));
        }
        return counts;
    }

    private static SyntheticSplitCounts WriteSplit(string directory, string name, IReadOnlyList<Person> people, int documentCount,
        WordLists words, SyntheticCorpusOptions options)
    {
        // Each split has its own seeds: with one seed, document i of every split would share its template choices.
        int documentSeed = SeededRandom.DeriveSeed(options.Seed, name + "/documents");
        int questionSeed = SeededRandom.DeriveSeed(options.Seed, name + "/questions");
        var documents = new DocumentGenerator(people, words, options.Documents, documentSeed).Generate(documentCount);
        IReadOnlyList<QaItem> items = new QaGenerator(options.QuestionsPerDocument, questionSeed).Generate(documents);
        Directory.CreateDirectory(directory);
        int documentLines = CorpusWriter.WriteJsonl(Path.Combine(directory, AutoencoderFile), documents);
        int qaLines = CorpusWriter.WriteJsonl(Path.Combine(directory, QaFile), items);
        CorpusWriter.WriteRestatements(Path.Combine(directory, RestateFile), documents, RestateInstruction);
        var copyLists = new CopyListGenerator(words, options.CopyListMinWords, options.CopyListMaxWords, SeededRandom.DeriveSeed(options.Seed, name + "/copy-lists"));
        CorpusWriter.WriteRepetitions(Path.Combine(directory, CopyFile), copyLists.Generate(documentCount).Select(CopyListGenerator.Text), CopyInstruction);
        long characters = CorpusWriter.WritePretrainingText(Path.Combine(directory, PretrainingFile), documents, items, options.EndOfTextToken);
        return new SyntheticSplitCounts(name, people.Count, documentLines, qaLines, characters);
    }
}
