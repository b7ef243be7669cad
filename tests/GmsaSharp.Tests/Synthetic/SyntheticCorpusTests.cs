using System.Text.Json;
using GmsaSharp.Synthetic;

namespace GmsaSharp.Tests.Synthetic;

public class SyntheticCorpusTests
{
    private static readonly SyntheticCorpusOptions Small = new()
    {
        Seed = 21,
        PeopleCount = 400,
        TrainDocuments = 12,
        ValidationDocuments = 4,
        TestDocuments = 5,
        QuestionsPerDocument = 3,
    };

    private static readonly string[] Splits = ["train", "validation", "test"];
    private static readonly string[] Files = [SyntheticCorpus.AutoencoderFile, SyntheticCorpus.QaFile, SyntheticCorpus.RestateFile, SyntheticCorpus.CopyFile, SyntheticCorpus.PretrainingFile];

    [Fact]
    public void SameSeedWritesIdenticalBytesAndAnotherSeedDoesNot()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        using var other = new TempDirectory();

        SyntheticCorpus.Write(first.Path, Small);
        SyntheticCorpus.Write(second.Path, Small);
        SyntheticCorpus.Write(other.Path, Small with { Seed = 22 });

        foreach (string split in Splits)
        {
            foreach (string file in Files)
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(first.Path, split, file));
                Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(second.Path, split, file)));
                Assert.NotEqual(bytes, File.ReadAllBytes(Path.Combine(other.Path, split, file)));
            }
        }
    }

    [Fact]
    public void WritesTheReferenceSchemaWithCountsThatMatchTheFiles()
    {
        using var output = new TempDirectory();

        IReadOnlyList<SyntheticSplitCounts> counts = SyntheticCorpus.Write(output.Path, Small);

        Assert.Equal(Splits, counts.Select(c => c.Name));
        Assert.Equal([320, 40, 40], counts.Select(c => c.People));
        Assert.Equal([12, 4, 5], counts.Select(c => c.Documents));
        foreach (SyntheticSplitCounts split in counts)
        {
            string directory = Path.Combine(output.Path, split.Name);
            List<JsonElement> documents = ReadJsonl(Path.Combine(directory, SyntheticCorpus.AutoencoderFile));
            List<JsonElement> questions = ReadJsonl(Path.Combine(directory, SyntheticCorpus.QaFile));
            Assert.Equal(split.Documents, documents.Count);
            Assert.Equal(split.QaItems, questions.Count);
            Assert.Equal(3 * split.Documents, split.QaItems);
            Assert.All(documents, d => Assert.Equal(["input"], d.EnumerateObject().Select(p => p.Name)));
            Assert.All(questions, q =>
            {
                Assert.Equal(["input", "prompt", "answer", "attribute", "biographies", "biography"], q.EnumerateObject().Select(p => p.Name));
                Assert.Contains(q.GetProperty("answer").GetString()!, q.GetProperty("input").GetString()!);
                Assert.Contains(q.GetProperty("attribute").GetString()!, Enum.GetValues<PersonAttribute>().Select(CorpusWriter.AttributeName));
                Assert.InRange(q.GetProperty("biography").GetInt32(), 1, q.GetProperty("biographies").GetInt32());
            });

            List<JsonElement> restatements = ReadJsonl(Path.Combine(directory, SyntheticCorpus.RestateFile));
            Assert.Equal(documents.Select(d => d.GetProperty("input").GetString()), restatements.Select(r => r.GetProperty("input").GetString()));
            Assert.All(restatements, r =>
            {
                Assert.Equal(r.GetProperty("input").GetString(), r.GetProperty("answer").GetString());
                Assert.Equal(SyntheticCorpus.RestateInstruction, r.GetProperty("prompt").GetString());
            });

            List<JsonElement> copies = ReadJsonl(Path.Combine(directory, SyntheticCorpus.CopyFile));
            Assert.Equal(split.Documents, copies.Count);
            Assert.All(copies, c =>
            {
                Assert.Equal(["input", "prompt", "answer"], c.EnumerateObject().Select(p => p.Name));
                Assert.Equal(c.GetProperty("input").GetString(), c.GetProperty("answer").GetString());
                Assert.Equal(SyntheticCorpus.CopyInstruction, c.GetProperty("prompt").GetString());
            });
            Assert.Equal(copies.Count, copies.Select(c => c.GetProperty("input").GetString()).Distinct().Count());

            string pretraining = File.ReadAllText(Path.Combine(directory, SyntheticCorpus.PretrainingFile));
            Assert.Equal(split.PretrainingCharacters, pretraining.Length);
            string[] records = pretraining.Split(Small.EndOfTextToken);
            Assert.Equal("", records[^1]);
            Assert.Equal(split.Documents, records.Length - 1);
            Assert.StartsWith(documents[0].GetProperty("input").GetString()! + "\n\nQuestion: ", records[0]);
        }
    }

    [Fact]
    public void RestatementsAskWithGmsasAutoencodingInstruction() =>
        Assert.Equal(SyntheticCorpus.RestateInstruction, GmsaSharp.Compression.PromptLayout.DefaultAutoencodeInstruction);

    [Fact]
    public void NoPersonAppearsInTwoSplits()
    {
        using var output = new TempDirectory();
        SyntheticCorpus.Write(output.Path, Small);
        BiographySplits splits = BiographyWorld.Create(Small.Seed, Small.PeopleCount).Split(Small.ValidationFraction, Small.TestFraction);

        string train = File.ReadAllText(Path.Combine(output.Path, "train", SyntheticCorpus.AutoencoderFile));
        string heldOut = File.ReadAllText(Path.Combine(output.Path, "validation", SyntheticCorpus.AutoencoderFile))
            + File.ReadAllText(Path.Combine(output.Path, "test", SyntheticCorpus.AutoencoderFile));

        Assert.DoesNotContain(splits.Train, p => heldOut.Contains(p.FullName));
        Assert.DoesNotContain(splits.Validation.Concat(splits.Test), p => train.Contains(p.FullName));
        Assert.Contains(splits.Test.Select(p => p.FullName), heldOut.Contains);
    }

    private static List<JsonElement> ReadJsonl(string path) =>
        File.ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement).ToList();
}
