using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Reliability;

/// <summary>Bad command lines and doubtful inputs: exit code 2 with the project's own words for errors (no .NET
/// parameter suffixes or type names, the real target path), and a warning for what is accepted but suspect.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class CliMessageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-messages-").FullName;

    public CliMessageTests()
    {
        TinyTextModel.Write(P("model"));
        File.WriteAllText(P("doc.txt"), "the cat sat on the mat. the dog ate the cat food in 2024.");
        using var lm = CausalLM.FromPretrained(P("model"), new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(4, 8, 0, LoraSettings.AllProjections), WindowSize = 16 });
        compressor.SavePretrained(P("gmsa"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string P(string name) => Path.Combine(_directory, name);

    private (int Code, string Out, string Error) Run(params string[] args) =>
        CliRunner.Run([.. args.Select(a => a.StartsWith('@') ? P(a[1..]) : a), "--gmsa", P("gmsa"), "--dtype", "float32"]);

    [Theory]
    [InlineData("The compression rate must be at least 1.", "compress", "--model", "@model", "--file", "@doc.txt", "--rate", "0", "--out", "@x.gmsa")]
    [InlineData("--rate expects a whole number, got 'abc'.", "compress", "--model", "@model", "--file", "@doc.txt", "--rate", "abc", "--out", "@x.gmsa")]
    [InlineData("--window expects a whole number, got '1.5'.", "compress", "--model", "@model", "--file", "@doc.txt", "--rate", "4", "--window", "1.5", "--out", "@x.gmsa")]
    [InlineData("is a file, expected a folder", "compress", "--model", "@doc.txt", "--file", "@doc.txt", "--rate", "4", "--out", "@x.gmsa")]
    [InlineData("missing/x.gmsa'", "compress", "--model", "@model", "--file", "@doc.txt", "--rate", "4", "--out", "@missing/x.gmsa")]
    [InlineData("Unrecognized command or argument '--bogus'", "compress", "--model", "@model", "--bogus")]
    [InlineData("is a folder, expected a text file", "ask", "--model", "@model", "--file", "@model", "--question", "q")]
    [InlineData("--contexts must be comma-separated integers >= 1, got '64,x'.", "bench", "--model", "@model", "--contexts", "64,x", "--rates", "4", "--out", "@bench")]
    [InlineData("--rates must be comma-separated integers >= 1, got '0'.", "bench", "--model", "@model", "--contexts", "64", "--rates", "0", "--out", "@bench")]
    [InlineData("--decay must be cosine, linear or constant, got 'step'.", "train", "autoencode", "--model", "@model", "--data", "@doc.txt", "--out", "@out", "--steps", "1", "--decay", "step")]
    [InlineData("--decay must be cosine, linear or constant, got '1'.", "train", "autoencode", "--model", "@model", "--data", "@doc.txt", "--out", "@out", "--steps", "1", "--decay", "1")]
    public void BadInputIsExitCodeTwoInTheProjectsWords(string message, params string[] args)
    {
        var result = Run(args);

        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("(Parameter", result.Error);
        Assert.DoesNotContain("Actual value", result.Error);
        Assert.DoesNotContain("System.", result.Error);
        Assert.DoesNotContain(".tmp", result.Error);
    }

    [Fact]
    public void AskRefusesARateForASavedContextInsteadOfIgnoringIt()
    {
        Assert.Equal(0, Run("compress", "--model", "@model", "--file", "@doc.txt", "--rate", "4", "--out", "@doc.gmsa").Code);

        var result = Run("ask", "--model", "@model", "--context", "@doc.gmsa", "--rate", "8", "--question", "q", "--max-new-tokens", "2");

        Assert.Equal(2, result.Code);
        Assert.Contains("--rate 8 applies only to --file", result.Error);
    }

    [Theory]
    [InlineData("not valid UTF-8: 2 character(s)", new byte[] { (byte)'t', (byte)'h', (byte)'e', 0xff, (byte)' ', (byte)'c', (byte)'a', (byte)'t', 0xc3, (byte)'.' }, null)]
    [InlineData("has only 1 token(s)", new byte[] { (byte)'c' }, null)]
    [InlineData("Window 64 is larger than the 16 tokens", new byte[] { (byte)'t', (byte)'h', (byte)'e', (byte)' ', (byte)'c', (byte)'a', (byte)'t' }, "64")]
    public void DoubtfulDocumentsAndWindowsWarn(string warning, byte[] document, string? window)
    {
        File.WriteAllBytes(P("odd.txt"), document);
        string[] windowOption = window is null ? [] : ["--window", window];

        var result = Run(["compress", "--model", "@model", "--file", "@odd.txt", "--rate", "4", "--out", "@odd.gmsa", .. windowOption]);

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("warning: ", result.Error);
        Assert.Contains(warning, result.Error);
    }
}
