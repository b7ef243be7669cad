using GmsaSharp.Compression;
using GmsaSharp.Data;
using GmsaSharp.Generation;
using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using GmsaSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>Inference merges the encoder LoRA into copies of the encoder blocks, and the KEFT LoRA into copies of the
/// decoder's blocks, where that pays; the states and answers must be the adapters' own, and neither inference after
/// training nor training itself may see a stale copy.</summary>
public sealed class MergedBlocksTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gmsasharp-merged-").FullName;
    private readonly CausalLM _lm;

    public MergedBlocksTests()
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
        Assert.True(MergedBlocks.IsWorthwhile(_lm.Config, compressor.Config.EncoderLora));

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

        Assert.True(MergedBlocks.IsWorthwhile(bundled, rank64));    // ~55% more multiply-adds
        Assert.False(MergedBlocks.IsWorthwhile(large, rank128));    // ~5%: not worth a copy of the encoder blocks
    }

    // KEFT adapters on every projection of every block (rank 8 on a 32-wide model: merging pays), with random B.
    private GmsaCompressor KeftCompressor(int seed)
    {
        GmsaCompressor compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(8, 8, 0.0, LoraSettings.AllProjections), seed: seed);
        SetKeftAdapters(compressor, seed);
        compressor.RefreshFingerprint();
        compressor.eval();
        return compressor;
    }

    private static void SetKeftAdapters(GmsaCompressor compressor, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach ((string name, Parameter parameter) in compressor.KeftLora!.named_parameters().Where(p => p.name.EndsWith("lora_B", StringComparison.Ordinal)))
        {
            parameter.copy_(randn(parameter.shape, generator: generator) * 0.3);
        }
    }

    private static readonly int[] Document = Enumerable.Range(0, 40).Select(i => (i * 17 + 3) % 250).ToArray();
    private static readonly int[] Question = [7, 19, 101];
    private static readonly GenerationOptions EightTokens = new() { MaxNewTokens = 8, StopAtEos = false };

    // Logits of [soft tokens][question] read with the given adapters.
    private Tensor ReaderLogits(GmsaCompressor compressor, IProjectionAdapters? adapters)
    {
        using var noGrad = no_grad();
        using CompressedContext context = compressor.CompressTokens(Document, rate: 4);
        using var scope = NewDisposeScope();
        Tensor question = _lm.Embed(tensor(Question.Select(id => (long)id).ToArray()).unsqueeze(0));
        Tensor embeddings = cat([context.SoftTokens.unsqueeze(0), question], 1);
        return _lm.Forward(inputEmbeddings: embeddings, adapters: adapters).MoveToOuterDisposeScope();
    }

    // The reader adapters now in use are a new copy, and they read compressed context as the adapters themselves do.
    private void AssertANewCopyReadsAsTheAdapters(GmsaCompressor compressor, IProjectionAdapters? old, string message)
    {
        IProjectionAdapters? current = compressor.ReaderAdapters();
        Assert.NotSame(old, current);
        using Tensor mergedLogits = ReaderLogits(compressor, current);
        using Tensor adapterLogits = ReaderLogits(compressor, compressor.KeftLora);
        Assert.True(mergedLogits.allclose(adapterLogits, rtol: 1e-4, atol: 1e-4), message);
    }

    private static List<int> Answer(GmsaCompressor compressor)
    {
        using CompressedContext context = compressor.CompressTokens(Document, rate: 4);
        return compressor.AnswerTokens(context, Question, EightTokens).ToList();
    }

    [Fact]
    public void TheMergedReaderGivesTheKeftAdaptersLogitsAndAnswers()
    {
        using GmsaCompressor compressor = KeftCompressor(seed: 11);
        Assert.True(MergedBlocks.IsWorthwhile(_lm.Config, compressor.Config.KeftLora!));

        IProjectionAdapters merged = Assert.IsType<MergedBlocks>(compressor.ReaderAdapters());
        using Tensor mergedLogits = ReaderLogits(compressor, merged);
        using Tensor adapterLogits = ReaderLogits(compressor, compressor.KeftLora);
        using Tensor plainLogits = ReaderLogits(compressor, adapters: null);
        List<int> mergedAnswer = Answer(compressor);

        Assert.True(mergedLogits.allclose(adapterLogits, rtol: 1e-4, atol: 1e-4), $"merged logits differ from the adapters' by up to {(mergedLogits - adapterLogits).abs().max().item<float>()}");
        Assert.False(plainLogits.allclose(adapterLogits, rtol: 1e-2, atol: 1e-2), "the adapters do not change the logits, so the comparison shows nothing");
        // While the adapters train, answers read them directly (dropout is 0 here, so the math is the same).
        compressor.KeftLora!.train(true);
        Assert.Same(compressor.KeftLora, compressor.ReaderAdapters());
        Assert.Equal(mergedAnswer, Answer(compressor));
    }

    [Fact]
    public void KeftTrainingReplacesTheMergedReaderAndLeavingTrainingKeepsIt()
    {
        using GmsaCompressor compressor = KeftCompressor(seed: 12);
        IProjectionAdapters? first = compressor.ReaderAdapters();
        compressor.eval();
        compressor.SavePretrained(Path.Combine(_directory, "saved"));
        Assert.Same(first, compressor.ReaderAdapters()); // leaving training or saving unchanged weights: an answer may be using it

        // A KEFT training step: the stage enters training, the adapters change, the stage leaves training.
        var stage = new KeftStage(compressor, [new GmsaSample("the cat sat.", "who?", ["the cat"], 1)], [4],
            compressor.Config.KeftLora!, seed: 1);
        stage.SetTraining(true);
        SetKeftAdapters(compressor, seed: 13);
        stage.SetTraining(false);

        AssertANewCopyReadsAsTheAdapters(compressor, first, "the reader kept the merged copy of the old adapters");
    }

    [Fact]
    public void ReadersWhoseAdaptersCostLittleReadThroughTheAdapters()
    {
        using GmsaCompressor compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        Assert.Null(compressor.ReaderAdapters());
        // Rank 1 on q_proj: 64 multiply-adds against 1,024, under a tenth.
        compressor.AddKeftAdapters(new LoraSettings(1, 1, 0.0, ["q_proj"]), seed: 3);
        compressor.eval();

        Assert.Same(compressor.KeftLora, compressor.ReaderAdapters());
    }

    [Fact]
    public async Task ConcurrentFirstAnswersShareOneMergedReaderAndAgree()
    {
        using GmsaCompressor compressor = KeftCompressor(seed: 14);
        List<int> expected = Answer(compressor);
        compressor.train(true); // forget the copy, so the concurrent answers below build the first one together
        compressor.eval();

        List<int>[] answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Answer(compressor))));

        Assert.All(answers, answer => Assert.Equal(expected, answer));
    }

    [Fact]
    public void AdaptingOneProjectionGivesTheMergedWeightsOutputAndLeavesOthersAlone()
    {
        using GmsaCompressor compressor = GmsaCompressor.Create(_lm, TinyGmsaOptions.Small);
        compressor.AddKeftAdapters(new LoraSettings(8, 8, 0.0, LoraSettings.QueryKeyValue), seed: 15);
        SetKeftAdapters(compressor, seed: 15);
        compressor.eval();
        LoraAdapters lora = compressor.KeftLora!;
        using var merged = new MergedBlocks(_lm.Decoder, lora);
        using var scope = NewDisposeScope();
        Tensor x = randn(1, 3, _lm.Config.HiddenSize, generator: new Generator(16));
        Tensor output = randn(1, 3, _lm.Config.HiddenSize, generator: new Generator(17));
        Tensor baseQuery = nn.functional.linear(x, _lm.Decoder.Blocks[1].named_parameters().First(p => p.name == "self_attn.q_proj.weight").parameter);

        Tensor adapted = merged.Adapt(1, "q_proj", x, baseQuery);

        Assert.True(adapted.allclose(lora.Adapt(1, "q_proj", x, baseQuery), rtol: 1e-4, atol: 1e-5), "merged q_proj differs from the adapters'");
        Assert.Same(output, merged.Adapt(1, "o_proj", x, output));
        Assert.Same(output, merged.Adapt(_lm.Config.Layers, "q_proj", x, output));
        Assert.Equal(_lm.Config.Layers, merged.BlockCount);
    }

    [Fact]
    public void AfterARealKeftRunAnswersReadTheTrainedAdapters()
    {
        using GmsaCompressor compressor = KeftCompressor(seed: 18);
        IProjectionAdapters? before = compressor.ReaderAdapters();
        var stage = new KeftStage(compressor, [new GmsaSample("the cat sat on the mat.", "who sat?", ["the cat"], 1)], [4],
            compressor.Config.KeftLora!, seed: 1);

        // The trainer leaves training before each optimizer step, so the adapters change after SetTraining(false).
        Trainer.Run(stage, new TrainingOptions { Steps = 3, LearningRate = 1e-2, WarmupSteps = 0, BatchSize = 1, Seed = 1 },
            Path.Combine(_directory, "keft"), resume: false);

        AssertANewCopyReadsAsTheAdapters(compressor, before, "answers read a merged copy of the adapters before training");
    }

    [Fact]
    public void TrainingTheBaseReplacesTheMergedCopies()
    {
        using GmsaCompressor compressor = KeftCompressor(seed: 19);
        IProjectionAdapters? reader = compressor.ReaderAdapters();

        // The base trains (a decoder stage on the same model): the copies hold its old weights.
        _lm.train(true);
        using (no_grad())
        {
            Parameter weight = _lm.Decoder.Blocks[0].named_parameters().First(p => p.name == "self_attn.v_proj.weight").parameter;
            weight.add_(randn(weight.shape, generator: new Generator(20)) * 0.5);
        }
        _lm.eval();
        AssertANewCopyReadsAsTheAdapters(compressor, reader, "the merged reader kept the base's old weights");

    }
}
