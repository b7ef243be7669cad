using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

// Reference values: sacrebleu's own tests (test/test_bleu.py, test/test_sentence_bleu.py), and sacrebleu
// (mjpost/sacrebleu f615c72, default settings) run on the other inputs.
public class BleuTests
{
    // The README example of test_bleu.py, transposed to one reference list per hypothesis.
    private static readonly string[] ReadmeHypotheses =
    [
        "The dog bit the man.",
        "It wasn't surprising.",
        "The man had just bitten him.",
    ];

    private static readonly string[][] ReadmeReferences =
    [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected.", "No one was surprised."],
        ["The man bit him first.", "The man had bitten the dog."],
    ];

    [Fact]
    public void CorpusMatchesSacrebleuReadmeExample()
    {
        Assert.Equal(48.530827009929865, Bleu.Corpus(ReadmeHypotheses, ReadmeReferences).Score, 1e-9);
    }

    [Fact]
    public void EmptyHypothesesScoreZero()
    {
        Assert.Equal(0.0, Bleu.Corpus(["", "", ""], ReadmeReferences).Score);
    }

    [Fact]
    public void IdenticalTextScoresOneHundred()
    {
        BleuScore score = Bleu.Corpus(["the cat is on the mat", "Hello, world!"], ["the cat is on the mat", "Hello, world!"]);

        Assert.Equal(100.0, score.Score, 1e-9);
        Assert.Equal(1.0, score.BrevityPenalty);
    }

    [Fact]
    public void AlreadyTokenizedTextScoresLikeDetokenizedText()
    {
        // 13a leaves space-separated punctuation as it is, so tokenized and raw forms of one text agree.
        Assert.Equal(100.0, Bleu.Sentence("Hello, world!", "Hello , world !").Score, 1e-9);
    }

    [Fact]
    public void NoOverlapScoresZero()
    {
        Assert.Equal(0.0, Bleu.Corpus(["a b c"], ["d e f"]).Score);
        Assert.Equal(0.0, Bleu.Sentence("this is a cat", "okay thanks").Score);
    }

    [Fact]
    public void ShortHypothesisIsPenalised()
    {
        BleuScore score = Bleu.Corpus(["the cat is on the mat"], ["the cat is on the mat today"]);

        Assert.Equal(Math.Exp(1 - 7.0 / 6), score.BrevityPenalty, 1e-12);
        Assert.Equal(84.64817248906144, score.Score, 1e-9);
        Assert.Equal(6, score.HypothesisLength);
        Assert.Equal(7, score.ReferenceLength);
    }

    [Fact]
    public void CorpusSumsStatisticsOverSegments()
    {
        BleuScore score = Bleu.Corpus(["the cat sat on the mat", "cat"], ["the cat is on the mat", "the cat"]);

        Assert.Equal(33.16700344765876, score.Score, 1e-9);
        Assert.Equal([6, 3, 1, 0], score.Counts);
        Assert.Equal([7, 5, 4, 3], score.Totals);
    }

    [Fact]
    public void CountsClipToTheReference()
    {
        // test_bleu.py test_statistics (13a leaves this text as it is).
        BleuScore score = Bleu.Corpus(["am I am a character sequence"], ["I am a symbol string sequence a a"]);

        Assert.Equal([4, 2, 1, 0], score.Counts);
        Assert.Equal([6, 5, 4, 3], score.Totals);
    }

    [Fact]
    public void ClosestReferenceLengthPrefersTheShorterOnATie()
    {
        BleuScore score = Bleu.Corpus(["a b c d"], [["a b c", "a b c d e"]]);

        Assert.Equal(3, score.ReferenceLength);
        Assert.Equal(100.0, score.Score, 1e-9);
    }

    [Fact]
    public void ScoreFromStatisticsMatchesSacrebleu()
    {
        // test_bleu.py test_scoring: 0.8375922397 on a 0-1 scale.
        BleuScore score = Bleu.FromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, effectiveOrder: false);

        Assert.Equal(83.75922397, score.Score, 1e-6);
    }

    [Fact]
    public void SentenceMatchesSacrebleuWithExpSmoothing()
    {
        // test_sentence_bleu.py, 'exp' smoothing with the 13a tokenizer: 8.493.
        BleuScore score = Bleu.Sentence(
            "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
            "producţia de zahăr brut se exprimă în zahăr alb;");

        Assert.Equal(8.493098745313148, score.Score, 1e-9);
    }

    [Fact]
    public void ExpSmoothingHalvesEachFurtherOrderWithoutMatches()
    {
        BleuScore score = Bleu.Sentence("the the the the the the the", "the cat is on the mat");

        Assert.Equal(100.0 * 2 / 7, score.Precisions[0], 1e-12);
        Assert.Equal(100.0 / (2 * 6), score.Precisions[1], 1e-12);
        Assert.Equal(100.0 / (4 * 5), score.Precisions[2], 1e-12);
        Assert.Equal(100.0 / (8 * 4), score.Precisions[3], 1e-12);
        Assert.Equal(7.809849842300637, score.Score, 1e-9);
    }

    [Fact]
    public void SentenceScoresMatchSacrebleu()
    {
        Assert.Equal(37.99178428257963, Bleu.Sentence("the cat sat on the mat", "the cat is on the mat").Score, 1e-9);
        Assert.Equal(36.78794411714425, Bleu.Sentence("on the mat", ["the cat is on the mat", "a cat sat on the mat"]).Score, 1e-9);
    }

    [Fact]
    public void SentenceUsesEffectiveOrderButCorpusDoesNot()
    {
        // One word has no bigrams: sentence BLEU averages over unigrams only, corpus BLEU scores 0.
        Assert.Equal(36.78794411714425, Bleu.Sentence("cat", "the cat").Score, 1e-9);
        Assert.Equal(0.0, Bleu.Corpus(["cat"], ["the cat"]).Score);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Bleu.Sentence(null!, "a"));
        Assert.Throws<ArgumentNullException>(() => Bleu.Sentence("a", (string)null!));
        Assert.Throws<ArgumentNullException>(() => Bleu.Corpus(["a"], new string[] { null! }));
        Assert.Throws<ArgumentNullException>(() => Bleu.Corpus(null!, ["a"]));

        var empty = Assert.Throws<ArgumentException>(() => Bleu.Sentence("a", Array.Empty<string>()));
        Assert.Equal("references", empty.ParamName);
        var mismatch = Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a", "b"], ["a"]));
        Assert.Equal("references", mismatch.ParamName);
    }
}
