using GmsaSharp.Compression;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Compression;

/// <summary>Inference merges the encoder LoRA into copies of the encoder blocks where that pays; the states must be
/// the adapters' states, and training must never see a stale copy.</summary>
public sealed class MergedEncoderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-merged-").FullName;
    private readonly CausalLM _lm;

    public MergedEncoderTests()
    {
        TinyTextModel.Write(_directory, expressive: true);
        _lm = CausalLM.FromPretrained(_directory, new ComputeOptions { Device = "cpu", DType = ScalarType.Float32 });
    }

    public void Dispose()
    {
        _lm.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private GmsaCompressor TrainedLookingCompressor(int seed)
    {
        GmsaCompressor compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small with { EncoderLayers = 2 });
        SetAdapters(compressor, seed);
        compressor.eval();
        return compressor;
    }

    // Random non-zero B, so the adapters change the states (a fresh B is zero).
    private static void SetAdapters(GmsaCompressor compressor, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in compressor.EncoderLora.named_parameters().Where(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)))
        {
            parameter.copy_(randn(parameter.shape, generator: generator) * 0.1);
        }
    }

    private static Tensor Ids() => tensor(Enumerable.Range(0, 16).Select(i => (long)((i * 31 + 5) % 250)).ToArray()).unsqueeze(0);

    // The states through the base's blocks and the adapters (the training path; dropout is 0 here).
    private static Tensor AdapterStates(GmsaCompressor compressor, Tensor ids)
    {
        compressor.train(true);
        using var noGrad = no_grad();
        Tensor states = compressor.Encode(ids, mask: null);
        compressor.eval();
        return states;
    }

    private static Tensor MergedStates(GmsaCompressor compressor, Tensor ids)
    {
        using var noGrad = no_grad();
        return compressor.Encode(ids, mask: null);
    }

    [Fact]
    public void MergedInferenceGivesTheAdaptersStatesAndFollowsTheAdaptersAfterTraining()
    {
        using GmsaCompressor compressor = TrainedLookingCompressor(seed: 1);
        using Tensor ids = Ids();
        Assert.True(MergedEncoder.IsWorthwhile(_lm.Config, compressor.Config.EncoderLora));

        using Tensor adapted = AdapterStates(compressor, ids);
        using Tensor merged = MergedStates(compressor, ids);
        using Tensor plain = _lm.Decoder.Forward(_lm.Embed(ids), null, null, null, adapters: null, blockCount: 2);

        Assert.True(merged.allclose(adapted, rtol: 1e-4, atol: 1e-5), $"merged states differ from the adapters' by up to {(merged - adapted).abs().max().item<float>()}");
        Assert.False(plain.allclose(adapted, rtol: 1e-2, atol: 1e-3), "the adapters do not change the states, so the comparison shows nothing");

        // Training (train mode) changes the adapters; the next inference must merge the new ones.
        compressor.train(true);
        SetAdapters(compressor, seed: 2);
        compressor.eval();
        using Tensor retrained = AdapterStates(compressor, ids);
        using Tensor remerged = MergedStates(compressor, ids);
        Assert.False(retrained.allclose(adapted, rtol: 1e-2, atol: 1e-3), "new adapters left the states as they were");
        Assert.True(remerged.allclose(retrained, rtol: 1e-4, atol: 1e-5), "inference kept the merged copy of the old adapters");
    }

    [Fact]
    public void TheMergedCopyOutlivesTheDisposeScopeOfTheCompressionThatBuiltIt()
    {
        using GmsaCompressor compressor = TrainedLookingCompressor(seed: 4);
        int[] document = Enumerable.Range(0, 40).Select(i => (i * 17 + 3) % 250).ToArray();
        Tensor first;
        using (NewDisposeScope())
        {
            using CompressedContext context = compressor.CompressTokens(document, rate: 4);
            first = context.SoftTokens.clone().DetachFromDisposeScope();
        }

        using CompressedContext again = compressor.CompressTokens(document, rate: 4);

        Assert.True(again.SoftTokens.allclose(first, rtol: 0, atol: 0), "the second compression, after the first one's scope ended, differs");
        first.Dispose();
    }

    [Fact]
    public async Task ConcurrentFirstCompressionsShareOneMergedCopyAndAgree()
    {
        using GmsaCompressor compressor = TrainedLookingCompressor(seed: 5);
        int[] document = Enumerable.Range(0, 40).Select(i => (i * 17 + 3) % 250).ToArray();

        CompressedContext[] contexts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => compressor.CompressTokens(document, rate: 4))));
        try
        {
            Assert.All(contexts, context => Assert.True(context.SoftTokens.allclose(contexts[0].SoftTokens, rtol: 0, atol: 0), "concurrent compressions of one document differ"));
        }
        finally
        {
            foreach (CompressedContext context in contexts)
            {
                context.Dispose();
            }
        }
    }

    [Fact]
    public void GradientsFlowThroughTheAdaptersEvenInEvaluationMode()
    {
        using GmsaCompressor compressor = TrainedLookingCompressor(seed: 3);
        using Tensor ids = Ids();
        Parameter b = compressor.EncoderLora.named_parameters().First(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)).parameter;
        b.requires_grad = true;

        using Tensor states = compressor.Encode(ids, mask: null);
        states.square().sum().backward();

        Assert.NotNull(b.grad);
        Assert.True(b.grad!.abs().sum().item<float>() > 0, "no gradient reached the encoder LoRA");
    }

    [Fact]
    public void MergingIsChosenOnlyWhereTheAdaptersCostMoreThanATenthOfTheProjections()
    {
        DecoderConfig bundled = SmallDecoder.Config() with { HiddenSize = 192, IntermediateSize = 512, Heads = 6, KvHeads = 2, HeadDim = 32 };
        DecoderConfig large = SmallDecoder.Config() with { HiddenSize = 4096, IntermediateSize = 11008, Heads = 32, KvHeads = 32, HeadDim = 128 };
        var rank64 = new LoraSettings(64, 64, 0.05, LoraSettings.AllProjections);
        var rank128 = new LoraSettings(128, 32, 0.05, LoraSettings.AllProjections);

        Assert.True(MergedEncoder.IsWorthwhile(bundled, rank64));    // ~55% more multiply-adds
        Assert.False(MergedEncoder.IsWorthwhile(large, rank128));    // ~5%: not worth a copy of the encoder blocks
    }
}
