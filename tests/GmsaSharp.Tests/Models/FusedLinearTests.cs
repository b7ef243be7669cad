using GmsaSharp.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>The fused projections read the layers' own parameters: what loading and training write into them
/// in place is what the single matmul uses, and a replaced parameter is never silently ignored.</summary>
public sealed class FusedLinearTests
{
    private static (Linear A, Linear B) Layers()
    {
        var generator = new Generator(3);
        Linear a = nn.Linear(8, 4, hasBias: true), b = nn.Linear(8, 6, hasBias: true);
        using var noGrad = no_grad();
        foreach (Tensor parameter in a.parameters().Concat(b.parameters()))
        {
            using Tensor values = randn(parameter.shape, generator: generator);
            parameter.copy_(values);
        }
        return (a, b);
    }

    [Fact]
    public void FusedOutputsEqualEachLayersOwnAfterInPlaceUpdates()
    {
        (Linear a, Linear b) = Layers();
        using var fused = new FusedLinear(a, b);
        using var noGrad = no_grad();
        using Tensor x = randn(2, 3, 8, generator: new Generator(4));
        // Loading copies checkpoint values into the parameters after the fusion: the fused tensor must see them.
        using (Tensor loaded = full(a.weight!.shape, 0.5f))
        {
            a.weight!.copy_(loaded);
        }

        Tensor[] outputs = fused.Forward(x);

        Assert.Equal([2, 3, 4], outputs[0].shape);
        Assert.Equal([2, 3, 6], outputs[1].shape);
        Assert.True(outputs[0].allclose(a.forward(x), rtol: 1e-5, atol: 1e-6));
        Assert.True(outputs[1].allclose(b.forward(x), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void AReplacedParameterIsUsedInsteadOfTheFusedCopy()
    {
        (Linear a, Linear b) = Layers();
        using var fused = new FusedLinear(a, b);
        using var noGrad = no_grad();
        using Tensor x = randn(1, 1, 8, generator: new Generator(5));
        a.weight = new TorchSharp.Modules.Parameter(zeros(4, 8), requires_grad: false);

        Tensor[] outputs = fused.Forward(x);

        Assert.True(outputs[0].allclose(a.bias!.expand(1, 1, 4)));
    }
}
