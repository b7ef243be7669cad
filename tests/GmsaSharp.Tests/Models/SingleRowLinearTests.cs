using System.Runtime.Intrinsics;
using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>The decoding step's own matrix-vector loop computes what <c>linear</c> computes, to float32 rounding, for
/// every shape and dtype it takes, and hands everything else to libtorch unchanged.</summary>
public sealed class SingleRowLinearTests
{
    private static Tensor Random(long[] shape, ScalarType dtype, int seed)
    {
        using Tensor values = randn(shape, generator: new Generator((ulong)seed));
        return values.to(dtype);
    }

    // Column counts that end in each of the loop's parts: the 128- (bfloat16) or 64-wide (float32) pass, the one-vector
    // pass, and single columns.
    [Theory]
    [InlineData(ScalarType.BFloat16, 64, 8, false)]
    [InlineData(ScalarType.BFloat16, 77, 13, true)]
    [InlineData(ScalarType.BFloat16, 300, 9, true)]
    [InlineData(ScalarType.BFloat16, 5, 3, true)]
    [InlineData(ScalarType.Float32, 64, 8, true)]
    [InlineData(ScalarType.Float32, 77, 13, false)]
    [InlineData(ScalarType.Float32, 150, 9, true)]
    [InlineData(ScalarType.Float32, 5, 3, false)]
    public void OneRowAgreesWithLinearToFloat32Rounding(ScalarType dtype, int inFeatures, int outFeatures, bool biased)
    {
        using var noGrad = no_grad();
        using Tensor weight = Random([outFeatures, inFeatures], dtype, 1);
        using Tensor x = Random([1, 1, inFeatures], dtype, 2);
        using Tensor? bias = biased ? Random([outFeatures], dtype, 3) : null;
        // Without 512-bit vectors libtorch computes it, and the agreement must hold all the same.
        Assert.Equal(Vector512.IsHardwareAccelerated, SingleRowLinear.Applies(x, weight, bias));

        using Tensor output = SingleRowLinear.Forward(x, weight, bias);

        // The exact product of the same (rounded) operands, in float64, then rounded once to the dtype.
        using Tensor exact = nn.functional.linear(x.to(ScalarType.Float64), weight.to(ScalarType.Float64), bias?.to(ScalarType.Float64));
        Assert.Equal(dtype, output.dtype);
        Assert.Equal([1, 1, outFeatures], output.shape);
        double tolerance = dtype == ScalarType.BFloat16 ? 1.0 / 128 : 1e-5;
        using Tensor error = (output.to(ScalarType.Float64) - exact).abs().max();
        using Tensor scale = exact.abs().max();
        Assert.True(error.item<double>() <= tolerance * Math.Max(1, scale.item<double>()),
            $"max error {error.item<double>()} at scale {scale.item<double>()}");
    }

    [Fact]
    public void ExactSumsComeOutExactlyWithTheBiasAdded()
    {
        using var noGrad = no_grad();
        // Small integers: every product and sum is exact in float32, so any error would be the loop's own.
        using Tensor weight = (arange(6 * 70) % 7 - 3).reshape(6, 70).to(ScalarType.BFloat16);
        using Tensor x = (arange(70) % 5 - 2).to(ScalarType.BFloat16);
        using Tensor bias = tensor(new float[] { 1, -2, 3, -4, 5, -6 }).to(ScalarType.BFloat16);
        Assert.Equal(Vector512.IsHardwareAccelerated, SingleRowLinear.Applies(x, weight, bias));

        using Tensor output = SingleRowLinear.Forward(x, weight, bias);

        using Tensor expected = (weight.to(ScalarType.Float32).matmul(x.to(ScalarType.Float32)) + bias.to(ScalarType.Float32));
        Assert.Equal([6], output.shape);
        Assert.Equal(expected.data<float>().ToArray(), output.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void RoundsToNearestEvenAsLibtorchDoesAndKeepsNaN()
    {
        using var noGrad = no_grad();
        // Each row sums to a float32 exactly halfway between two bfloat16 values (steps of 2^-7 near 1), then NaN:
        // 1 + 2^-8 ties to 1 and 1 + 3 * 2^-8 ties to 1 + 2^-6, the neighbours with an even last bit.
        using Tensor weight = tensor(new float[] { 1, 1f / 256, 1, 3f / 256, float.NaN, 0 }).reshape(3, 2).to(ScalarType.BFloat16);
        using Tensor x = ones(1, 2, dtype: ScalarType.BFloat16);
        Assert.Equal(Vector512.IsHardwareAccelerated, SingleRowLinear.Applies(x, weight, null));

        using Tensor output = SingleRowLinear.Forward(x, weight, null);

        float[] values = output.to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal([1f, 1 + 1f / 64], values[..2]);
        Assert.True(float.IsNaN(values[2]));
        using Tensor sums = tensor(new float[] { 1 + 1f / 256, 1 + 3f / 256 });
        using Tensor libtorch = sums.to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.Equal(libtorch.data<float>().ToArray(), values[..2]);
    }

    [Fact]
    public void SplittingRowsOverThreadsGivesTheSameBits()
    {
        using var noGrad = no_grad();
        // Large enough to be split: 2 x 2^18 weights and more, with a row count that does not divide evenly.
        using Tensor weight = Random([1030, 600], ScalarType.BFloat16, 4);
        using Tensor x = Random([1, 600], ScalarType.BFloat16, 5);
        Assert.Equal(Vector512.IsHardwareAccelerated, SingleRowLinear.Applies(x, weight, null));

        using Tensor one = SingleRowLinear.Forward(x, weight, null, threads: 1);
        using Tensor two = SingleRowLinear.Forward(x, weight, null, threads: 2);
        using Tensor three = SingleRowLinear.Forward(x, weight, null, threads: 3);

        Assert.True(one.equal(two).all().item<bool>());
        Assert.True(one.equal(three).all().item<bool>());
    }

    [Fact]
    public void EverythingElseIsLibtorchsLinearUnchanged()
    {
        using Tensor weight = Random([8, 16], ScalarType.Float32, 6);
        using Tensor rows = Random([2, 16], ScalarType.Float32, 7);
        using Tensor transposed = Random([16, 8], ScalarType.Float32, 8);
        using Tensor half = Random([1, 16], ScalarType.Float16, 9);
        using Tensor halfWeight = weight.to(ScalarType.Float16);
        using Tensor row = Random([1, 16], ScalarType.Float32, 10);
        using Tensor mixed = row.to(ScalarType.BFloat16);

        Assert.False(SingleRowLinear.Applies(rows, weight, null)); // two rows: a matmul, not a matrix-vector product
        Assert.False(SingleRowLinear.Applies(row, transposed.t(), null)); // a weight that is a view across rows
        Assert.False(SingleRowLinear.Applies(half, halfWeight, null)); // float16
        Assert.False(SingleRowLinear.Applies(mixed, weight, null)); // input and weight of different dtypes
        using Tensor noOutputs = zeros(0, 16);
        Assert.False(SingleRowLinear.Applies(row, noOutputs, null)); // an empty weight
        using (Tensor empty = SingleRowLinear.Forward(row, noOutputs, null))
        {
            Assert.Equal([1, 0], empty.shape);
        }
        using (Tensor output = SingleRowLinear.Forward(rows, weight, null))
        using (Tensor expected = nn.functional.linear(rows, weight))
        {
            Assert.True(output.equal(expected).all().item<bool>());
        }
    }

    [Fact]
    public void GradientsStillFlowThroughLibtorch()
    {
        using Tensor weight = Random([8, 16], ScalarType.Float32, 11);
        using Tensor x = Random([1, 16], ScalarType.Float32, 12).requires_grad_();

        Assert.False(SingleRowLinear.Applies(x, weight, null));
        using Tensor output = SingleRowLinear.Forward(x, weight, null);
        using Tensor loss = output.sum();
        loss.backward();

        using Tensor expected = weight.sum(0, keepdim: true);
        Assert.True(x.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ItsLoopsAreCompiledOptimisedFromTheFirstCall() =>
        OptimisedFromTheFirstCall.Check(typeof(SingleRowLinear), "WidenInput", "Rows", "Row", "Store");
}
