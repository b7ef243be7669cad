using GmsaSharp.Checkpoints;
using System.Text.Json.Nodes;
using GmsaSharp.Compression;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Models;
using GmsaSharp.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

public sealed class GmsaCompressorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-gmsa-").FullName;
    private readonly CausalLM _lm;

    public GmsaCompressorTests()
    {
        TinyTextModel.Write(_directory);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    public void Dispose()
    {
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int[] Ids(int count, int seed = 0) => Enumerable.Range(0, count).Select(i => (i * 31 + seed * 7 + 5) % 250).ToArray();

    // Trained-looking adapters: random non-zero B so LoRA actually changes outputs.
    private static void PerturbAdapters(LoraAdapters adapters, int seed, double scale = 0.05)
    {
        var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in adapters.named_parameters())
        {
            if (name.EndsWith("lora_B", StringComparison.Ordinal))
            {
                using Tensor noise = randn(parameter.shape, generator: generator) * scale;
                parameter.copy_(noise);
            }
        }
    }

    [Fact]
    public void TheEncoderSharesTheBaseWeightsAndStartsEqualToTheTruncatedBase()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        long baseCount = _lm.parameters().Sum(p => p.numel());
        string[] names = compressor.named_parameters().Select(p => p.name).ToArray();

        Assert.All(names, name => Assert.True(name.StartsWith("encoder_lora.", StringComparison.Ordinal) || name.StartsWith("lsa.", StringComparison.Ordinal), name));
        Assert.True(compressor.parameters().Sum(p => p.numel()) < baseCount / 2);

        using var scope = NewDisposeScope();
        Tensor ids = tensor(Ids(12).Select(i => (long)i).ToArray()).unsqueeze(0);
        Tensor truncated = _lm.Decoder.Forward(_lm.Embed(ids), padding: null, positionIds: null, cache: null, adapters: null, blockCount: 1);
        Assert.True(compressor.Encode(ids, null).allclose(truncated, rtol: 0, atol: 0));
    }

    [Fact]
    public void TheLsaStartsAsACopyOfTheFirstBlocks()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        var lsa = compressor.Lsa.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var first = _lm.Decoder.Blocks[0].named_parameters().ToList();

        Assert.Equal(first.Count, lsa.Count);
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in first)
        {
            Assert.True(lsa["layers.0." + name].allclose(parameter, rtol: 0, atol: 0), name);
            Assert.NotEqual(parameter.Handle, lsa["layers.0." + name].Handle);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(40)]
    public void SoftTokenCountAndShapeFollowTheRate(int rate)
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { WindowSize = 64 });

        using CompressedContext context = compressor.CompressTokens(Ids(37), rate);

        Assert.Equal(GroupMerging.Count(37, rate), context.SoftTokenCount);
        Assert.Equal(new long[] { context.SoftTokenCount, 32 }, context.SoftTokens.shape);
        Assert.Equal(37, context.SourceTokens);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(40)]
    public void AutoencoderSoftTokensAreTheCompressedOnesOfTheContextAsOneWindow(int length)
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        PerturbAdapters(compressor.EncoderLora, 1);
        int[] ids = Ids(length, seed: 2);
        using CompressedContext context = compressor.CompressTokens(ids, 4, windowSize: length);
        using var scope = NewDisposeScope();

        Tensor soft = compressor.AutoencoderSoftTokens(ids, 4);

        // 40 tokens are more than the checkpoint's 16-token window: the autoencoder still reads them as one.
        Assert.Equal(context.SoftTokens.shape, soft.shape);
        Assert.True(soft.eq(context.SoftTokens).all().item<bool>());
    }

    [Fact]
    public void ChunkedCompressionEqualsWindowsOneByOneBeforeOneLsaPass()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        PerturbAdapters(compressor.EncoderLora, 2);
        int[] ids = Ids(45);

        using CompressedContext context = compressor.CompressTokens(ids, 4);

        using var scope = NewDisposeScope();
        var merged = new List<Tensor>();
        foreach (int[] window in ids.Chunk(16))
        {
            Tensor windowIds = tensor(window.Select(i => (long)i).ToArray()).unsqueeze(0);
            merged.Add(GroupMerging.Merge(compressor.Encode(windowIds, null), null, 4).Merged[0]);
        }
        Tensor expected = compressor.Lsa.Forward(cat(merged, 0).unsqueeze(0), null)[0];
        Assert.Equal(4 + 4 + 4, context.SoftTokenCount);
        Assert.True(context.SoftTokens.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void TrainingSoftTokensEqualChunkedCompressionAndCarryGradientsToTheCompressor()
    {
        // 12 windows, the last one short: CompressTokens batches them 8 + 4, the training path all 12 at once.
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { WindowSize = 4 });
        PerturbAdapters(compressor.EncoderLora, 2);
        int[] ids = Ids(45);
        using CompressedContext context = compressor.CompressTokens(ids, 4);

        using var scope = NewDisposeScope();
        Tensor soft = compressor.TrainingSoftTokens(ids, 4);

        Assert.True(soft.allclose(context.SoftTokens, rtol: 1e-5, atol: 1e-5));
        soft.sum().backward();
        Tensor? encoderGrad = compressor.EncoderLora.parameters().First(p => p.requires_grad).grad;
        Assert.True(encoderGrad is not null && encoderGrad.abs().sum().item<float>() > 0, "no gradient reached the encoder LoRA");
        Assert.Contains(compressor.Lsa.parameters(), p => p.grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.Throws<ArgumentException>(() => compressor.TrainingSoftTokens([], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => compressor.TrainingSoftTokens(ids, 0));
        var tooLong = Assert.Throws<ArgumentException>(() => compressor.TrainingSoftTokens(Ids(_lm.Config.MaxPositionEmbeddings + 1), 1));
        Assert.Contains("more than the decoder's", tooLong.Message);
    }

    [Fact]
    public void ProgressIsReportedPerWindowBatchAndCancellationStopsIt()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { WindowSize = 4 });
        var reports = new List<CompressionProgress>();

        using (compressor.CompressTokens(Ids(70), 4, new SynchronousProgress(reports.Add)))
        {
        }

        Assert.Equal(new CompressionProgress(0, 18), reports[0]);
        Assert.Equal(new CompressionProgress(18, 18), reports[^1]);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => compressor.CompressTokens(Ids(70), 4, null, cancelled.Token));
    }

    [Fact]
    public void CheckpointsRoundTripBitExactly()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(2, 4, 0, LoraSettings.QueryKeyValue), seed: 9);
        PerturbAdapters(compressor.EncoderLora, 3);
        PerturbAdapters(compressor.KeftLora!, 4);
        compressor.RecordTrainedRates([4, 8]);
        string folder = Path.Combine(_directory, "gmsa");
        compressor.SavePretrained(folder);

        using var loaded = GmsaCompressor.FromPretrained(folder, _lm);

        Assert.Equal(compressor.Fingerprint, loaded.Fingerprint);
        Assert.Equal(new[] { 4, 8 }, loaded.Config.TrainedRates);
        var original = compressor.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.All(loaded.named_parameters(), p => Assert.True(p.parameter.allclose(original[p.name], rtol: 0, atol: 0), p.name));
        long baseBytes = new FileInfo(Path.Combine(_directory, "model.safetensors")).Length;
        Assert.True(new FileInfo(Path.Combine(folder, GmsaCheckpoint.WeightsFile)).Length < baseBytes, "a GMSA checkpoint never duplicates the base weights");
    }

    [Fact]
    public void ACheckpointRefusesADifferentBase()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        string folder = Path.Combine(_directory, "gmsa");
        compressor.SavePretrained(folder);
        using var otherBase = CausalLM.CreateRandom(_lm.Config, _lm.Environment, seed: 77);

        var error = Assert.Throws<InvalidOperationException>(() => GmsaCompressor.FromPretrained(folder, otherBase));

        Assert.Contains(folder, error.Message);
        Assert.Contains("fingerprint", error.Message);
    }

    [Fact]
    public void ACheckpointMovesToAFurtherTrainedBaseOfTheSameShapeOnlyWhenAsked()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(2, 4, 0, LoraSettings.QueryKeyValue), seed: 9);
        PerturbAdapters(compressor.EncoderLora, 5);
        PerturbAdapters(compressor.KeftLora!, 6);
        string folder = Path.Combine(_directory, "gmsa");
        compressor.SavePretrained(folder);
        using var furtherTrained = CausalLM.CreateRandom(_lm.Config, _lm.Environment, seed: 77);

        using var moved = GmsaCompressor.FromPretrainedForNewBase(folder, furtherTrained);

        Assert.Equal(furtherTrained.Fingerprint, moved.Config.BaseFingerprint);
        Assert.NotEqual(compressor.Config.BaseFingerprint, moved.Config.BaseFingerprint);
        var original = compressor.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(original.Keys.Order(), moved.named_parameters().Select(p => p.name).Order());
        Assert.All(moved.named_parameters(), p => Assert.True(p.parameter.allclose(original[p.name], rtol: 0, atol: 0), p.name));
        // Saved, it is a checkpoint of the new base: it loads there without asking, and no longer on the old one.
        string movedFolder = Path.Combine(_directory, "gmsa-moved");
        moved.SavePretrained(movedFolder);
        using (GmsaCompressor.FromPretrained(movedFolder, furtherTrained)) { }
        Assert.Throws<InvalidOperationException>(() => GmsaCompressor.FromPretrained(movedFolder, _lm));
    }

    [Fact]
    public void ACheckpointDoesNotMoveToABaseOfAnotherShape()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        string folder = Path.Combine(_directory, "gmsa");
        compressor.SavePretrained(folder);
        using var deeper = CausalLM.CreateRandom(_lm.Config with { Layers = _lm.Config.Layers + 1 }, _lm.Environment, seed: 77);

        var error = Assert.Throws<InvalidOperationException>(() => GmsaCompressor.FromPretrainedForNewBase(folder, deeper));

        Assert.Contains(folder, error.Message);
        Assert.Contains("a compressor can only move to a base of the same architecture and shape", error.Message);
    }

    [Fact]
    public void CompressedContextsRoundTripBitExactly()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        using CompressedContext context = compressor.Compress("the cat sat on the mat. the dog ate the cat food in 2024.", 4);
        string file = Path.Combine(_directory, "doc.gmsa");
        context.Save(file);

        using CompressedContext loaded = CompressedContext.Load(file);

        Assert.True(loaded.SoftTokens.allclose(context.SoftTokens, rtol: 0, atol: 0));
        Assert.Equal((context.Rate, context.SourceTokens, context.WindowSize, context.BaseFingerprint, context.GmsaFingerprint),
            (loaded.Rate, loaded.SourceTokens, loaded.WindowSize, loaded.BaseFingerprint, loaded.GmsaFingerprint));
    }

    [Fact]
    public async Task AContextRefusesACompressorThatDidNotMakeIt()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        using var other = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { Seed = 4 });
        PerturbAdapters(other.EncoderLora, 5);
        other.RefreshFingerprint();
        using CompressedContext context = compressor.Compress("the cat sat on the mat.", 4);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.AnswerAsync(context, "what sat?"));

        Assert.Contains("compress the document again", error.Message);
    }

    [Fact]
    public async Task AReusedSoftTokenCacheAnswersExactlyLikeAFreshOne()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(2, 4, 0, LoraSettings.QueryKeyValue), seed: 9);
        PerturbAdapters(compressor.KeftLora!, 6);
        const string document = "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.";
        var options = new GenerationOptions { MaxNewTokens = 12, StopAtEos = false };
        using CompressedContext reused = compressor.Compress(document, 4);

        GenerationResult first = await compressor.AnswerAsync(reused, "the dog", options);
        GenerationResult second = await compressor.AnswerAsync(reused, "the cat", options);
        using CompressedContext fresh = compressor.Compress(document, 4);
        GenerationResult secondFresh = await compressor.AnswerAsync(fresh, "the cat", options);

        Assert.Equal(secondFresh.TokenIds, second.TokenIds);
        Assert.Equal(12, first.TokenIds.Count);
        Assert.Equal(reused.SoftTokenCount + _lm.Tokenizer!.Encode("the cat", addBos: false).Count, second.PromptTokens);
    }

    [Fact]
    public async Task KeftAdaptersApplyOnlyToCompressedCalls()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        using var scope = NewDisposeScope();
        Tensor ids = tensor(Ids(10).Select(i => (long)i).ToArray()).unsqueeze(0);
        Tensor before = _lm.Forward(ids);
        using CompressedContext context = compressor.Compress("the cat sat on the mat.", 2);
        var options = new GenerationOptions { MaxNewTokens = 6, StopAtEos = false };
        var withoutKeft = await compressor.AnswerAsync(context, "the dog", options);

        compressor.AddKeftAdapters(new LoraSettings(2, 4, 0, LoraSettings.QueryKeyValue), seed: 9);
        PerturbAdapters(compressor.KeftLora!, 7, scale: 1.0);
        using CompressedContext again = compressor.Compress("the cat sat on the mat.", 2);
        var withKeft = await compressor.AnswerAsync(again, "the dog", options);

        Assert.True(_lm.Forward(ids).allclose(before, rtol: 0, atol: 0), "the plain decoder must be untouched");
        Assert.NotEqual(withoutKeft.TokenIds, withKeft.TokenIds);
    }

    [Fact]
    public void ARateOutsideTheTrainedOnesWarns()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.RecordTrainedRates([4, 8]);
        var logger = new RecordingLogger();
        compressor.Logger = logger;

        using (compressor.CompressTokens(Ids(20), 8)) { }
        using (compressor.CompressTokens(Ids(20), 3)) { }

        Assert.Contains("Rate 3", Assert.Single(logger.Warnings));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AnEmptyDocumentIsRejected(string document)
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);

        var error = Assert.Throws<ArgumentException>(() => compressor.Compress(document, 4));

        Assert.Contains("empty", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ARateBelowOneIsRejected(int rate)
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);

        Assert.Throws<ArgumentOutOfRangeException>(() => compressor.Compress("the cat", rate));
    }

    [Fact]
    public void TooManySoftTokensForTheDecoderAreRejectedNotTruncated()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);

        var error = Assert.Throws<ArgumentException>(() => compressor.CompressTokens(Ids(200), 1));

        Assert.Contains("200 tokens at rate 1 give 200 soft tokens", error.Message);
    }

    [Fact]
    public void MissingAndCorruptContextFilesAreReported()
    {
        string missing = Path.Combine(_directory, "missing.gmsa");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => CompressedContext.Load(missing)).Message);

        string corrupt = Path.Combine(_directory, "corrupt.gmsa");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.Contains(corrupt, Assert.Throws<InvalidDataException>(() => CompressedContext.Load(corrupt)).Message);

        string notAContext = Path.Combine(_directory, "model.safetensors");
        Assert.Contains("not a GmsaSharp compressed context", Assert.Throws<InvalidDataException>(() => CompressedContext.Load(notAContext)).Message);
    }

    [Fact]
    public void AMalformedCheckpointConfigIsNamed()
    {
        using var compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        string folder = Path.Combine(_directory, "gmsa");
        compressor.SavePretrained(folder);
        string config = Path.Combine(folder, GmsaConfig.FileName);
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["encoder_layers"] = 99;
        File.WriteAllText(config, json.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => GmsaCompressor.FromPretrained(folder, _lm));

        Assert.Contains(config, error.Message);
        Assert.Contains("encoder_layers", error.Message);
    }

    private sealed class SynchronousProgress(Action<CompressionProgress> report) : IProgress<CompressionProgress>
    {
        public void Report(CompressionProgress value) => report(value);
    }
}
