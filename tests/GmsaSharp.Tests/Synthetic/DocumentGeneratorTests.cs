using System.Text.RegularExpressions;
using GmsaSharp.Synthetic;

namespace GmsaSharp.Tests.Synthetic;

public class DocumentGeneratorTests
{
    private static readonly WordLists Words = WordLists.Load();
    private static readonly BiographyWorld World = BiographyWorld.Create(seed: 11, peopleCount: 300, Words);

    private static DocumentGenerator Generator(DocumentOptions? options = null, int seed = 1) =>
        new(World.People, Words, options ?? new DocumentOptions(), seed);

    [Fact]
    public void EachBiographyIntroducesItsPersonOnceAndStatesEveryAttribute()
    {
        foreach (SyntheticDocument document in Generator().Generate(10))
        {
            AssertBiographies(document);
        }
    }

    private static void AssertBiographies(SyntheticDocument document)
    {
        string[] paragraphs = document.Text.Split("\n\n");
        foreach (Person person in document.People)
        {
            // Full names are unique, so the name occurs once: in the first sentence of the person's biography.
            Assert.Single(Regex.Matches(document.Text, Regex.Escape(person.FullName)));
            string biography = Assert.Single(paragraphs, p => p.Contains(person.FullName, StringComparison.Ordinal));
            string[] sentences = Regex.Split(biography, @"(?<=\.)\s+");
            Assert.Equal(Enum.GetValues<PersonAttribute>().Length, sentences.Length);
            Assert.Contains(person.FullName, sentences[0]);
            Assert.All(Enum.GetValues<PersonAttribute>(), attribute => Assert.Contains(person.ValueOf(attribute), biography));
        }
    }

    [Fact]
    public void NameEverySentenceNamesThePersonInFullInEachSentenceAndUsesNoPronounForThem()
    {
        var options = new DocumentOptions { MinBiographies = 4, MaxBiographies = 4, FillerParagraphsPerBiography = 0, NameEverySentence = true };

        foreach (SyntheticDocument document in Generator(options).Generate(10))
        {
            string[] paragraphs = document.Text.Split("\n\n");
            Assert.Equal(4, paragraphs.Length);
            foreach (Person person in document.People)
            {
                string biography = Assert.Single(paragraphs, p => p.Contains(person.FullName, StringComparison.Ordinal));
                string[] sentences = Regex.Split(biography, @"(?<=\.)\s+");
                Assert.Equal(Enum.GetValues<PersonAttribute>().Length, sentences.Length);
                Assert.All(sentences, sentence => Assert.Contains(person.FullName, sentence));
                // A template may still refer back inside its own sentence ("... where she was born"), but never
                // starts a sentence with a pronoun: each sentence has its own key.
                Assert.DoesNotMatch(@"(^|\. )(He|She|His|Her) ", biography);
                Assert.All(Enum.GetValues<PersonAttribute>(), attribute => Assert.Contains(person.ValueOf(attribute), biography));
            }
        }
    }

    [Fact]
    public void NameEverySentenceChangesOnlyTheWordingNotTheFacts()
    {
        SyntheticDocument pronouns = Generator().Document(2);
        SyntheticDocument names = Generator(new DocumentOptions { NameEverySentence = true }).Document(2);

        Assert.Equal(pronouns.People, names.People);
        Assert.True(names.Text.Length > pronouns.Text.Length);
    }

    [Fact]
    public void DocumentsHoldTheRequestedBiographiesAndFiller()
    {
        var options = new DocumentOptions { MinBiographies = 3, MaxBiographies = 6, FillerParagraphsPerBiography = 1.0 };

        IReadOnlyList<SyntheticDocument> documents = Generator(options).Generate(20);

        Assert.All(documents, document =>
        {
            Assert.InRange(document.People.Count, 3, 6);
            Assert.Equal(document.People.Count, document.People.Distinct().Count());
            Assert.Equal(2 * document.People.Count, document.Text.Split("\n\n").Length);
        });
    }

    [Fact]
    public void MaxCharactersBoundsTheDocument()
    {
        var options = new DocumentOptions { MinBiographies = 50, MaxBiographies = 50, MaxCharacters = 3000 };

        IReadOnlyList<SyntheticDocument> documents = Generator(options).Generate(10);

        Assert.All(documents, document =>
        {
            Assert.InRange(document.Text.Length, 2000, 3000);
            Assert.All(document.People, person => Assert.Contains(person.FullName, document.Text));
        });
    }

    [Fact]
    public void DocumentDependsOnlyOnSeedAndIndex()
    {
        IReadOnlyList<SyntheticDocument> many = Generator().Generate(5);

        Assert.Equal(many[3].Text, Generator().Document(3).Text);
        Assert.NotEqual(many[3].Text, Generator(seed: 2).Document(3).Text);
    }

    [Fact]
    public void EveryTemplateAppearsInALargeEnoughCorpus()
    {
        var sentences = Generator(new DocumentOptions { MinBiographies = 8, MaxBiographies = 8, FillerParagraphsPerBiography = 0 })
            .Generate(60)
            .SelectMany(d => Regex.Split(d.Text, @"(?<=\.)\s+"))
            .ToHashSet();

        foreach ((PersonAttribute attribute, string[] templates) in BiographyTemplates.Sentences)
        {
            Assert.True(templates.Length >= 10, $"{attribute} has only {templates.Length} templates.");
            foreach (string template in templates)
            {
                var form = new Regex("^" + Regex.Replace(Regex.Escape(template), @"\\\{[SsPpoV]}", ".+") + "$");
                Assert.True(sentences.Any(form.IsMatch), $"No sentence of the form '{template}'.");
            }
        }
    }

    [Fact]
    public void RejectsOptionsThatCannotBeMet()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Generator(new DocumentOptions { MinBiographies = 5, MaxBiographies = 4 }));
        Assert.Throws<ArgumentException>(() => new DocumentGenerator(World.People.Take(3).ToList(), Words, new DocumentOptions(), 1));
        Assert.Throws<InvalidOperationException>(() => Generator(new DocumentOptions { MaxCharacters = 50 }).Document(0));
    }
}
