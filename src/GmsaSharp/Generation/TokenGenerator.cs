using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Generation;

/// <summary>
/// The decoding loop over token ids: prefill once into a KV cache, then one token per step, projecting
/// only the last position onto the vocabulary. GMSA reuses <see cref="Continue"/> after prefilling soft
/// tokens itself.
/// </summary>
public static class TokenGenerator
{
    /// <summary>Generates after <paramref name="promptIds"/> (one sequence). Yields generated ids, never the EOS.</summary>
    public static IEnumerable<int> Generate(CausalLM lm, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(promptIds));
        }
        options.Validate();
        using KvCache cache = lm.NewCache();
        Tensor firstLogits;
        using (var scope = NewDisposeScope())
        {
            using var noGrad = no_grad();
            Tensor ids = tensor(promptIds.Select(id => (long)id).ToArray(), dtype: TorchSharp.torch.ScalarType.Int64).unsqueeze(0);
            firstLogits = lm.Forward(ids, cache: cache, lastPositionOnly: true).MoveToOuterDisposeScope();
        }
        using (firstLogits)
        {
            foreach (int id in Continue(lm, cache, firstLogits, promptIds, options, adapters: null, cancellationToken))
            {
                yield return id;
            }
        }
    }

    /// <summary>Continues from a filled <paramref name="cache"/> whose next-token logits are <paramref name="nextLogits"/>.</summary>
    /// <param name="lm">The model.</param>
    /// <param name="cache">The cache after the prompt; extended as tokens are generated.</param>
    /// <param name="nextLogits">Logits for the first new token, any shape with vocab last.</param>
    /// <param name="history">Tokens the repetition penalty counts as already seen.</param>
    /// <param name="options">Sampling and stopping.</param>
    /// <param name="adapters">Adapters for the decoding steps, as used for the prompt.</param>
    /// <param name="cancellationToken">Stops between tokens.</param>
    internal static IEnumerable<int> Continue(CausalLM lm, KvCache cache, Tensor nextLogits, IEnumerable<int> history, GenerationOptions options,
        IProjectionAdapters? adapters, CancellationToken cancellationToken)
    {
        using var sampler = new TokenSampler(options);
        IReadOnlySet<int> eos = lm.EosTokenIds;
        var seen = new List<int>(history);
        Tensor logits = nextLogits;
        try
        {
            for (int step = 0; step < options.MaxNewTokens; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int next;
                // The flattened view is a tensor of its own: disposed here, not left to the garbage collector.
                using (Tensor flat = logits.reshape(-1))
                {
                    next = sampler.Next(flat, seen);
                }
                if (options.StopAtEos && eos.Contains(next))
                {
                    yield break;
                }
                seen.Add(next);
                yield return next;
                if (step + 1 == options.MaxNewTokens)
                {
                    yield break;
                }
                Tensor previous = logits;
                using (var scope = NewDisposeScope())
                {
                    using var noGrad = no_grad();
                    Tensor ids = tensor(new long[] { next }, dtype: TorchSharp.torch.ScalarType.Int64).unsqueeze(0);
                    logits = lm.Forward(ids, cache: cache, lastPositionOnly: true, adapters: adapters).MoveToOuterDisposeScope();
                }
                if (!ReferenceEquals(previous, nextLogits))
                {
                    previous.Dispose();
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(logits, nextLogits))
            {
                logits.Dispose();
            }
        }
    }
}
