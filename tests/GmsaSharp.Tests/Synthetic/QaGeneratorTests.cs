using System.Text.Json;
using GmsaSharp.Synthetic;

namespace GmsaSharp.Tests.Synthetic;

public class QaGeneratorTests
{
    private static readonly WordLists Words = WordLists.Load();
    private static readonly BiographyWorld World = BiographyWorld.Create(seed: 13, peopleCount: 300, Words);
    private static readonly IReadOnlyList<SyntheticDocument> Documents = new DocumentGenerator(World.People, Words, new DocumentOptions(), 4).Generate(30);

    [Fact]
    public void AnswersOccurVerbatimInTheirDocumentAndAskAboutSomeoneInIt()
    {
        IReadOnlyList<QaItem> items = new QaGenerator(questionsPerDocument: 5, seed: 9).Generate(Documents);

        Assert.Equal(5 * Documents.Count, items.Count);
        Assert.All(items, item =>
        {
            Assert.Contains(item.Person, item.Document.People);
            Assert.Contains(item.Person.FullName, item.Document.Text);
            Assert.Contains(item.Person.FullName, item.Question);
            Assert.Equal(item.Person.ValueOf(item.Attribute), item.Answer);
            Assert.Contains(item.Answer, item.Document.Text);
        });
    }

    [Fact]
    public void QaLinesLabelTheAttributeTheBiographyCountAndWhichBiographyIsAsked()
    {
        IReadOnlyList<QaItem> items = new QaGenerator(questionsPerDocument: 5, seed: 9).Generate(Documents);
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "qa.jsonl");

        CorpusWriter.WriteJsonl(path, items);

        JsonElement[] lines = File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(items.Count, lines.Length);
        foreach ((QaItem item, JsonElement line) in items.Zip(lines))
        {
            // Which biography, counted from the text: the order in which the people's full names first appear.
            string[] byAppearance = item.Document.People.Select(p => p.FullName).OrderBy(name => item.Document.Text.IndexOf(name, StringComparison.Ordinal)).ToArray();
            Assert.Equal(Array.IndexOf(byAppearance, item.Person.FullName) + 1, line.GetProperty("biography").GetInt32());
            Assert.Equal(item.Document.People.Count, line.GetProperty("biographies").GetInt32());
            Assert.Equal(item.Attribute.ToString(), line.GetProperty("attribute").GetString()!.Replace("_", ""), ignoreCase: true);
        }
        Assert.Equal(["birth_city", "birth_date", "employer", "employer_city", "major", "university"],
            lines.Select(l => l.GetProperty("attribute").GetString()).Distinct().Order());
        Assert.Contains(lines, l => l.GetProperty("biography").GetInt32() > 1);
    }

    [Fact]
    public void QuestionsCoverEveryAttributeAndManyParaphrases()
    {
        IReadOnlyList<QaItem> items = new QaGenerator(questionsPerDocument: 10, seed: 9).Generate(Documents);

        Assert.Equal(Enum.GetValues<PersonAttribute>().Length, items.Select(i => i.Attribute).Distinct().Count());
        int paraphrases = items.Select(i => i.Question.Replace(i.Person.FullName, "{name}")).Distinct().Count();
        Assert.Equal(QuestionTemplates.Questions.Values.Sum(q => q.Length), paraphrases);
    }

    [Fact]
    public void AsksDistinctPairsUntilTheyRunOut()
    {
        SyntheticDocument document = Documents[0];
        int pairs = document.People.Count * Enum.GetValues<PersonAttribute>().Length;

        IReadOnlyList<QaItem> items = new QaGenerator(pairs + 3, seed: 1).Generate(document, 0);

        Assert.Equal(pairs, items.Take(pairs).Select(i => (i.Person.Id, i.Attribute)).Distinct().Count());
        Assert.Equal(pairs + 3, items.Count);
    }
}
