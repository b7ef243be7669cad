using GmsaSharp.Models;
using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Training;

/// <summary>Teacher-forced cross-entropy losses of the decoder.</summary>
internal static class DecoderLoss
{
    /// <summary>
    /// Mean next-token cross-entropy over a batch of token sequences, right-padded to the longest, counting only
    /// the tokens marked in <c>Trained</c> (null: every token after the first). Returns the loss and how many
    /// tokens it predicts.
    /// </summary>
    public static (Tensor Loss, long Tokens) NextToken(CausalLM lm, IReadOnlyList<(int[] Tokens, bool[]? Trained)> batch)
    {
        int width = batch.Max(s => s.Tokens.Length) - 1;
        var inputs = new long[batch.Count * width];
        var predicting = new List<long>();
        var targets = new List<long>();
        for (int row = 0; row < batch.Count; row++)
        {
            (int[] tokens, bool[]? trained) = batch[row];
            for (int i = 0; i < width; i++)
            {
                bool real = i + 1 < tokens.Length;
                inputs[row * width + i] = real ? tokens[i] : 0;
                if (real && (trained is null || trained[i + 1]))
                {
                    predicting.Add(row * width + i);
                    targets.Add(tokens[i + 1]);
                }
            }
        }
        using var scope = NewDisposeScope();
        // Right padding needs no attention mask: causal attention never looks right. Only the positions that predict a
        // counted token are projected onto the vocabulary: in QA most positions are context that carries no loss, and
        // the logits, softmax and their gradients of every position cost as much as a sixth of a step.
        Tensor hidden = lm.HiddenStates(tensor(inputs, dtype: ScalarType.Int64).reshape(batch.Count, width));
        Tensor positions = tensor(predicting.ToArray(), dtype: ScalarType.Int64, device: hidden.device);
        Tensor logits = lm.Logits(hidden.reshape(-1, hidden.size(-1)).index_select(0, positions));
        Tensor target = tensor(targets.ToArray(), dtype: ScalarType.Int64, device: logits.device);
        return (nn.functional.cross_entropy(logits, target).MoveToOuterDisposeScope(), predicting.Count);
    }

    /// <summary>
    /// Summed cross-entropy of the <paramref name="tokens"/> marked in <paramref name="trained"/>, read after
    /// <paramref name="prefix"/> [1, P, hidden] (e.g. soft tokens); vocabulary logits only where a trained token is predicted.
    /// </summary>
    public static Tensor MarkedAfterPrefix(CausalLM lm, Tensor prefix, IReadOnlyList<int> tokens, IReadOnlyList<bool> trained, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        Tensor ids = tensor(tokens.Select(id => (long)id).ToArray(), dtype: ScalarType.Int64, device: lm.Device);
        Tensor input = tokens.Count > 1 ? cat([prefix, lm.Embed(ids.narrow(0, 0, tokens.Count - 1).unsqueeze(0))], 1) : prefix;
        Tensor hidden = lm.HiddenStates(inputEmbeddings: input, adapters: adapters)[0];
        // Token i is predicted at position P - 1 + i.
        long[] marked = Enumerable.Range(0, tokens.Count).Where(i => trained[i]).Select(i => (long)i).ToArray();
        Tensor targets = tensor(marked, dtype: ScalarType.Int64, device: lm.Device);
        using Scalar offset = (prefix.shape[1] - 1).ToScalar();
        Tensor predicting = hidden.index_select(0, targets.Plus(offset));
        return nn.functional.cross_entropy(lm.Logits(predicting), ids.index_select(0, targets), reduction: nn.Reduction.Sum).MoveToOuterDisposeScope();
    }

    /// <summary>Summed cross-entropy of every token of <paramref name="target"/> after <paramref name="prefix"/> [1, P, hidden].</summary>
    public static Tensor TargetAfterPrefix(CausalLM lm, Tensor prefix, IReadOnlyList<int> target, IProjectionAdapters? adapters) =>
        MarkedAfterPrefix(lm, prefix, target, Enumerable.Repeat(true, target.Count).ToArray(), adapters);
}
