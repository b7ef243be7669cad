using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Tests.Models;

/// <summary>Which operands the decoding step's own loops may read: one bf16 or f32 dtype, CPU, contiguous, no gradient.</summary>
public class OwnLoopOperandsTests
{
    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float32)]
    public void DenseCpuOperandsOfOneReadDtypeAreReadable(ScalarType dtype)
    {
        using Tensor a = zeros(2, 3, dtype: dtype), b = zeros(4, dtype: dtype);

        Assert.True(OwnLoopOperands.Readable(a, b));
        Assert.True(OwnLoopOperands.Readable(a, null, b)); // an absent bias is no operand
    }

    [Fact]
    public void OtherDtypesMixedDtypesAndNoOperandsAreRefused()
    {
        using Tensor half = zeros(2, 3, dtype: ScalarType.Float16), single = zeros(2, 3), bf16 = zeros(2, 3, dtype: ScalarType.BFloat16);

        Assert.False(OwnLoopOperands.Readable(half));
        Assert.False(OwnLoopOperands.Readable(single, bf16));
        Assert.False(OwnLoopOperands.Readable(null, null));
    }

    [Fact]
    public void NonContiguousOperandsAreRefused()
    {
        using Tensor matrix = zeros(3, 4);
        using Tensor transposed = matrix.t();

        Assert.False(OwnLoopOperands.Readable(matrix, transposed));
    }

    [Fact]
    public void OperandsThatRecordGradientsAreRefusedOnlyWhileGradientsAreOn()
    {
        using Tensor weight = zeros(3, 4).requires_grad_(true), input = zeros(4);

        Assert.False(OwnLoopOperands.Readable(input, weight));
        using (no_grad())
        {
            Assert.True(OwnLoopOperands.Readable(input, weight));
        }
    }
}
