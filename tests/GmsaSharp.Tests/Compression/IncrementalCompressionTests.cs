using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

/// <summary>Extending a compressed context with more text equals compressing the whole text at once.</summary>
public sealed class IncrementalCompressionTests : IDisposable
{
    // fp32 throughout. An extension computes the same values along other paths: the LSA attends to the earlier
    // soft tokens through its KV cache instead of in one pass, and the re-read window sits in a different
    // encoder batch (with or without padding rows), so sums run in another order. That moves fp32 results
    // by a few ulps (~1e-7 relative on values of order 1); 1e-5 allows for it and is still a thousand times
    // smaller than any real difference (a token in the wrong window changes soft tokens by ~1e-2 and more).
    private const double Tolerance = 1e-5;

    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-extend-").FullName;
    private readonly CausalLM _lm;
    private readonly GmsaCompressor _compressor;

    public IncrementalCompressionTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
        _compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        _compressor.AddKeftAdapters(new LoraSettings(2, 4, 0, LoraSettings.QueryKeyValue), seed: 9);
        // Non-zero LoRA B, as after training, so the adapters and the LSA copy actually change outputs.
        var generator = new TorchSharp.torch.Generator(5);
        using var noGrad = no_grad();
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in _compressor.named_parameters())
        {
            if (name.EndsWith("lora_B", StringComparison.Ordinal))
            {
                using Tensor noise = randn(parameter.shape, generator: generator) * 0.05;
                parameter.copy_(noise);
            }
        }
        _compressor.RefreshFingerprint();
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int[] Ids(int count) => Enumerable.Range(0, count).Select(i => (i * 31 + 5) % 250).ToArray();

    private static void AssertSameContext(CompressedContext expected, CompressedContext actual)
    {
        Assert.Equal((expected.SourceTokens, expected.SoftTokenCount, expected.Windows, expected.Rate), (actual.SourceTokens, actual.SoftTokenCount, actual.Windows, actual.Rate));
        double difference = (expected.SoftTokens - actual.SoftTokens).abs().max().item<float>();
        Assert.True(difference <= Tolerance, $"soft tokens differ by {difference}");
    }

    [Theory]
    [InlineData(70, 4, new[] { 32 })]            // the first part ends on a window boundary
    [InlineData(70, 4, new[] { 21 })]            // ... in the middle of a window, mid-group
    [InlineData(70, 3, new[] { 1 })]             // one token, then the rest; rate 3 leaves remainders in every window
    [InlineData(70, 3, new[] { 5, 17, 18, 40 })] // several appends, one of a single token
    [InlineData(150, 8, new[] { 9 })]            // more than one batch of new windows
    public async Task AnExtendedContextEqualsCompressingTheWholeTextAtOnce(int length, int rate, int[] cuts)
    {
        int[] ids = Ids(length);
        using CompressedContext whole = _compressor.CompressTokens(ids, rate);

        CompressedContext current = _compressor.CompressTokens(ids[..cuts[0]], rate);
        try
        {
            foreach ((int from, int to) in cuts.Zip(cuts.Skip(1).Append(length)))
            {
                CompressedContext next = await _compressor.ExtendTokensAsync(current, ids[from..to]);
                current.Dispose();
                current = next;
            }
            AssertSameContext(whole, current);
        }
        finally
        {
            current.Dispose();
        }
    }

    [Fact]
    public async Task AnExtendedContextReusesTheEarlierDecoderCacheAndAnswersLikeTheWholeText()
    {
        int[] ids = Ids(60);
        int[] question = [7, 8, 9];
        var options = new GenerationOptions { MaxNewTokens = 10, StopAtEos = false };
        using CompressedContext whole = _compressor.CompressTokens(ids, 4);
        int[] expected = [.. _compressor.AnswerTokens(whole, question, options)];
        using CompressedContext first = _compressor.CompressTokens(ids[..37], 4);
        int[] firstAnswer = [.. _compressor.AnswerTokens(first, question, options)];

        using CompressedContext extended = await _compressor.ExtendTokensAsync(first, ids[37..]);

        // 37 tokens: two full windows (8 soft tokens) carried over with their decoder cache; the partial third is read again.
        Assert.Equal(8, extended.DecoderCache!.Length);
        Assert.Equal(expected, _compressor.AnswerTokens(extended, question, options).ToArray());
        // The earlier context is untouched and still answers as before.
        Assert.Equal(firstAnswer, _compressor.AnswerTokens(first, question, options).ToArray());
    }

    [Fact]
    public async Task TextAppendedAtAWordBoundaryEqualsTheWholeText()
    {
        const string first = "the cat sat on the mat. the dog ate the cat food in 2024.";
        const string second = " and the cat sat again in 2024 on the mat of the dog.";
        using CompressedContext whole = _compressor.Compress(first + second, 4);
        using CompressedContext start = await _compressor.CompressAsync(first, 4);

        using CompressedContext extended = await _compressor.ExtendAsync(start, second);

        AssertSameContext(whole, extended);
    }

    [Fact]
    public async Task ExtendingReportsProgressOverTheWindowsItEncodes()
    {
        using CompressedContext first = _compressor.CompressTokens(Ids(20), 4);
        var reports = new List<CompressionProgress>();

        using CompressedContext extended = await _compressor.ExtendTokensAsync(first, Ids(40), new SynchronousProgress(reports.Add));

        // 20 + 40 tokens: the partial second window (4 tokens) and the new ones make 44 tokens, 3 windows.
        Assert.Equal(new CompressionProgress(3, 3), reports[^1]);
    }

    [Fact]
    public async Task ALoadedContextCannotBeExtendedAndSaysWhy()
    {
        using CompressedContext context = _compressor.CompressTokens(Ids(20), 4);
        string file = Path.Combine(_directory, "doc.gmsa");
        context.Save(file);
        using CompressedContext loaded = CompressedContext.Load(file);

        Assert.True(context.CanExtend);
        Assert.False(loaded.CanExtend);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _compressor.ExtendTokensAsync(loaded, Ids(5)));
        Assert.Contains("loaded from a file", error.Message);
    }

    [Fact]
    public async Task BadExtensionsAreRefusedByName()
    {
        using CompressedContext context = _compressor.CompressTokens(Ids(20), 4);

        var empty = await Assert.ThrowsAsync<ArgumentException>(() => _compressor.ExtendTokensAsync(context, []));
        Assert.Equal("moreTokenIds", empty.ParamName);
        var blank = await Assert.ThrowsAsync<ArgumentException>(() => _compressor.ExtendAsync(context, "  "));
        Assert.Equal("moreText", blank.ParamName);
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => _compressor.ExtendTokensAsync(context, Ids(_lm.Config.MaxPositionEmbeddings * 4)));
        Assert.Contains("soft tokens, more than the decoder's", tooLong.Message);
        using var other = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { Seed = 4 });
        var foreign = await Assert.ThrowsAsync<InvalidOperationException>(() => other.ExtendTokensAsync(context, Ids(5)));
        Assert.Contains("compress the document again", foreign.Message);
    }

    private sealed class SynchronousProgress(Action<CompressionProgress> report) : IProgress<CompressionProgress>
    {
        public void Report(CompressionProgress value) => report(value);
    }
}
