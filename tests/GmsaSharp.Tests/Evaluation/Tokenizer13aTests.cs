using GmsaSharp.Evaluation;

namespace GmsaSharp.Tests.Evaluation;

// Expected strings are the output of sacrebleu's Tokenizer13a (mjpost/sacrebleu f615c72) on the same inputs.
public class Tokenizer13aTests
{
    [Theory]
    [InlineData(
        "Hello, world! It's 3.14 and 1,000 - 5-4 (test) &quot;q&quot; <skipped>end",
        "Hello , world ! It's 3.14 and 1,000 - 5 - 4 ( test ) \" q \" end")]
    [InlineData(
        "U.S.A. costs $5.00, e-mail: x@y.com; 10-20% [a]{b}|c~d^e_f`g\\h",
        "U . S . A . costs $ 5.00 , e-mail : x @ y . com ; 10 - 20 % [ a ] { b } | c ~ d ^ e _ f ` g \\ h")]
    [InlineData(
        "line-\nbreak and\nnewline &amp;lt; &lt;tag&gt; 1.5.2 ,5 5, .x x.",
        "linebreak and newline < < tag > 1.5.2 , 5 5 , . x x .")]
    [InlineData("  multiple   spaces\tand tabs  ", "multiple spaces and tabs")]
    [InlineData("", "")]
    public void MatchesSacrebleu(string line, string expected)
    {
        Assert.Equal(expected, Tokenizer13a.Tokenize(line));
    }

    [Fact]
    public void NullIsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Tokenizer13a.Tokenize(null!));
    }
}
