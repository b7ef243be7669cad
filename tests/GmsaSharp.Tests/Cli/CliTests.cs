using System.Text.Json;
using GmsaSharp.Cli;
using GmsaSharp.Evaluation;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Cli;

/// <summary>The `gmsa` commands, invoked in-process with their output captured.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-cli-").FullName;

    public CliTests() => TinyTextModel.Write(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void GenerateFromTokenIdsPrintsTheIdsAndTheirText()
    {
        var (code, output, _) = CliRunner.Run("generate", "--model", _directory, "--token-ids", "5,6,7", "--max-new-tokens", "5", "--dtype", "float32");

        Assert.Equal(0, code);
        using var lm = CausalLM.FromPretrained(_directory, new ComputeOptions { DType = ScalarType.Float32 });
        int[] expected = GmsaSharp.Generation.TokenGenerator.Generate(lm, [5, 6, 7], new() { MaxNewTokens = 5 }).ToArray();
        Assert.StartsWith(string.Join(",", expected), output);
    }

    [Fact]
    public async Task GenerateFromAPromptStreamsTheSampledContinuation()
    {
        var (code, output, error) = CliRunner.Run("generate", "--model", _directory, "--prompt", "the cat", "--max-new-tokens", "6", "--temperature", "0.8", "--seed", "3", "--dtype", "float32");

        Assert.True(code == 0, error);
        using var lm = CausalLM.FromPretrained(_directory, new ComputeOptions { DType = ScalarType.Float32 });
        GenerationResult expected = await TextGeneration.GenerateAsync(lm, "the cat", new GenerationOptions { MaxNewTokens = 6, Temperature = 0.8, Seed = 3 });
        Assert.Equal(expected.Text + Environment.NewLine, output);
    }

    [Fact]
    public void PerplexityJsonHasTokensNllAndPerplexity()
    {
        var (code, output, error) = CliRunner.Run("perplexity", "--model", _directory, "--text", "the cat sat on the mat.", "--json", "--dtype", "float32");

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        using var lm = CausalLM.FromPretrained(_directory, new ComputeOptions { DType = ScalarType.Float32 });
        Perplexity expected = Perplexity.Compute(lm, lm.Tokenizer!.Encode("the cat sat on the mat."));
        Assert.Equal(expected.Tokens, json.RootElement.GetProperty("tokens").GetInt32());
        Assert.Equal(expected.Nll, json.RootElement.GetProperty("nll").GetDouble(), 5);
        Assert.Equal(expected.Value, json.RootElement.GetProperty("perplexity").GetDouble(), 3);
    }

    [Fact]
    public void PerplexityReadsAFileAndPrintsAReadableLine()
    {
        string file = Path.Combine(_directory, "text.txt");
        File.WriteAllText(file, "the dog ate the cat food");

        var (code, output, _) = CliRunner.Run("perplexity", "--model", _directory, "--file", file);

        Assert.Equal(0, code);
        Assert.Contains("perplexity", output);
    }

    [Theory]
    [InlineData("generate", "--token-ids", "1,x")]
    [InlineData("generate", "--token-ids", "1,2", "--prompt", "both")]
    [InlineData("generate", "--token-ids", "1,2", "--top-p", "0")]
    [InlineData("perplexity", "--file", "/nonexistent/file.txt")]
    [InlineData("perplexity", "--token-ids", "1")]
    [InlineData("generate", "--token-ids", "1,2", "--dtype", "int8")]
    public void BadInputGivesAMessageAndExitCodeTwo(params string[] args)
    {
        var (code, _, error) = CliRunner.Run([.. args.Take(1), "--model", _directory, .. args.Skip(1)]);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void AMissingModelFolderIsNamed()
    {
        var (code, _, error) = CliRunner.Run("generate", "--model", Path.Combine(_directory, "absent"), "--token-ids", "1");

        Assert.Equal(2, code);
        Assert.Contains("absent", error);
    }
}
