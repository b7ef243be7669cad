using TorchSharp;

namespace GmsaSharp.Checkpoints;

/// <summary>One tensor's header record in a safetensors file: dtype, shape and byte range.</summary>
/// <param name="Name">The tensor's key, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="DType">The stored element type.</param>
/// <param name="Shape">The stored shape.</param>
/// <param name="Begin">Offset of the first byte, relative to the start of the data section.</param>
/// <param name="End">Offset one past the last byte, relative to the start of the data section.</param>
internal sealed record SafetensorsEntry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, size) => product * size);
}
