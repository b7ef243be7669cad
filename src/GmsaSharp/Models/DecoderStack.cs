using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>Runs a list of blocks plus a final norm the way the decoder does: the shared core of the
/// decoder, the GMSA encoder (its first k blocks) and the LSA module (copied blocks).</summary>
internal static class DecoderStack
{
    /// <summary>Runs <paramref name="blocks"/> then <paramref name="finalNorm"/> over <paramref name="inputEmbeddings"/>.
    /// See <see cref="DecoderModel.Forward"/> for the arguments.</summary>
    public static Tensor Run(IReadOnlyList<DecoderBlock> blocks, RmsNorm finalNorm, RotaryEmbedding rotary, DecoderConfig config,
        Tensor inputEmbeddings, Tensor? padding, Tensor? positionIds, KvCache? cache, IProjectionAdapters? adapters)
    {
        if (inputEmbeddings.dim() != 3 || inputEmbeddings.size(2) != config.HiddenSize)
        {
            throw new ArgumentException(
                $"Input embeddings must be [batch, seq, {config.HiddenSize}], got [{string.Join(", ", inputEmbeddings.shape)}].", nameof(inputEmbeddings));
        }
        using var scope = NewDisposeScope();
        long batch = inputEmbeddings.size(0), length = inputEmbeddings.size(1);
        long past = cache?.Length ?? 0;
        if (cache is not null && cache.Layers != blocks.Count)
        {
            throw new ArgumentException($"The cache serves {cache.Layers} blocks but {blocks.Count} run: a pass with a cache runs all its blocks.", nameof(cache));
        }
        if (past + length > config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"{past + length} positions ({past} cached + {length} new) exceed the model's max_position_embeddings of {config.MaxPositionEmbeddings}.");
        }
        if (padding is not null && (padding.dim() != 2 || padding.size(0) != batch || padding.size(1) != length))
        {
            throw new ArgumentException(
                $"The attention mask must be [{batch}, {length}] (one entry per new position), got [{string.Join(", ", padding.shape)}].", nameof(padding));
        }
        // The mask over every key: the cache remembers the padding of the positions it holds.
        Tensor? cachedPadding = cache?.AttentionMask;
        Tensor? allPadding = (cachedPadding, padding) switch
        {
            (null, null) => null,
            (null, { } fresh) => past == 0 ? fresh : cat([ones(batch, past, dtype: fresh.dtype, device: fresh.device), fresh], 1),
            ({ } cached, var fresh) => cat([cached, fresh ?? ones(batch, length, dtype: cached.dtype, device: cached.device)], 1),
        };
        Tensor positions = positionIds ?? AttentionMasks.Positions(batch, past, length, allPadding, inputEmbeddings.device);
        (Tensor cos, Tensor signedSin) = rotary.Tables(positions, inputEmbeddings.dtype);
        Tensor? mask = AttentionMasks.Causal(batch, past, length, allPadding, config.SlidingWindow, inputEmbeddings.device);

        if (adapters is MergedBlocks merged)
        {
            // Adapters merged into copies of their blocks: run the copies, with nothing left to add per projection.
            blocks = merged.InPlaceOf(blocks);
            adapters = null;
        }
        Tensor x = inputEmbeddings;
        try
        {
            foreach (DecoderBlock block in blocks)
            {
                x = block.Forward(x, cos, signedSin, mask, cache, adapters);
            }
        }
        catch when (cache is not null)
        {
            // Some blocks may have appended: forget the failed pass, so the cache stays usable at its length.
            cache.Truncate(cache.Length);
            throw;
        }
        if (cache is not null)
        {
            cache.Advance(length, padding);
        }
        return finalNorm.Forward(x).MoveToOuterDisposeScope();
    }
}
