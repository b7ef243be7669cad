namespace GmsaSharp.Benchmarks.Tests;

/// <summary>`first-answers` times each of a process's first answers on a model folder and says what it needs.</summary>
public sealed class FirstAnswersTests
{
    [Fact]
    public void EachAnswerGetsItsOwnLine()
    {
        var output = new StringWriter();

        int code = FirstAnswers.Run(["--model", BundledModel.Base, "--tokens", "2", "--answers", "3"], output);

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(0, code);
        Assert.Contains("2 generated tokens per answer", lines[0]);
        Assert.Equal(["answer 1:", "answer 2:", "answer 3:"], lines[1..].Select(line => line[..line.IndexOf(':', StringComparison.Ordinal)] + ":"));
        Assert.All(lines[1..], line => Assert.EndsWith(" ms", line.TrimEnd()));
    }

    [Fact]
    public void WithoutAModelItSaysSo()
    {
        var error = Assert.Throws<ArgumentException>(() => FirstAnswers.Run(["--answers", "3"], TextWriter.Null));

        Assert.Contains("--model", error.Message);
    }
}
