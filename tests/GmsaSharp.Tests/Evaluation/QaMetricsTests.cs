using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

// Expected values follow the official SQuAD v1.1 evaluate script (normalize_answer, exact_match_score, f1_score) and
// the substring accuracy of "Lost in the Middle" (best_subspan_em), worked by hand.
public class QaMetricsTests
{
    [Theory]
    [InlineData("The Denver Broncos!", "denver broncos")]
    [InlineData("  An apple, a\tday\n", "apple day")]
    [InlineData("theater then anthem", "theater then anthem")]
    [InlineData("Rock'n'Roll (U.S.A.)", "rocknroll usa")]
    [InlineData("the", "")]
    public void NormalizesLikeSquad(string text, string expected)
    {
        Assert.Equal(expected, QaMetrics.Normalize(text));
    }

    // Inputs from other projects' published SQuAD test cases (T5's qa_utils_test normalize_squad and qa_metrics,
    // torchmetrics' SQuAD cases), with the values the official SQuAD v1.1 evaluate script gives for them (checked
    // with its normalize_answer and f1_score under Python 3): a curly quote is not in string.punctuation and stays,
    // an underscore is and goes, and tokens are whitespace-separated, so CJK text counts per space-separated word.
    [Fact]
    public void PublishedSquadCasesScoreAsTheOfficialScriptScoresThem()
    {
        Assert.Equal("needs alot of normalization\u2018", QaMetrics.Normalize("`Needs\tA_LOT of the 'normalization'.\"\u2018"));
        Assert.Equal("needs no normalization", QaMetrics.Normalize("needs no normalization"));

        // T5's four-sample qa_metrics case: EM 1 of 4; per-sample F1 0.5 ([big moose\u2018] vs [big moose]), 0, 1, 0.
        (string Prediction, string[] Golds)[] t5 =
        [
            ("a big moose\u2018", ["big moose", "hippo"]),
            ("wrong", ["correct1"]),
            ("correct2.2", ["correct2.1", "correct2.2"]),
            ("c", ["a", "b"]),
        ];
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 0.0 }, t5.Select(c => QaMetrics.ExactMatch(c.Prediction, c.Golds)));
        Assert.Equal(new[] { 0.5, 0.0, 1.0, 0.0 }, t5.Select(c => QaMetrics.F1(c.Prediction, c.Golds)));

        // torchmetrics: "2 \u6642\u9593 21 \u5206" against "2 \u6642\u9593": precision 2/4, recall 2/2, F1 2/3; "1976" exactly.
        Assert.Equal(2.0 / 3.0, QaMetrics.F1("2 \u6642\u9593 21 \u5206", ["2 \u6642\u9593"]), 1e-12);
        Assert.Equal(0.0, QaMetrics.ExactMatch("2 \u6642\u9593 21 \u5206", ["2 \u6642\u9593"]));
        Assert.Equal(1.0, QaMetrics.ExactMatch("1976", ["1976"]));
    }

    [Fact]
    public void ExactMatchIgnoresCaseArticlesAndPunctuation()
    {
        Assert.Equal(1.0, QaMetrics.ExactMatch("the Denver Broncos", ["Denver Broncos"]));
        Assert.Equal(0.0, QaMetrics.ExactMatch("Denver Broncos won", ["Denver Broncos"]));
        Assert.Equal(1.0, QaMetrics.ExactMatch("Broncos.", ["Denver Broncos", "broncos"]));
    }

    [Fact]
    public void F1IsTheBestTokenOverlapOverGolds()
    {
        // [denver broncos won] vs [denver broncos]: precision 2/3, recall 1, F1 0.8.
        Assert.Equal(0.8, QaMetrics.F1("Denver Broncos won", ["the Denver Broncos"]), 1e-12);
        Assert.Equal(1.0, QaMetrics.F1("Denver Broncos won", ["Carolina Panthers", "Denver Broncos won!"]), 1e-12);
        Assert.Equal(0.0, QaMetrics.F1("Carolina", ["Denver Broncos"]));
    }

    [Fact]
    public void F1CountsRepeatedTokensAsABag()
    {
        // One "paris" of the two matches: precision 1/2, recall 1, F1 2/3.
        Assert.Equal(2.0 / 3, QaMetrics.F1("Paris Paris", ["Paris"]), 1e-12);
    }

    [Fact]
    public void F1OfAnEmptyPredictionIsZero()
    {
        Assert.Equal(0.0, QaMetrics.F1("the", ["Paris"]));
    }

    [Fact]
    public void AccuracyAsksWhetherAGoldOccursInThePrediction()
    {
        Assert.Equal(1.0, QaMetrics.Accuracy("The answer is: the Denver Broncos.", ["Carolina", "Denver Broncos"]));
        Assert.Equal(0.0, QaMetrics.Accuracy("The answer is Denver.", ["Denver Broncos"]));
        // A plain substring test, as in the reference: it does not respect word boundaries.
        Assert.Equal(1.0, QaMetrics.Accuracy("It was 1990.", ["1"]));
    }

    [Fact]
    public void AverageReportsPercentages()
    {
        QaScores scores = QaScores.Average(
        [
            ("Denver Broncos", ["Denver Broncos"]),
            ("I think Denver Broncos won", ["the Denver Broncos"]),
            ("Carolina", ["Denver Broncos"]),
            ("Paris Paris", ["Paris"]),
        ]);

        // F1 per item: 1, 2*(2/5)*1/(2/5+1) = 4/7, 0, 2/3.
        Assert.Equal(4, scores.Count);
        Assert.Equal(75.0, scores.Accuracy, 1e-12);
        Assert.Equal(25.0, scores.ExactMatch, 1e-12);
        Assert.Equal(100.0 * (1 + 4.0 / 7 + 0 + 2.0 / 3) / 4, scores.F1, 1e-12);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => QaMetrics.ExactMatch(null!, ["a"]));
        Assert.Throws<ArgumentNullException>(() => QaMetrics.F1("a", null!));
        Assert.Throws<ArgumentNullException>(() => QaMetrics.Accuracy("a", [null!]));

        var empty = Assert.Throws<ArgumentException>(() => QaMetrics.Accuracy("a", []));
        Assert.Equal("golds", empty.ParamName);
        Assert.Contains("empty", empty.Message);
        var article = Assert.Throws<ArgumentException>(() => QaMetrics.Accuracy("a", ["The"]));
        Assert.Equal("golds", article.ParamName);

        Assert.Throws<ArgumentNullException>(() => QaScores.Average(null!));
        Assert.Throws<ArgumentException>(() => QaScores.Average([]));
        var badItem = Assert.Throws<ArgumentException>(() => QaScores.Average([("a", ["b"]), ("a", [])]));
        Assert.Equal("items", badItem.ParamName);
        Assert.Contains("Item 1", badItem.Message);
        Assert.Throws<ArgumentNullException>(() => QaScores.Average([("a", [null!])]));
    }

    // Expected values are what the SQuAD scripts' normalize_answer gives under Python 3 (str.lower, re's \b).
    [Theory]
    [InlineData("ΟΔΟΣ", "οδος")]
    [InlineData("ΟΔΟΣ ΣΑ", "οδος σα")]
    [InlineData("Σ", "σ")]
    [InlineData("ΑΣ.", "ας")]
    [InlineData("ΑΣ'Α", "ασα")]
    [InlineData("ὈΔΥΣΣΕΎΣ", "ὀδυσσεύς")]
    [InlineData("İstanbul", "i\u0307stanbul")]
    [InlineData("ǅA THE", "ǆa")]
    [InlineData("a\u0301 cat", "\u0301 cat")]
    [InlineData("the\u0308", "\u0308")]
    [InlineData("a\u200db the", "\u200db")]
    [InlineData("a\u200cthe", "\u200c")]
    [InlineData("x²a", "x²a")]
    [InlineData("a²", "a²")]
    [InlineData("²a the", "²a")]
    [InlineData("Ⅻa the", "ⅻa")]
    [InlineData("an_a the", "ana")]
    public void NormalizesLikePythonOnUnicode(string text, string expected)
    {
        Assert.Equal(expected, QaMetrics.Normalize(text));
    }

    [Fact]
    public void GoldsThatNormaliseToNothingAreDroppedAsInSquadV2()
    {
        string[] golds = ["", "The.", "1976"];

        Assert.Equal(1.0, QaMetrics.ExactMatch("1976", golds));
        Assert.Equal(2.0 / 3, QaMetrics.F1("in 1976", ["a", "1976"]), 12);
        // An empty gold would be a substring of any prediction; dropped, it matches nothing.
        Assert.Equal(0.0, QaMetrics.Accuracy("in 1980", golds));
        var none = Assert.Throws<ArgumentException>(() => QaMetrics.ExactMatch("x", ["", "An."]));
        Assert.Contains("Every gold answer", none.Message);
    }
}

