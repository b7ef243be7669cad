using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>A block's linear projection followed by the call's adapters for it: how attention and the MLP apply
/// every one of their projections, so adapters (LoRA) act the same on each.</summary>
internal static class AdaptedProjection
{
    /// <summary>Projects <paramref name="input"/> by <paramref name="projection"/> (HF name <paramref name="name"/>, in block
    /// <paramref name="layer"/>) and lets <paramref name="adapters"/>, if any, adapt the output.</summary>
    public static Tensor Apply(Linear projection, int layer, string name, Tensor input, IProjectionAdapters? adapters)
    {
        Tensor output = projection.forward(input);
        return adapters is null ? output : adapters.Adapt(layer, name, input, output);
    }
}
