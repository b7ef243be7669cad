namespace GmsaSharp.Synthetic;

/// <summary>What <see cref="SyntheticCorpus.Write"/> generates.</summary>
public sealed record SyntheticCorpusOptions
{
    /// <summary>The seed of the world, the split and every document and question.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>How employees get their employer's city (per company, the default, or drawn per person).</summary>
    public EmployerCities EmployerCities { get; init; } = EmployerCities.PerCompany;

    /// <summary>People in the world, before splitting.</summary>
    public int PeopleCount { get; init; } = 5000;

    /// <summary>The fraction of people reserved for validation documents.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>The fraction of people reserved for test documents.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>Training documents.</summary>
    public int TrainDocuments { get; init; } = 2000;

    /// <summary>Validation documents.</summary>
    public int ValidationDocuments { get; init; } = 100;

    /// <summary>Test documents.</summary>
    public int TestDocuments { get; init; } = 200;

    /// <summary>The size and make-up of each document.</summary>
    public DocumentOptions Documents { get; init; } = new();

    /// <summary>Questions asked about each document.</summary>
    public int QuestionsPerDocument { get; init; } = 4;

    /// <summary>Fewest items in a list of copy.jsonl.</summary>
    public int CopyListMinWords { get; init; } = 8;

    /// <summary>Most items in a list of copy.jsonl.</summary>
    public int CopyListMaxWords { get; init; } = 24;

    /// <summary>The token that ends each pretraining record (the tokenizer's EOS).</summary>
    public string EndOfTextToken { get; init; } = "<|endoftext|>";

    /// <summary>The word lists; null reads <see cref="WordLists.DefaultDirectory"/>.</summary>
    public string? WordListDirectory { get; init; }
}
