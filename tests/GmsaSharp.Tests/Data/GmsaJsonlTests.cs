using GmsaSharp.Data;
using GmsaSharp.Training;

namespace GmsaSharp.Tests.Data;

public sealed class GmsaJsonlTests : IDisposable
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("gmsasharp-jsonl-").FullName, "data.jsonl");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    [Fact]
    public void KeepsScalarLabelFieldsAsTextAndSkipsNestedOnes()
    {
        File.WriteAllText(_path, """
            {"input": "doc", "prompt": "q?", "answer": ["a", "b"], "attribute": "birth_date", "biographies": 12, "weight": 0.5, "hard": true, "meta": {"x": 1}, "tags": ["t"], "none": null}
            {"input": "doc 2"}
            """);

        IReadOnlyList<GmsaSample> samples = GmsaJsonl.Read(_path, requireQa: false);

        Assert.Equal(new Dictionary<string, string> { ["attribute"] = "birth_date", ["biographies"] = "12", ["weight"] = "0.5", ["hard"] = "true" }, samples[0].Fields);
        Assert.Equal(["a", "b"], samples[0].Answers);
        Assert.Empty(samples[1].Fields);
    }

    [Theory]
    [InlineData("""{"prompt": "q?", "answer": "a"}""", "line 1 has no string field 'input'")]
    [InlineData("""{"input": "doc", "prompt": "q?"}""", "line 1 needs a non-empty 'prompt' and 'answer' for QA")]
    [InlineData("""{"input": "doc", "prompt": "q?", "answer": 3}""", "'answer' must be a string or a non-empty array of strings")]
    [InlineData("[1, 2]", "line 1 is not a JSON object")]
    [InlineData("{\"input\": ", "line 1 is not valid JSON")]
    public void BadLinesAreNamedWithTheirLine(string line, string message)
    {
        File.WriteAllText(_path, line + "\n");

        var error = Assert.Throws<InvalidDataException>(() => GmsaJsonl.Read(_path, requireQa: true));

        Assert.Contains(message, error.Message);
    }
}
