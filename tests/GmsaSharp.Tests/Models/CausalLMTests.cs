using GmsaSharp.Models;
using GmsaSharp.Runtime;
using GmsaSharp.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>Behaviour of the TorchSharp decoder that needs no reference implementation.</summary>
public class CausalLMTests
{
    [Theory]
    [InlineData(DecoderArchitecture.Llama, null)]
    [InlineData(DecoderArchitecture.Mistral, 3)]
    [InlineData(DecoderArchitecture.Qwen2, null)]
    [InlineData(DecoderArchitecture.Qwen3, null)]
    public void IncrementalDecodingWithTheCacheEqualsAFullForward(DecoderArchitecture architecture, int? window)
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(architecture, window), SmallDecoder.Fp32, seed: 1);
        using var scope = NewDisposeScope();
        Tensor ids = SmallDecoder.Ids(5, 17, 33, 2, 90, 41, 7, 8, 60);

        Tensor full = lm.Forward(ids);
        using KvCache cache = lm.NewCache();
        Tensor first = lm.Forward(ids.narrow(1, 0, 4), cache: cache);
        var steps = new List<Tensor> { first };
        for (int i = 4; i < 9; i++)
        {
            steps.Add(lm.Forward(ids.narrow(1, i, 1), cache: cache));
        }

        Assert.Equal(9, cache.Length);
        Assert.True(allclose(full, cat(steps, 1), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void APaddedBatchEqualsItsRowsRunAlone()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 2);
        using var scope = NewDisposeScope();
        long[] longRow = [5, 17, 33, 2, 90, 41];
        long[] shortRow = [8, 9, 10];
        // Left padding, as for generation: the short row's real tokens sit at the end.
        Tensor batch = tensor(new long[] { 5, 17, 33, 2, 90, 41, 0, 0, 0, 8, 9, 10 }).reshape(2, 6);
        Tensor mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1 }).reshape(2, 6);

        Tensor batched = lm.Forward(batch, attentionMask: mask);

        Assert.True(allclose(batched[0], lm.Forward(SmallDecoder.Ids(longRow))[0], rtol: 1e-4, atol: 1e-5));
        Assert.True(allclose(batched[1].narrow(0, 3, 3), lm.Forward(SmallDecoder.Ids(shortRow))[0], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void APaddedBatchDecodesIncrementallyLikeItsRows()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 3);
        using var scope = NewDisposeScope();
        Tensor batch = tensor(new long[] { 0, 0, 8, 9, 5, 17, 33, 2 }).reshape(2, 4);
        Tensor mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1 }).reshape(2, 4);
        using KvCache cache = lm.NewCache();
        lm.Forward(batch, attentionMask: mask, cache: cache);

        Tensor next = lm.Forward(tensor(new long[] { 11, 12 }).reshape(2, 1), cache: cache);

        Assert.True(allclose(next[0, 0], lm.Forward(SmallDecoder.Ids(8, 9, 11))[0, 2], rtol: 1e-4, atol: 1e-5));
        Assert.True(allclose(next[1, 0], lm.Forward(SmallDecoder.Ids(5, 17, 33, 2, 12))[0, 4], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void InputEmbeddingsGiveTheSameLogitsAsTheirTokenIds()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 4);
        using var scope = NewDisposeScope();
        Tensor ids = SmallDecoder.Ids(3, 1, 4, 1, 5, 9);

        Assert.True(allclose(lm.Forward(ids), lm.Forward(inputEmbeddings: lm.Embed(ids)), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void LastPositionOnlyComputesOneRowOfLogits()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 5);
        using var scope = NewDisposeScope();
        Tensor ids = SmallDecoder.Ids(3, 1, 4, 1, 5, 9);

        Tensor last = lm.Forward(ids, lastPositionOnly: true);

        Assert.Equal(new long[] { 1, 1, 97 }, last.shape);
        Assert.True(allclose(last[0, 0], lm.Forward(ids)[0, 5], rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void TruncatingTheCacheLetsAPrefixServeAnotherContinuation()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 6);
        using var scope = NewDisposeScope();
        using KvCache cache = lm.NewCache();
        lm.Forward(SmallDecoder.Ids(10, 11, 12), cache: cache);
        lm.Forward(SmallDecoder.Ids(20, 21), cache: cache);

        cache.Truncate(3);
        Tensor continued = lm.Forward(SmallDecoder.Ids(30, 31), cache: cache);

        Assert.True(allclose(continued[0], lm.Forward(SmallDecoder.Ids(10, 11, 12, 30, 31))[0].narrow(0, 3, 2), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void BFloat16AgreesWithFloat32WithinBf16Tolerance()
    {
        var bf16 = ComputeEnvironment.Select(new ComputeOptions { Device = "cpu", DType = ScalarType.BFloat16 });
        using var exact = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 7);
        using var approx = CausalLM.CreateRandom(SmallDecoder.Config(), bf16, seed: 7);
        using var scope = NewDisposeScope();
        Tensor ids = SmallDecoder.Ids(3, 1, 4, 1, 5, 9, 2, 6);

        Tensor a = exact.Forward(ids), b = approx.Forward(ids);

        double relative = ((a - b).norm() / a.norm()).item<float>();
        Assert.InRange(relative, 0, 0.03);
    }

    [Fact]
    public void PositionsBeyondMaxPositionEmbeddingsAreRejected()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config() with { MaxPositionEmbeddings = 4 }, SmallDecoder.Fp32, seed: 8);

        var error = Assert.Throws<ArgumentException>(() => lm.Forward(SmallDecoder.Ids(1, 2, 3, 4, 5)));

        Assert.Contains("max_position_embeddings of 4", error.Message);
    }

    [Fact]
    public void OutOfVocabularyTokenIdsAreRejected()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 9);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => lm.Forward(SmallDecoder.Ids(1, 97)));

        Assert.Contains("[0, 97)", error.Message);
    }

    [Fact]
    public void AMaskOfTheWrongShapeIsRejected()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 10);

        var error = Assert.Throws<ArgumentException>(() => lm.Forward(SmallDecoder.Ids(1, 2, 3), attentionMask: ones(1, 4, dtype: ScalarType.Int64)));

        Assert.Contains("[1, 3]", error.Message);
    }

    [Fact]
    public void SustainedForwardsLeakNoTensors()
    {
        using var lm = CausalLM.CreateRandom(SmallDecoder.Config(), SmallDecoder.Fp32, seed: 11);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (int i = 0; i < 20; i++)
        {
            using var iteration = NewDisposeScope();
            using KvCache cache = lm.NewCache();
            lm.Forward(SmallDecoder.Ids(1, 2, 3, 4), cache: cache);
            lm.Forward(SmallDecoder.Ids(5), cache: cache);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
