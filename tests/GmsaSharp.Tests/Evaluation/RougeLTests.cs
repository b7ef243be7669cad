using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

// Reference values: google-research/google-research rouge/rouge_scorer_test.py (whose ROUGE-1.5.5 cases use the first
// two lines of rouge/testdata/target.txt and prediction.txt, copied below).
public class RougeLTests
{
    [Theory]
    [InlineData("testing one", "testing one two")]
    [InlineData("testing two", "testing one two")]
    public void MatchesRougeScoreUnitTests(string prediction, string reference)
    {
        RougeScore score = RougeL.Compute(prediction, reference);

        Assert.Equal(1.0, score.Precision, 1e-12);
        Assert.Equal(2.0 / 3, score.Recall, 1e-12);
        Assert.Equal(4.0 / 5, score.FMeasure, 1e-12);
    }

    [Theory]
    [InlineData(
        "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
        "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
        0.68750, 0.40741, 0.51163)]
    [InlineData(
        "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
        "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
        0.65385, 0.40476, 0.50000)]
    public void MatchesRouge155(string prediction, string reference, double precision, double recall, double f)
    {
        RougeScore score = RougeL.Compute(prediction, reference);

        Assert.Equal(precision, score.Precision, 5e-6);
        Assert.Equal(recall, score.Recall, 5e-6);
        Assert.Equal(f, score.FMeasure, 5e-6);
    }

    [Fact]
    public void IdenticalTextScoresOne()
    {
        RougeScore score = RougeL.Compute("The quick brown fox.", "the quick, brown fox");

        Assert.Equal(new RougeScore(1, 1, 1), score);
    }

    [Theory]
    [InlineData("", "testing one two")]
    [InlineData("testing one two", "")]
    [InlineData("/ ,;", "testing one two")]
    [InlineData("alpha beta", "gamma delta")]
    public void NoTokensOrNoOverlapScoresZero(string prediction, string reference)
    {
        Assert.Equal(new RougeScore(0, 0, 0), RougeL.Compute(prediction, reference));
    }

    [Fact]
    public void TokenizationKeepsOnlyAsciiLettersAndDigits()
    {
        Assert.Equal(["hello", "world", "x", "y", "caf", "3", "14"], RougeL.Tokenize("Hello, World! x_y café 3.14"));
    }

    [Fact]
    public void LongestCommonSubsequenceNeedNotBeContiguous()
    {
        // rouge_scorer_test.py testLcsTable.
        Assert.Equal(3, RougeL.LongestCommonSubsequence([1, 2, 3, 4, 5], [2, 5, 3, 4]));
        Assert.Equal(0, RougeL.LongestCommonSubsequence([1, 2, 3, 4, 5], [8, 9]));
    }

    [Fact]
    public void NullIsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => RougeL.Compute(null!, "a"));
        Assert.Throws<ArgumentNullException>(() => RougeL.Compute("a", null!));
    }
}
