using GmsaSharp.Checkpoints;
using GmsaSharp.Synthetic;
using GmsaSharp.Synthetic.Tokenization;
using GmsaSharp.Tokenization;

namespace GmsaSharp.Tests.Synthetic;

public class BpeTrainerTests
{
    private const string EndOfText = "<|endoftext|>";
    private static readonly string[] Specials = [EndOfText, "<|question|>", "<|answer|>"];

    /// <summary>Pretraining records of a small world, plus text outside the corpus's alphabet.</summary>
    private static readonly IReadOnlyList<string> Corpus = BuildCorpus();

    private static IReadOnlyList<string> BuildCorpus()
    {
        var words = WordLists.Load();
        var world = BiographyWorld.Create(seed: 17, peopleCount: 200, words);
        IReadOnlyList<SyntheticDocument> documents = new DocumentGenerator(world.People, words, new DocumentOptions(), 2).Generate(15);
        var items = new QaGenerator(3, 2).Generate(documents);
        var texts = documents.Select(d => CorpusWriter.PretrainingRecord(d, items.Where(i => i.Document == d)) + EndOfText).ToList();
        texts.Add("Zürich, Kraków, São Paulo; naïve café 日本語 🎉 \t tabs\r\n  and   spaces  ");
        return texts;
    }

    [Fact]
    public void SameInputGivesTheSameTokenizerWhateverTheTextOrder()
    {
        TrainedBpeTokenizer first = BpeTrainer.Train(Corpus, 700, Specials);
        TrainedBpeTokenizer second = BpeTrainer.Train(Corpus.Reverse(), 700, Specials);

        Assert.Equal(first.Tokens, second.Tokens);
        Assert.Equal(first.Merges, second.Merges);
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        first.Save(a.Path);
        second.Save(b.Path);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "tokenizer.json")), File.ReadAllBytes(Path.Combine(b.Path, "tokenizer.json")));
    }

    [Fact]
    public void LearnsTheRequestedVocabularyWithAllBytesAndSpecialsLast()
    {
        TrainedBpeTokenizer tokenizer = BpeTrainer.Train(Corpus, 700, Specials);

        Assert.Equal(700, tokenizer.VocabularySize);
        Assert.Equal(256 + tokenizer.Merges.Count, tokenizer.Tokens.Count);
        Assert.Equal(256, tokenizer.Tokens.Take(256).Distinct().Count());
        Assert.Equal([697, 698, 699], Specials.Select(tokenizer.SpecialTokenId));
        Assert.Equal(EndOfText, tokenizer.EndOfTextToken);
        Assert.DoesNotContain(tokenizer.Tokens, t => t.Contains("endoftext", StringComparison.Ordinal));
    }

    [Fact]
    public void StopsWhenNoPairOccursTwice()
    {
        TrainedBpeTokenizer tokenizer = BpeTrainer.Train(["abab abab"], 1000, [EndOfText]);

        // "ab" twice in each of two "abab" words, then "abab", then " abab" pieces: every pair that repeats.
        Assert.Equal(["a b", "ab ab"], tokenizer.Merges.Select(m => $"{m.Left} {m.Right}"));
        Assert.Equal(259, tokenizer.VocabularySize);
    }

    [Fact]
    public void SavedTokenizerLoadsAndRoundTripsTheCorpus()
    {
        TrainedBpeTokenizer trained = BpeTrainer.Train(Corpus, 700, Specials);
        using var folder = new TempDirectory();
        trained.Save(folder.Path);

        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(700, tokenizer.VocabularySize);
        Assert.False(tokenizer.AddBos);
        Assert.Null(tokenizer.BosId);
        Assert.Equal([trained.SpecialTokenId(EndOfText)], tokenizer.EosIds);
        long bytes = 0;
        long tokens = 0;
        foreach (string text in Corpus)
        {
            IReadOnlyList<int> ids = tokenizer.Encode(text);
            Assert.Equal(text, tokenizer.Decode(ids));
            bytes += System.Text.Encoding.UTF8.GetByteCount(text);
            tokens += ids.Count;
        }
        // The merges are learned on this very corpus, so even 441 of them must compress it well below one token per byte.
        Assert.True(tokens * 2 < bytes, $"{tokens} tokens for {bytes} bytes.");
    }

    [Fact]
    public void SpecialTokensEncodeAsSingleIds()
    {
        TrainedBpeTokenizer trained = BpeTrainer.Train(Corpus, 700, Specials);
        using var folder = new TempDirectory();
        trained.Save(folder.Path);
        HfTokenizer tokenizer = HfTokenizer.Load(folder.Path);

        foreach (string special in Specials)
        {
            Assert.Equal([trained.SpecialTokenId(special)], tokenizer.Encode(special));
        }
        IReadOnlyList<int> ids = tokenizer.Encode($"Where?{EndOfText}Paris");
        Assert.Single(ids, trained.SpecialTokenId(EndOfText));
        Assert.Equal("Where?Paris", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void RejectsImpossibleRequests()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(Corpus, 256, [EndOfText]));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(Corpus, 700, []));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(Corpus, 700, [EndOfText, EndOfText]));
    }
}
