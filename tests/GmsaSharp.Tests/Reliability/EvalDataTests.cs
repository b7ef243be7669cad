using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>`gmsa eval` checks all of its data before answering anything (file and line in each message) and keeps the
/// results of the methods that completed when a later one fails.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class EvalDataTests : IDisposable
{
    private const string Good = """{"input": "the cat sat on the mat.", "prompt": "who sat?", "answer": "the cat"}""";
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-evaldata-").FullName;

    public EvalDataTests()
    {
        TinyTextModel.Write(P("model"));
        using var lm = CausalLM.FromPretrained(P("model"), new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16 });
        compressor.SavePretrained(P("gmsa"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private (int Code, string Out, string Error) Eval(string[] lines, params string[] extra)
    {
        File.WriteAllLines(P("data.jsonl"), lines);
        return CliRunner.Run(["eval", "--model", P("model"), "--gmsa", P("gmsa"), "--data", P("data.jsonl"), "--out", P("eval"),
            "--dtype", "float32", "--max-new-tokens", "4", .. extra]);
    }

    [Theory]
    [InlineData("""{"input": "the dog.", "prompt": "what?", "answer": ["", "The."]}""", "line 2: Every gold answer")]
    [InlineData("""{"input": "the dog.", "prompt": "what?"}""", "line 2 needs a non-empty 'prompt' and 'answer'")]
    public void BadGoldsAreNamedWithTheirLineBeforeAnythingRuns(string badLine, string message)
    {
        var result = Eval([Good, badLine, Good], "--rates", "4");

        Assert.Equal(2, result.Code);
        Assert.Contains($"data.jsonl' {message}", result.Error);
        Assert.False(Directory.Exists(P("eval")));
    }

    [Fact]
    public void AContextThatCannotFitIsNamedWithItsLineBeforeAnythingRuns()
    {
        string longContext = JsonSerializer.Serialize(new { input = string.Join(" ", Enumerable.Repeat("the cat sat on the mat.", 40)), prompt = "who?", answer = "cat" });

        var result = Eval([Good, Good, longContext], "--rates", "4");

        Assert.Equal(2, result.Code);
        Assert.Contains("data.jsonl' line 3: the full prompt has", result.Error);
        Assert.False(Directory.Exists(P("eval")));
    }

    [Fact]
    public void CompletedMethodsAreWrittenWhenALaterOneFails()
    {
        string input = JsonSerializer.Serialize(new { input = string.Join(" ", Enumerable.Repeat("the cat sat on the mat.", 25)) });

        // Rate 4 fits the tiny decoder's 128 positions; rate 1 does not, and fails after rate 4 has run.
        var result = Eval([input], "--reconstruction", "--rates", "4,1");

        Assert.Equal(2, result.Code);
        Assert.Contains("results of the 1 completed method(s)", result.Error);
        string output = Assert.Single(File.ReadAllLines(P("eval/outputs.jsonl")));
        Assert.Equal(4, JsonDocument.Parse(output).RootElement.GetProperty("rate").GetInt32());
    }
}
