using GmsaSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Evaluation;

/// <summary>The mean negative log-likelihood per predicted token of a sequence, and its exponential.</summary>
/// <param name="Tokens">Tokens in the sequence.</param>
/// <param name="PredictedTokens">Tokens scored (all but the first).</param>
/// <param name="Nll">Mean negative log-likelihood in nats per predicted token.</param>
public sealed record Perplexity(int Tokens, int PredictedTokens, double Nll)
{
    /// <summary>exp(<see cref="Nll"/>).</summary>
    public double Value => Math.Exp(Nll);

    /// <summary>Scores <paramref name="tokenIds"/> (at least two) with <paramref name="lm"/> in one forward pass.</summary>
    public static Perplexity Compute(CausalLM lm, IReadOnlyList<int> tokenIds)
    {
        if (tokenIds.Count < 2)
        {
            throw new ArgumentException($"Perplexity needs at least 2 tokens, got {tokenIds.Count}.", nameof(tokenIds));
        }
        if (tokenIds.Count > lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"The text has {tokenIds.Count} tokens, more than the model's max_position_embeddings of {lm.Config.MaxPositionEmbeddings}.", nameof(tokenIds));
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor ids = tensor(tokenIds.Select(id => (long)id).ToArray(), dtype: ScalarType.Int64).unsqueeze(0);
        Tensor logits = lm.Forward(ids.narrow(1, 0, tokenIds.Count - 1))[0];
        Tensor targets = ids[0].narrow(0, 1, tokenIds.Count - 1).to(logits.device);
        double nll = nn.functional.cross_entropy(logits, targets).item<float>();
        return new Perplexity(tokenIds.Count, tokenIds.Count - 1, nll);
    }
}
