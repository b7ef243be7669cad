using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// The decoding step's own loops (<see cref="SingleRowLinear"/>, <see cref="SingleQueryAttention"/> and the one-token
/// paths of <see cref="RmsNorm"/> and <see cref="RotaryEmbedding"/>) read and write tensors' memory directly. They take
/// operands only where that is sound: one dtype they read (bf16 or f32), all on the CPU, contiguous (they index the
/// bytes as dense rows), and outside autograd (no gradient flows through a raw loop). Each loop adds its own shape rules.
/// </summary>
internal static class OwnLoopOperands
{
    /// <summary>Whether every operand that is not null may be read by an own loop, as one dtype.</summary>
    public static bool Readable(params ReadOnlySpan<Tensor?> operands)
    {
        ScalarType? dtype = null;
        foreach (Tensor? operand in operands)
        {
            if (operand is null)
            {
                continue;
            }
            dtype ??= operand.dtype;
            if (operand.dtype != dtype || operand.device_type != DeviceType.CPU)
            {
                return false;
            }
        }
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float32))
        {
            return false;
        }
        bool recording = is_grad_enabled();
        foreach (Tensor? operand in operands)
        {
            if (operand is not null && ((recording && operand.requires_grad) || !operand.is_contiguous()))
            {
                return false;
            }
        }
        return true;
    }
}
