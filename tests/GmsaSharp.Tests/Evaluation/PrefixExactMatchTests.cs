using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

public class PrefixExactMatchTests
{
    [Fact]
    public void CountsLeadingWordsUpToTheFirstDifference()
    {
        PrefixMatch match = PrefixExactMatch.Compute("the cat sat in the mat", "the cat sat on the mat");

        Assert.Equal(new PrefixMatch(3, 6), match);
        Assert.Equal(0.5, match.Fraction);
    }

    [Fact]
    public void ExactReconstructionScoresOneEvenWithTextAfterIt()
    {
        Assert.Equal(1.0, PrefixExactMatch.Compute("a  b\nc", "a b c").Fraction);
        Assert.Equal(1.0, PrefixExactMatch.Compute("a b c and more", "a b c").Fraction);
    }

    [Fact]
    public void WordsMustMatchExactly()
    {
        Assert.Equal(0, PrefixExactMatch.Compute("The cat", "the cat").MatchedLength);
        Assert.Equal(1, PrefixExactMatch.Compute("the cat.", "the cat").MatchedLength);
        Assert.Equal(0, PrefixExactMatch.Compute("", "the cat").MatchedLength);
    }

    [Fact]
    public void WorksOnTokenIds()
    {
        Assert.Equal(new PrefixMatch(2, 4), PrefixExactMatch.Compute<int>([5, 9, 1], [5, 9, 2, 7]));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => PrefixExactMatch.Compute(null!, "a"));
        Assert.Throws<ArgumentNullException>(() => PrefixExactMatch.Compute("a", null!));
        var empty = Assert.Throws<ArgumentException>(() => PrefixExactMatch.Compute("a", "  "));
        Assert.Equal("original", empty.ParamName);
    }
}
