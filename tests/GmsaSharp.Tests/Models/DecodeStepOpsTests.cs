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
}
