using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>How attention and the MLP apply the call's adapters (LoRA) to each of their projections, so adapters act
/// the same on every one. Adapters add to the base projection's output, so they apply alike whether that output
/// came from the projection's own matmul or from a fused one (<see cref="FusedLinear"/>).</summary>
internal static class AdaptedProjection
{
    /// <summary>The projection <paramref name="name"/> (HF name, in block <paramref name="layer"/>) of <paramref name="input"/>,
    /// whose base output is <paramref name="output"/>, adapted by <paramref name="adapters"/> if any.</summary>
    public static Tensor Adapt(int layer, string name, Tensor input, Tensor output, IProjectionAdapters? adapters) =>
        adapters is null ? output : adapters.Adapt(layer, name, input, output);
}
