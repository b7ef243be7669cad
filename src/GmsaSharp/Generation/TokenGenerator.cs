using GmsaSharp.Models;
using static TorchSharp.torch;

namespace GmsaSharp.Generation;

/// <summary>
/// The decoding loop over token ids: prefill the prompt into a KV cache, then one token per step, projecting
/// only the last position onto the vocabulary. Plain generation starts from an empty cache; GMSA answers start
/// from the cache of a context's soft tokens, with its KEFT adapters (<see cref="Decode"/>). Forward passes run in
/// inference mode, not just without gradients: libtorch then skips autograd's bookkeeping on every op, a measurable
/// part of a decoding step's per-op cost (issue 22). The cache keeps its tensors usable outside it (<see cref="KvCache"/>).
/// </summary>
public static class TokenGenerator
{
    /// <summary>The most new tokens whose cache positions a generation reserves before its prompt.</summary>
    internal const int ReservedNewTokens = 1024;

    /// <summary>Generates after <paramref name="promptIds"/> (one sequence). Yields generated ids, never the EOS.</summary>
    public static IEnumerable<int> Generate(CausalLM lm, IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        if (promptIds.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(promptIds));
        }
        options.Validate();
        using KvCache cache = lm.NewCache();
        foreach (int id in Decode(lm, cache, promptIds, history: promptIds, options, adapters: null, cancellationToken))
        {
            yield return id;
        }
    }

    /// <summary>Prefills <paramref name="promptIds"/> after what <paramref name="cache"/> holds, then generates.</summary>
    /// <param name="lm">The model.</param>
    /// <param name="cache">The cache before the prompt (empty, or a context's soft tokens); extended as tokens are generated.</param>
    /// <param name="promptIds">The prompt, read with <paramref name="adapters"/>.</param>
    /// <param name="history">Tokens the repetition penalty counts as already seen.</param>
    /// <param name="options">Sampling and stopping, already validated.</param>
    /// <param name="adapters">Adapters for the prompt and every decoding step.</param>
    /// <param name="cancellationToken">Stops between tokens.</param>
    internal static IEnumerable<int> Decode(CausalLM lm, KvCache cache, IReadOnlyList<int> promptIds, IEnumerable<int> history, GenerationOptions options,
        IProjectionAdapters? adapters, CancellationToken cancellationToken)
    {
        // Room for the prompt and the answer up front: growing the cache mid-answer copies all of it in one step.
        // A budget past ReservedNewTokens grows by doubling instead of reserving memory an early EOS never uses.
        cache.Reserve(Math.Min(lm.Config.MaxPositionEmbeddings, cache.Length + promptIds.Count + Math.Min(options.MaxNewTokens, ReservedNewTokens)));
        Tensor firstLogits;
        using (var scope = NewDisposeScope())
        {
            using var inference = inference_mode();
            Tensor ids = tensor(promptIds.Select(id => (long)id).ToArray(), dtype: TorchSharp.torch.ScalarType.Int64).unsqueeze(0);
            firstLogits = lm.Forward(ids, cache: cache, lastPositionOnly: true, adapters: adapters).MoveToOuterDisposeScope();
        }
        using (firstLogits)
        {
            foreach (int id in Continue(lm, cache, firstLogits, history, options, adapters, cancellationToken))
            {
                yield return id;
            }
        }
    }

    // Continues from a filled cache whose next-token logits are `nextLogits` (any shape with the vocabulary last).
    private static IEnumerable<int> Continue(CausalLM lm, KvCache cache, Tensor nextLogits, IEnumerable<int> history, GenerationOptions options,
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
                    using var inference = inference_mode();
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
