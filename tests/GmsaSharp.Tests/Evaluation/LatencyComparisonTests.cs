using System.Text.Json;
using GmsaSharp.Compression;
using GmsaSharp.Evaluation;
using GmsaSharp.Models;
using GmsaSharp.Tests.Models;
using GmsaSharp.Tests.Support;

namespace GmsaSharp.Tests.Evaluation;

[Collection(nameof(ConsoleCollection))]
public sealed class LatencyComparisonTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-bench-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(24, 8, 1, 4, 1.7)]
    [InlineData(24, 8, 1, 8, 2.2)]
    [InlineData(24, 8, 1, 16, 2.5)]
    public void ThePrefillBoundMatchesTheIssuesFigures(int decoder, int encoder, int lsa, int rate, double expected)
    {
        Assert.Equal(expected, LatencyComparison.PrefillBound(decoder, encoder, lsa, rate), 1);
    }

    [Fact]
    public void RunMeasuresEveryConfigurationAndComputesRatiosAgainstTheFullPrompt()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 1);
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(2, 4, 0, LoraSettings.AllProjections), WindowSize = 16 });

        IReadOnlyList<LatencyRow> rows = new LatencyComparison(compressor) { AnswerTokens = 3, QuestionTokens = 2, Repeats = 1, WarmupRounds = 1 }.Run([20, 40], [2, 4]);

        Assert.Equal(2 * (1 + 2 * 2), rows.Count);
        foreach (var group in rows.GroupBy(r => r.ContextTokens))
        {
            LatencyRow full = Assert.Single(group, r => r.Method == "full prompt");
            Assert.Equal(1.0, full.SpeedUp);
            Assert.Null(full.PrefillBound);
            foreach (LatencyRow row in group.Where(r => r.Method != "full prompt"))
            {
                Assert.Equal(full.TotalMs / row.TotalMs, row.SpeedUp, 9);
                Assert.Equal(LatencyComparison.PrefillBound(2, 1, 1, row.Rate!.Value), row.PrefillBound!.Value, 9);
                Assert.True(row.Method == "gmsa" ? row.CompressMs > 0 : row.CompressMs == 0);
            }
        }
        string markdown = LatencyComparison.Markdown(rows);
        Assert.Equal(2 + rows.Count, markdown.Trim().Split('\n').Length);
        Assert.Contains("| gmsa reused | 40 | 4x |", markdown);
        Assert.Equal(rows.Count, JsonDocument.Parse(LatencyComparison.Json(rows)).RootElement.GetArrayLength());
    }

    [Fact]
    public void ContextsTooLongForTheModelAreRejected()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 1);
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(2, 4, 0, LoraSettings.AllProjections), WindowSize = 16 });

        var error = Assert.Throws<ArgumentException>(() => new LatencyComparison(compressor).Run([200], [4]));

        Assert.Contains("200-token context", error.Message);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -1)]
    public void RoundCountsBelowTheirMinimumAreRejected(int repeats, int warmup)
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 1);
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(2, 4, 0, LoraSettings.AllProjections), WindowSize = 16 });

        var error = Assert.Throws<ArgumentException>(() => new LatencyComparison(compressor) { Repeats = repeats, WarmupRounds = warmup }.Run([20], [4]));

        Assert.Contains($"got {repeats} and {warmup}", error.Message);
    }

    [Fact]
    public void ARateGivenTwiceIsRejected()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 1);
        using var compressor = GmsaCompressor.Create(lm, new GmsaOptions { EncoderLayers = 1, EncoderLora = new LoraSettings(2, 4, 0, LoraSettings.AllProjections), WindowSize = 16 });

        var error = Assert.Throws<ArgumentException>(() => new LatencyComparison(compressor).Run([20], [4, 8, 4]));

        Assert.Contains("got 4, 8, 4", error.Message);
    }

    [Fact]
    public void TheBenchCommandWritesTablesJsonAndAPlot()
    {
        var (code, output, error) = CliRunner.Run("bench", "--random-layers", "2", "--random-encoder-layers", "1", "--contexts", "32,64", "--rates", "4",
            "--answer-tokens", "2", "--repeats", "1", "--warmup-rounds", "1", "--dtype", "float32", "--out", _directory);

        Assert.True(code == 0, error);
        Assert.Contains("random Llama: 2 blocks", output);
        Assert.True(new FileInfo(Path.Combine(_directory, "latency.png")).Length > 1000);
        Assert.Contains("| gmsa | 64 | 4x |", File.ReadAllText(Path.Combine(_directory, "results.md")));
        Assert.Equal(6, JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "results.json"))).RootElement.GetArrayLength());
    }
}
