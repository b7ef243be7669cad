using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>
/// The norm and rotary embedding run with fewer ops than HF writes them (issue 22: every decoding step runs them in
/// every block). They must give exactly HF's numbers, forward and backward, in float32 and bfloat16: each test
/// computes HF's formula in the same dtype and compares bit for bit.
/// </summary>
public sealed class DecodeStepOpsTests
{
    private static bool Same(Tensor expected, Tensor actual) =>
        expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>();

    public static TheoryData<ScalarType> DTypes => new() { ScalarType.Float32, ScalarType.BFloat16 };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void RotaryEmbeddingEqualsHfRotateHalfExactly(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const int headDim = 64;
        var rotary = new RotaryEmbedding(headDim, theta: 10000, scaling: null);
        var generator = new Generator(7);
        // Two rows at different positions, as a padded batch or a cache offset gives; q as attention sees it:
        // [batch, heads, seq, head_dim] transposed from the projection's [batch, seq, heads, head_dim].
        Tensor positions = tensor(new long[] { 0, 1, 2, 3, 5, 6, 7, 4095 }).view(2, 4);
        Tensor leaf = randn(2, 4, 3, headDim, generator: generator).to(dtype).requires_grad_();
        Tensor q = leaf.transpose(1, 2);

        (Tensor cos, Tensor signedSin) = rotary.Tables(positions, dtype);
        Tensor actual = RotaryEmbedding.Apply(q, cos, signedSin);

        // HF: emb = cat(freqs, freqs); cos, sin cast to the dtype; q * cos + rotate_half(q) * sin, rotate_half(x) = cat(-x2, x1).
        Tensor inverse = tensor(rotary.InverseFrequencies.ToArray());
        Tensor angles = positions.to(ScalarType.Float32).unsqueeze(-1) * inverse;
        Tensor emb = cat([angles, angles], -1);
        Tensor hfCos = emb.cos().to(dtype).unsqueeze(1), hfSin = emb.sin().to(dtype).unsqueeze(1);
        Tensor q1 = q[.., .., .., ..(headDim / 2)], q2 = q[.., .., .., (headDim / 2)..];
        Tensor expected = q * hfCos + cat([-q2, q1], -1) * hfSin;

        Assert.True(Same(expected, actual), $"{dtype}: largest difference {(expected - actual).abs().max().to(ScalarType.Float32).item<float>()}");
        Tensor upstream = randn(expected.shape, generator: generator).to(dtype);
        Tensor expectedGradient = autograd.grad([expected], [leaf], [upstream])[0];
        Tensor actualGradient = autograd.grad([actual], [leaf], [upstream])[0];
        Assert.True(Same(expectedGradient, actualGradient), $"{dtype}: the gradients differ");
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void RmsNormEqualsHfFormulaExactly(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(8);
        using var norm = new RmsNorm(96, 1e-6, CPU, dtype);
        using (no_grad())
        {
            norm.Weight.copy_(randn(96, generator: generator));
        }
        Tensor x = (randn(2, 5, 96, generator: generator) * 3).to(dtype).requires_grad_();

        Tensor actual = norm.Forward(x);

        // HF LlamaRMSNorm: variance = x32.pow(2).mean(-1, keepdim); weight * (x32 * rsqrt(variance + eps)).to(dtype).
        Tensor x32 = x.to(ScalarType.Float32);
        Tensor expected = norm.Weight * (x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + 1e-6)).to(dtype);
        Assert.True(Same(expected, actual), $"{dtype}: largest difference {(expected - actual).abs().max().to(ScalarType.Float32).item<float>()}");

        // Training reads gradients through the in-place ops: the same as through HF's.
        Tensor upstream = randn(expected.shape, generator: generator).to(dtype);
        Parameter weight = norm.Weight;
        IList<Tensor> expectedGradients = autograd.grad([expected], [x, weight], [upstream]);
        IList<Tensor> actualGradients = autograd.grad([actual], [x, weight], [upstream]);
        Assert.True(Same(expectedGradients[0], actualGradients[0]), $"{dtype}: the input gradients differ");
        Assert.True(Same(expectedGradients[1], actualGradients[1]), $"{dtype}: the weight gradients differ");
    }

    // A decoding step's q [1, heads, 1, head_dim], as attention sees it, for one position at a time: the loop of the
    // rotary embedding's own, which must round exactly as the four ops do.
    [Theory]
    [InlineData(ScalarType.Float32, 64, 4)]
    [InlineData(ScalarType.BFloat16, 64, 4)]
    [InlineData(ScalarType.BFloat16, 128, 3)]
    [InlineData(ScalarType.Float32, 10, 1)]
    public void OneTokenRotationEqualsTheOpsExactly(ScalarType dtype, int headDim, int heads)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rotary = new RotaryEmbedding(headDim, theta: 10000, scaling: null);
        var generator = new Generator(9);
        foreach (long position in new long[] { 0, 1, 37, 4095 })
        {
            Tensor q = (randn(1, 1, heads, headDim, generator: generator) * 4).to(dtype).transpose(1, 2);
            (Tensor cos, Tensor signedSin) = rotary.Tables(tensor(new[] { position }).view(1, 1), dtype);
            Assert.True(RotaryEmbedding.IsOneToken(q, cos, signedSin));

            Tensor actual = RotaryEmbedding.Apply(q, cos, signedSin);

            Tensor expected = (q * cos).add_(q.roll(headDim / 2, -1) * signedSin);
            Assert.True(Same(expected, actual), $"{dtype}, position {position}: largest difference {(expected - actual).abs().max().to(ScalarType.Float32).item<float>()}");
        }
    }

    [Fact]
    public void RotationOfSeveralTokensOrWithGradientsIsLeftToTheOps()
    {
        using var scope = NewDisposeScope();
        var rotary = new RotaryEmbedding(8, theta: 10000, scaling: null);
        (Tensor cos, Tensor signedSin) = rotary.Tables(tensor(new long[] { 3 }).view(1, 1), ScalarType.Float32);
        (Tensor cos2, Tensor signedSin2) = rotary.Tables(tensor(new long[] { 3, 4 }).view(1, 2), ScalarType.Float32);
        Assert.False(RotaryEmbedding.IsOneToken(zeros(1, 2, 2, 8), cos2, signedSin2));
        Assert.False(RotaryEmbedding.IsOneToken(zeros(2, 2, 1, 8), cos, signedSin));
        Assert.False(RotaryEmbedding.IsOneToken(zeros(1, 2, 1, 8, dtype: ScalarType.Float64), cos, signedSin));
        Assert.False(RotaryEmbedding.IsOneToken(zeros(1, 2, 1, 8).requires_grad_(), cos, signedSin));
        Assert.False(RotaryEmbedding.IsOneToken(zeros(1, 8, 1, 2).transpose(1, 3), cos, signedSin));
    }

    // A decoding step's rows: one token's hidden state, or one row per head for Qwen3's q/k norm. The loop of the norm's own
    // sums the squares in another order than libtorch, so float32 may differ in the last bits and a bfloat16 value by at
    // most one unit of its last place; everything else is the same arithmetic.
    [Theory]
    [InlineData(ScalarType.Float32, new long[] { 1, 1, 96 })]
    [InlineData(ScalarType.BFloat16, new long[] { 1, 1, 96 })]
    [InlineData(ScalarType.BFloat16, new long[] { 1, 1, 4, 64 })]
    [InlineData(ScalarType.Float32, new long[] { 1, 1, 100 })]
    public void OneTokenNormalizesAsTheOpsDoToTheirLastBit(ScalarType dtype, long[] shape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(10);
        long size = shape[^1];
        using var norm = new RmsNorm(size, 1e-6, CPU, dtype);
        norm.Weight.copy_(randn(size, generator: generator));
        Tensor x = (randn(shape, generator: generator) * 3).to(dtype);
        Assert.True(norm.IsOneToken(x));

        Tensor actual = norm.Forward(x);

        Tensor x32 = x.to(ScalarType.Float32);
        Tensor expected = norm.Weight * (x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + 1e-6)).to(dtype);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(dtype, actual.dtype);
        Tensor difference = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs();
        // bfloat16: a value whose rounding the other order flips moves by one unit in its last place (at most 2^-7 of
        // it), and the weight product's own rounding may add one more. float32: a few units of 2^-23 from the sum.
        double relative = dtype == ScalarType.BFloat16 ? Math.Pow(2, -6) : Math.Pow(2, -20);
        Tensor allowed = expected.to(ScalarType.Float64).abs() * relative;
        Assert.True(difference.le(allowed).all().item<bool>(), $"{dtype}: largest difference {difference.max().item<double>()}");
        if (dtype == ScalarType.BFloat16)
        {
            // A flip needs a value within float32 rounding of a bfloat16 tie: rare.
            Assert.True(difference.gt(0).sum().item<long>() <= x.NumberOfElements / 20, $"{difference.gt(0).sum().item<long>()} values differ");
        }
    }

    [Fact]
    public void NormOfSeveralTokensOrWithGradientsIsLeftToTheOps()
    {
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm(64, 1e-6, CPU, ScalarType.Float32);
        Assert.False(norm.IsOneToken(zeros(1, 1, 64)));
        using (no_grad())
        {
            Assert.True(norm.IsOneToken(zeros(1, 1, 64)));
            Assert.True(norm.IsOneToken(zeros(1, 1, 3, 64)));
            Assert.False(norm.IsOneToken(zeros(1, 2, 64)));
            Assert.False(norm.IsOneToken(zeros(2, 1, 64)));
            Assert.False(norm.IsOneToken(zeros(1, 64)));
            Assert.False(norm.IsOneToken(zeros(1, 1, 64, dtype: ScalarType.BFloat16)));
            Assert.False(norm.IsOneToken(zeros(1, 1, 32)));
            Assert.False(norm.IsOneToken(zeros(1, 1, 64, 2).transpose(2, 3)));
        }
    }
}
