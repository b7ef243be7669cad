using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Generation;

public sealed class TextGenerationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-text-").FullName;
    private readonly CausalLM _lm;

    public TextGenerationTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    public void Dispose()
    {
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void StreamedPiecesConcatenateToTheDecodedTokens()
    {
        var options = new GenerationOptions { MaxNewTokens = 24, StopAtEos = false };
        int[] expectedIds = TokenGenerator.Generate(_lm, _lm.Tokenizer!.Encode("the cat sat"), options).ToArray();

        var pieces = new List<string>();
        var stream = TextGeneration.StreamAsync(_lm, "the cat sat", options);
        foreach (string piece in stream.ToBlockingEnumerable())
        {
            pieces.Add(piece);
        }

        Assert.Equal(_lm.Tokenizer.Decode(expectedIds, skipSpecialTokens: true), string.Concat(pieces));
    }

    [Fact]
    public async Task GenerateReportsTokensTextAndWhyItStopped()
    {
        GenerationResult result = await TextGeneration.GenerateAsync(_lm, "the dog", new GenerationOptions { MaxNewTokens = 7, StopAtEos = false });

        Assert.Equal(7, result.TokenIds.Count);
        Assert.Equal(StopReason.MaxNewTokens, result.StopReason);
        Assert.Equal(_lm.Tokenizer!.Encode("the dog").Count, result.PromptTokens);
        Assert.Equal(_lm.Tokenizer.Decode(result.TokenIds, skipSpecialTokens: true), result.Text);
    }

    [Fact]
    public async Task AStopStringEndsGenerationAndIsNotEmitted()
    {
        var free = await TextGeneration.GenerateAsync(_lm, "the dog", new GenerationOptions { MaxNewTokens = 30, StopAtEos = false });
        string stop = free.Text.Substring(free.Text.Length / 2, 2);

        var stopped = await TextGeneration.GenerateAsync(_lm, "the dog", new GenerationOptions { MaxNewTokens = 30, StopAtEos = false, StopStrings = [stop] });

        Assert.Equal(StopReason.StopString, stopped.StopReason);
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
    }

    [Fact]
    public async Task CancellationStopsStreaming()
    {
        using var cancellation = new CancellationTokenSource();
        var pieces = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (string piece in TextGeneration.StreamAsync(_lm, "the cat", new GenerationOptions { MaxNewTokens = 50, StopAtEos = false }, cancellation.Token))
            {
                pieces.Add(piece);
                cancellation.Cancel();
            }
        });
        Assert.Single(pieces);
    }

    [Fact]
    public void TheFoldersEosFromTokenizerConfigStopsGeneration()
    {
        Assert.Contains(_lm.Tokenizer!.EosIds.Single(), _lm.EosTokenIds);
    }
}
