using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Keys and values of every decoder block for the positions seen so far, so incremental decoding
/// computes only new tokens. Storage is preallocated and grows by doubling; keys and values are kept
/// per KV head (not repeated for grouped-query attention). All rows of a batch share one length;
/// padding is expressed through the attention mask. To a user it is a handle (<see cref="CausalLM.NewCache"/>,
/// then passed to every forward call); only the decoder writes it.
/// </summary>
/// <remarks>
/// The protocol of one forward pass over n new positions: every block calls <see cref="Append"/> once with its
/// own layer index (each sees the positions before <see cref="Length"/> plus its n new ones), then the stack calls
/// <see cref="Advance"/> once with n. <see cref="Length"/> moves only in <see cref="Advance"/>, so the blocks of
/// one pass all write at the same offset. Every pass runs all the blocks the cache serves (the GMSA encoder never
/// uses a cache, LSA has its own): a block left out would keep stale rows that a later pass reads as history.
/// The protocol is checked as it runs, so a misuse fails at once instead of as wrong numbers later.
/// </remarks>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private Tensor? _mask;
    // The layers that appended in the pass in progress (since the last Advance or Truncate).
    private readonly bool[] _appended;
    // Positions the first allocation makes room for (see Reserve).
    private long _reserved;

    /// <summary>An empty cache for <paramref name="layers"/> blocks.</summary>
    internal KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _appended = new bool[layers];
    }

    /// <summary>Makes the storage hold at least <paramref name="positions"/> positions without growing: a generation that
    /// knows its prompt and token budget reserves them, so no decoding step copies the whole cache (at 4,096 positions
    /// such a copy cost one step ~1 s). Storage already allocated keeps its size until it next grows.</summary>
    internal void Reserve(long positions) => _reserved = Math.Max(_reserved, positions);

    /// <summary>The number of cached positions.</summary>
    public long Length { get; private set; }

    /// <summary>The padding mask [batch, Length] of the cached positions (1 = real token), or null when none was given.</summary>
    internal Tensor? AttentionMask => _mask;

    /// <summary>The number of blocks the cache serves.</summary>
    public int Layers => _keys.Length;

    /// <summary>Appends one block's new keys and values [batch, kv_heads, new, head_dim] after the
    /// first <see cref="Length"/> positions and returns views of all of them. <see cref="Advance"/>
    /// moves <see cref="Length"/> on once every block has appended.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        if (layer < 0 || layer >= Layers)
        {
            throw new InvalidOperationException($"Layer {layer} appended to a cache that serves layers 0 to {Layers - 1}.");
        }
        if (_appended[layer])
        {
            throw new InvalidOperationException(
                $"Layer {layer} appended twice in one pass: each block appends once, then the pass calls Advance.");
        }
        _appended[layer] = true;
        long needed = Length + keys.size(2);
        _keys[layer] = Store(_keys[layer], keys, needed);
        _values[layer] = Store(_values[layer], values, needed);
        return (_keys[layer]!.narrow(2, 0, needed), _values[layer]!.narrow(2, 0, needed));
    }

    /// <summary>Block <paramref name="layer"/>'s key and value storage [batch, kv_heads, capacity, head_dim], whose first
    /// positions are those <see cref="Append"/> returned views of; null before its first append.</summary>
    internal (Tensor? Keys, Tensor? Values) Storage(int layer) => (_keys[layer], _values[layer]);

    /// <summary>Records that <paramref name="count"/> positions were appended to every block, with their padding mask.</summary>
    internal void Advance(long count, Tensor? newMask)
    {
        int missing = Array.IndexOf(_appended, false);
        if (missing >= 0)
        {
            throw new InvalidOperationException(
                $"Advance called before layer {missing} appended: every one of the cache's {Layers} layers appends once per pass, then Advance.");
        }
        Array.Clear(_appended);
        Length += count;
        if (newMask is null && _mask is null)
        {
            return;
        }
        using var scope = NewDisposeScope();
        // An ordinary tensor even in inference mode, as the storage (see Store).
        using var ordinary = inference_mode(false);
        Tensor full = _mask is null
            ? cat([ones(newMask!.shape[0], Length - count, dtype: newMask.dtype, device: newMask.device), newMask], 1)
            : cat([_mask, newMask ?? ones(_mask.shape[0], count, dtype: _mask.dtype, device: _mask.device)], 1);
        _mask?.Dispose();
        _mask = full.DetachFromDisposeScope();
    }

    /// <summary>Forgets every position from <paramref name="length"/> on, keeping the first ones: a shared
    /// prefix (such as a compressed context) then serves the next question without recomputation. Also ends a
    /// pass that failed part-way, so the cache serves the next pass at its length.</summary>
    internal void Truncate(long length)
    {
        if (length < 0 || length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The cache holds {Length} positions.");
        }
        // Rows past the kept length are forgotten, those of a pass that failed before Advance among them.
        Array.Clear(_appended);
        Length = length;
        if (_mask is not null)
        {
            // Truncate can run outside any dispose scope: the narrowed view is disposed here, only the copy kept.
            using Tensor view = _mask.narrow(1, 0, length);
            Tensor kept = view.clone().DetachFromDisposeScope();
            _mask.Dispose();
            _mask = kept;
        }
    }

    /// <summary>A new cache holding a copy of the first <paramref name="length"/> positions: an extended
    /// compressed context starts from the earlier one's cache while that one stays usable.</summary>
    internal KvCache CopyPrefix(long length)
    {
        if (length < 0 || length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The cache holds {Length} positions.");
        }
        using var scope = NewDisposeScope();
        var copy = new KvCache(Layers) { Length = length };
        for (int layer = 0; layer < Layers; layer++)
        {
            copy._keys[layer] = _keys[layer]?.narrow(2, 0, length).clone().DetachFromDisposeScope();
            copy._values[layer] = _values[layer]?.narrow(2, 0, length).clone().DetachFromDisposeScope();
        }
        copy._mask = _mask?.narrow(1, 0, length).clone().DetachFromDisposeScope();
        return copy;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor? tensor in _keys.Concat(_values))
        {
            tensor?.Dispose();
        }
        Array.Clear(_keys);
        Array.Clear(_values);
        _mask?.Dispose();
        _mask = null;
    }

    private Tensor Store(Tensor? storage, Tensor update, long needed)
    {
        if (storage is null || storage.size(2) < needed)
        {
            long capacity = Math.Max(Math.Max(needed, _reserved), storage is null ? needed : storage.size(2) * 2);
            Tensor grown;
            // Decoding runs in inference mode, whose new tensors may never be written in place outside it; the cache's
            // storage is written by every later pass, whatever its mode (compression, training on answers), so it is
            // always an ordinary tensor. Positions past Length are never read, so new storage is left unzeroed.
            using (inference_mode(false))
            {
                grown = empty([update.size(0), update.size(1), capacity, update.size(3)], dtype: update.dtype, device: update.device).DetachFromDisposeScope();
            }
            if (storage is not null)
            {
                grown.narrow(2, 0, Length).copy_(storage.narrow(2, 0, Length));
                storage.Dispose();
            }
            storage = grown;
        }
        storage.narrow(2, Length, update.size(2)).copy_(update);
        return storage;
    }
}
