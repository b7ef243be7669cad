using GmsaSharp.Compression;

namespace GmsaSharp.Tests.Compression;

public sealed class AnswerPrefixTests
{
    [Theory]
    [InlineData(" Copenhagen", " ", "Copenhagen")]
    [InlineData("Copenhagen", " ", "Copenhagen")]
    [InlineData("  two spaces", " ", " two spaces")]
    [InlineData(" ", " ", "")]
    [InlineData("", " ", "")]
    [InlineData(" Copenhagen", "", " Copenhagen")]
    [InlineData("=> yes", "=> ", "yes")]
    [InlineData("=", "=> ", "=")]
    public async Task TheTemplatesAnswerPrefixIsRemovedFromWholeAndStreamedAnswersAlike(string answer, string prefix, string expected)
    {
        Assert.Equal(expected, AnswerPrefix.Strip(answer, prefix));
        // Every way of cutting the answer into streamed pieces gives the same text.
        for (int cut = 0; cut <= answer.Length; cut++)
        {
            string[] pieces = [.. new[] { answer[..cut], answer[cut..] }.Where(piece => piece.Length > 0)];
            Assert.Equal(expected, string.Concat(await AnswerPrefix.Strip(pieces.ToAsyncEnumerable(), prefix).ToListAsync()));
        }
        Assert.Equal(expected, string.Concat(await AnswerPrefix.Strip(answer.Select(c => c.ToString()).ToAsyncEnumerable(), prefix).ToListAsync()));
    }
}
