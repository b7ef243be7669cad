using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Cli;

/// <summary>`gmsa compress` and `gmsa ask` on a tiny model with a fresh GMSA checkpoint.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class GmsaCliTests : IDisposable
{
    private const string Document = "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.\nthe cat sat on the mat.";
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-cli-gmsa-").FullName;
    private readonly string _model;
    private readonly string _gmsa;
    private readonly string _document;

    public GmsaCliTests()
    {
        _model = Path.Combine(_directory, "model");
        _gmsa = Path.Combine(_directory, "gmsa");
        _document = Path.Combine(_directory, "document.txt");
        TinyTextModel.Write(_model);
        File.WriteAllText(_document, Document);
        using var lm = CausalLM.FromPretrained(_model, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16, AnswerMaxNewTokens = 5 });
        compressor.RecordTrainedRates([4]);
        compressor.SavePretrained(_gmsa);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (int Code, string Out, string Error) Run(params string[] args) =>
        CliRunner.Run([.. args, "--model", _model, "--gmsa", _gmsa, "--dtype", "float32"]);

    [Fact]
    public void CompressWritesAContextThatAskAnswersFromLikeTheDocumentItself()
    {
        string contextFile = Path.Combine(_directory, "doc.gmsa");

        var compress = Run("compress", "--file", _document, "--rate", "4", "--out", contextFile);
        var fromContext = Run("ask", "--context", contextFile, "--question", "the dog", "--max-new-tokens", "8", "--stats");
        var fromFile = Run("ask", "--file", _document, "--rate", "4", "--question", "the dog", "--max-new-tokens", "8");

        Assert.True(compress.Code == 0, compress.Error);
        Assert.Contains("41 tokens -> 11 soft tokens (rate 4, 3 window(s))", compress.Out);
        Assert.True(fromContext.Code == 0, fromContext.Error);
        Assert.Contains("soft tokens", fromContext.Out);
        Assert.Equal(fromFile.Out.Split('\n')[0], fromContext.Out.Split('\n')[0]);
    }

    [Fact]
    public void AskUsesTheCheckpointsAnswerLengthUnlessToldOtherwise()
    {
        var byDefault = Run("ask", "--file", _document, "--rate", "4", "--question", "the dog", "--stop", "never-seen", "--stats");
        var told = Run("ask", "--file", _document, "--rate", "4", "--question", "the dog", "--stop", "never-seen", "--max-new-tokens", "2", "--stats");

        Assert.True(byDefault.Code == 0, byDefault.Error);
        Assert.Contains("answer 5 tokens (MaxNewTokens)", byDefault.Out);
        Assert.True(told.Code == 0, told.Error);
        Assert.Contains("answer 2 tokens (MaxNewTokens)", told.Out);
    }

    [Theory]
    [InlineData("\\n", 0)]
    [InlineData("a\\tb\\\\", 0)]
    [InlineData("\\q", 2)]
    [InlineData("ends\\", 2)]
    public void StopStringEscapesAreReadAndBadOnesNamed(string stop, int code)
    {
        var result = Run("ask", "--file", _document, "--rate", "4", "--question", "the dog", "--stop", stop);

        Assert.True(result.Code == code, result.Error);
        if (code == 2)
        {
            Assert.Contains("--stop", result.Error);
        }
    }

    [Fact]
    public void BenchPrintsItsHeaderOnceAndWritesItToTheResults()
    {
        string folder = Path.Combine(_directory, "bench");

        var result = CliRunner.Run("bench", "--random-layers", "1", "--random-encoder-layers", "1", "--contexts", "64", "--rates", "4",
            "--repeats", "1", "--answer-tokens", "2", "--out", folder, "--dtype", "float32");

        Assert.True(result.Code == 0, result.Error);
        Assert.Single(result.Out.Split('\n'), line => line.StartsWith("random Llama", StringComparison.Ordinal));
        Assert.StartsWith("random Llama", File.ReadAllText(Path.Combine(folder, "results.md")));
    }

    [Fact]
    public void AnUntrainedRateWarnsOnStderr()
    {
        var result = Run("ask", "--file", _document, "--rate", "2", "--question", "the dog", "--max-new-tokens", "2");

        Assert.Equal(0, result.Code);
        Assert.Contains("warning: Rate 2 is outside", result.Error);
    }

    [Theory]
    [InlineData("compress", "--file", "/nonexistent.txt", "--rate", "4", "--out", "x.gmsa")]
    [InlineData("compress", "--file", "DOC", "--rate", "0", "--out", "x.gmsa")]
    [InlineData("ask", "--context", "/nonexistent.gmsa", "--question", "q")]
    [InlineData("ask", "--file", "DOC", "--context", "x.gmsa", "--question", "q")]
    [InlineData("ask", "--file", "EMPTY", "--question", "q")]
    public void BadInputGivesAMessageAndExitCodeTwo(params string[] args)
    {
        File.WriteAllText(Path.Combine(_directory, "empty.txt"), "  ");
        string[] resolved = args.Select(a => a == "DOC" ? _document : a == "EMPTY" ? Path.Combine(_directory, "empty.txt") : a).ToArray();

        var result = Run(resolved);

        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: ", result.Error);
    }
}
