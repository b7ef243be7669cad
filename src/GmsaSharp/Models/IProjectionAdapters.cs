using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Adapters (such as LoRA) that add to the output of a block's linear projections for one forward
/// call. Passing them per call, rather than patching the weights, lets one set of frozen base weights
/// serve plain prompts and adapted calls (the GMSA encoder, KEFT) side by side.
/// </summary>
public interface IProjectionAdapters
{
    /// <summary>Returns <paramref name="output"/> = base projection of <paramref name="input"/>, adapted
    /// for projection <paramref name="projection"/> (HF name, e.g. "q_proj") of block <paramref name="layer"/>.</summary>
    Tensor Adapt(int layer, string projection, Tensor input, Tensor output);
}
