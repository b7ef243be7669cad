namespace GmsaSharp.Synthetic;

/// <summary>How <see cref="DocumentGenerator"/> sizes a document.</summary>
public sealed record DocumentOptions
{
    /// <summary>The fewest biographies a document draws (before <see cref="MaxCharacters"/> applies).</summary>
    public int MinBiographies { get; init; } = 4;

    /// <summary>The most biographies a document draws; the count is uniform between the two bounds.</summary>
    public int MaxBiographies { get; init; } = 8;

    /// <summary>Filler paragraphs per biography (rounded per document); 0 for biographies only.</summary>
    public double FillerParagraphsPerBiography { get; init; } = 0.5;

    /// <summary>
    /// Name the person in full in every sentence of a biography ("Anna May Cole studied at X. Anna May Cole works
    /// in Y.") instead of only in the first (then pronouns). The "fullname" biographies of Physics of Language
    /// Models 3.1: each sentence carries its own key, so a reader matches a name to a fact within one sentence
    /// rather than tracking which paragraph a pronoun belongs to.
    /// </summary>
    public bool NameEverySentence { get; init; }

    /// <summary>
    /// When set, a document keeps only the paragraphs (in their shuffled order) that fit in this many characters.
    /// With a generous <see cref="MaxBiographies"/> this makes documents of nearly this length.
    /// </summary>
    public int? MaxCharacters { get; init; }

    /// <summary>Throws when the options cannot make a document.</summary>
    public void Validate()
    {
        if (MinBiographies < 1 || MaxBiographies < MinBiographies)
        {
            throw new ArgumentOutOfRangeException(nameof(MinBiographies),
                $"Biographies per document must satisfy 1 <= MinBiographies <= MaxBiographies, got {MinBiographies} and {MaxBiographies}.");
        }
        if (!(FillerParagraphsPerBiography >= 0 && double.IsFinite(FillerParagraphsPerBiography)))
        {
            throw new ArgumentOutOfRangeException(nameof(FillerParagraphsPerBiography), FillerParagraphsPerBiography, "Must be a finite number >= 0.");
        }
        if (MaxCharacters is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCharacters), MaxCharacters, "Must be positive when set.");
        }
    }
}
