using System.Runtime.Intrinsics;
using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>The decoding step's own attention over the KV cache computes softmax(q Kᵀ / √d) V over exactly the filled
/// positions, for plain and grouped-query heads, to the rounding of its dtype, and declines what it does not take.</summary>
public sealed class SingleQueryAttentionTests
{
    private static Tensor Random(long[] shape, int seed)
    {
        using Tensor values = randn(shape, generator: new Generator((ulong)seed));
        return values.clone();
    }

    // Storage with room for more positions than are filled; the unfilled ones hold NaN, so reading one shows.
    private static Tensor Storage(int kvHeads, long capacity, long length, int headDim, ScalarType dtype, int seed)
    {
        using Tensor filled = Random([1, kvHeads, length, headDim], seed);
        Tensor storage = full([1, kvHeads, capacity, headDim], float.NaN, dtype: dtype);
        storage.narrow(2, 0, length).copy_(filled);
        return storage;
    }

    // The same attention in float64 from the same (rounded) values, each KV head repeated for its query heads.
    private static Tensor Reference(Tensor query, Tensor keys, Tensor values, long length)
    {
        int group = (int)(query.shape[1] / keys.shape[1]);
        using Tensor k = keys.narrow(2, 0, length).to(ScalarType.Float64).repeat_interleave(group, dim: 1);
        using Tensor v = values.narrow(2, 0, length).to(ScalarType.Float64).repeat_interleave(group, dim: 1);
        using Tensor q = query.to(ScalarType.Float64);
        using Tensor scores = q.matmul(k.transpose(2, 3)) / Math.Sqrt(query.shape[3]);
        using Tensor probabilities = scores.softmax(-1);
        return probabilities.matmul(v);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, 4, 4, 64, 300, 1)]
    [InlineData(ScalarType.BFloat16, 8, 2, 40, 7, 2)]
    [InlineData(ScalarType.BFloat16, 2, 1, 64, 1, 1)]
    [InlineData(ScalarType.Float32, 4, 2, 64, 300, 2)]
    [InlineData(ScalarType.Float32, 3, 3, 20, 33, 1)]
    public void AgreesWithAttentionInFloat64OverTheFilledPositionsOnly(ScalarType dtype, int heads, int kvHeads, int headDim, int length, int threads)
    {
        using var noGrad = no_grad();
        using Tensor query = Random([1, heads, 1, headDim], 1).to(dtype);
        using Tensor keys = Storage(kvHeads, length + 5, length, headDim, dtype, 2);
        using Tensor values = Storage(kvHeads, length + 5, length, headDim, dtype, 3);
        Assert.Equal(Vector512.IsHardwareAccelerated, SingleQueryAttention.Applies(query, keys, values, length));
        if (!Vector512.IsHardwareAccelerated)
        {
            return; // Attention keeps scaled_dot_product_attention on this CPU, which its own tests cover.
        }

        using Tensor output = SingleQueryAttention.Forward(query, keys, values, length, threads);

        using Tensor expected = Reference(query, keys, values, length);
        Assert.Equal([1, heads, 1, headDim], output.shape);
        Assert.Equal(dtype, output.dtype);
        using Tensor error = (output.to(ScalarType.Float64) - expected).abs().max();
        double tolerance = dtype == ScalarType.BFloat16 ? 1.0 / 64 : 1e-5;
        Assert.True(error.item<double>() <= tolerance, $"max error {error.item<double>()}");
    }

    [Fact]
    public void SplittingHeadsOverThreadsGivesTheSameBits()
    {
        using var noGrad = no_grad();
        using Tensor query = Random([1, 8, 1, 64], 4).to(ScalarType.BFloat16);
        using Tensor keys = Storage(4, 2100, 2048, 64, ScalarType.BFloat16, 5);
        using Tensor values = Storage(4, 2100, 2048, 64, ScalarType.BFloat16, 6);
        if (!SingleQueryAttention.Applies(query, keys, values, 2048))
        {
            return;
        }

        using Tensor one = SingleQueryAttention.Forward(query, keys, values, 2048, threads: 1);
        using Tensor three = SingleQueryAttention.Forward(query, keys, values, 2048, threads: 3);

        Assert.True(one.equal(three).all().item<bool>());
    }

    [Fact]
    public void DeclinesWhatItDoesNotTake()
    {
        using Tensor query = Random([1, 4, 1, 16], 7);
        using Tensor keys = Random([1, 2, 10, 16], 8);
        using Tensor values = Random([1, 2, 10, 16], 9);
        using Tensor twoQueries = Random([1, 4, 2, 16], 10);
        using Tensor batchOfTwo = Random([2, 4, 1, 16], 11);
        using Tensor threeHeads = Random([1, 3, 1, 16], 12);
        using Tensor halfQuery = query.to(ScalarType.Float16);
        using Tensor gradientQuery = query.clone().requires_grad_();

        Assert.False(SingleQueryAttention.Applies(twoQueries, keys, values, 10)); // more than one new position
        Assert.False(SingleQueryAttention.Applies(batchOfTwo, keys, values, 10)); // a batch
        Assert.False(SingleQueryAttention.Applies(threeHeads, keys, values, 10)); // heads not a multiple of KV heads
        Assert.False(SingleQueryAttention.Applies(query, keys, values, 11)); // more positions than the storage holds
        Assert.False(SingleQueryAttention.Applies(query, keys, values, 0)); // nothing cached
        Assert.False(SingleQueryAttention.Applies(halfQuery, keys.to(ScalarType.Float16), values.to(ScalarType.Float16), 10)); // float16
        Assert.False(SingleQueryAttention.Applies(gradientQuery, keys, values, 10)); // a gradient is wanted
    }

    [Fact]
    public void ItsLoopsAreCompiledOptimisedFromTheFirstCall() =>
        OptimisedFromTheFirstCall.Check(typeof(SingleQueryAttention), "KvHead", "Scores", "WeightedSum");
}
