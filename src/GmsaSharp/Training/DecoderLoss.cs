using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>Teacher-forced cross-entropy of a target after a prefix of input embeddings, computing vocabulary
/// logits only at the positions that predict the target.</summary>
public static class DecoderLoss
{
    /// <summary>Summed cross-entropy of <paramref name="target"/> after <paramref name="prefix"/> [1, P, hidden].</summary>
    public static Tensor TargetAfterPrefix(CausalLM lm, Tensor prefix, IReadOnlyList<int> target, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        Tensor targetIds = tensor(target.Select(id => (long)id).ToArray(), dtype: ScalarType.Int64, device: lm.Device);
        Tensor input = target.Count > 1
            ? cat([prefix, lm.Embed(targetIds.narrow(0, 0, target.Count - 1).unsqueeze(0))], 1)
            : prefix;
        Tensor hidden = lm.HiddenStates(inputEmbeddings: input, adapters: adapters);
        Tensor predicting = hidden.narrow(1, prefix.shape[1] - 1, target.Count)[0];
        return nn.functional.cross_entropy(lm.Logits(predicting), targetIds, reduction: nn.Reduction.Sum).MoveToOuterDisposeScope();
    }
}
