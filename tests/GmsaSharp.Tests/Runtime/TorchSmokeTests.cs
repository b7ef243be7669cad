using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Runtime;

/// <summary>Proves the native LibTorch bundle loads on this host and computes correctly.</summary>
public class TorchSmokeTests
{
    [Fact]
    public void MatrixProductHasTheRightValues()
    {
        using var scope = NewDisposeScope();
        Tensor a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        Tensor b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);

        float[] product = a.matmul(b).data<float>().ToArray();

        Assert.Equal(new float[] { 19, 22, 43, 50 }, product);
    }

    [Fact]
    public void BFloat16MatmulAgreesWithFloat32WithinBf16Precision()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(seed: 7);
        Tensor a = randn(64, 64, generator: generator);
        Tensor b = randn(64, 64, generator: generator);

        Tensor exact = a.matmul(b);
        Tensor approx = a.to(ScalarType.BFloat16).matmul(b.to(ScalarType.BFloat16)).to(ScalarType.Float32);

        double relativeError = ((approx - exact).norm() / exact.norm()).item<float>();
        Assert.InRange(relativeError, 0, 0.02);
    }
}
