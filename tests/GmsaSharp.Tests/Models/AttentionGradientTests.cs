using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>
/// Training relies on libtorch's fused attention for its gradients too; these pin them to the textbook
/// softmax(q k^T / sqrt(d) + causal mask) v computed with plain tensor operations.
/// </summary>
public class AttentionGradientTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-4, true)]
    [InlineData(ScalarType.Float32, 1e-4, false)]
    [InlineData(ScalarType.BFloat16, 3e-2, true)]
    [InlineData(ScalarType.BFloat16, 3e-2, false)]
    public void FusedCausalAttentionGradientsMatchTheTextbookFormula(ScalarType dtype, double tolerance, bool booleanMask)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        long batch = 2, heads = 3, length = 300, dim = 32;
        Tensor q0 = randn([batch, heads, length, dim], generator: generator) * 2;
        Tensor k0 = randn([batch, heads, length, dim], generator: generator) * 2;
        Tensor v0 = randn([batch, heads, length, dim], generator: generator);
        Tensor weights = randn([batch, heads, length, dim], generator: generator);
        Tensor causal = ones(length, length, dtype: ScalarType.Bool).tril();

        (Tensor dq, Tensor dk, Tensor dv) Gradients(Func<Tensor, Tensor, Tensor, Tensor> attention)
        {
            Tensor q = q0.to(dtype).detach().requires_grad_(true);
            Tensor k = k0.to(dtype).detach().requires_grad_(true);
            Tensor v = v0.to(dtype).detach().requires_grad_(true);
            (attention(q, k, v).to(ScalarType.Float32) * weights).sum().backward();
            return (q.grad!.to(ScalarType.Float32), k.grad!.to(ScalarType.Float32), v.grad!.to(ScalarType.Float32));
        }

        var fused = Gradients((q, k, v) => booleanMask
            ? nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: causal.expand(batch, 1, length, length))
            : nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true));
        var textbook = Gradients((q, k, v) =>
        {
            Tensor scores = matmul(q.to(ScalarType.Float32), k.to(ScalarType.Float32).transpose(-2, -1)) / Math.Sqrt(dim);
            Tensor probabilities = scores.masked_fill(causal.logical_not(), double.NegativeInfinity).softmax(-1);
            return matmul(probabilities, v.to(ScalarType.Float32));
        });

        foreach ((string name, Tensor a, Tensor b) in new[] { ("q", fused.dq, textbook.dq), ("k", fused.dk, textbook.dk), ("v", fused.dv, textbook.dv) })
        {
            double error = ((a - b).norm() / b.norm()).item<float>();
            output.WriteLine($"{dtype} {(booleanMask ? "mask" : "is_causal")} d{name}: relative error {error:E2}, norm {b.norm().item<float>():F3}");
            Assert.True(error < tolerance, $"d{name} relative error {error} >= {tolerance}");
        }
    }
}
