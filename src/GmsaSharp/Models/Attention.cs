using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Multi-head causal self-attention with grouped-query heads:
/// q = x Wq, k = x Wk, v = x Wv (optional biases; Qwen3 normalises q and k per head), rotary on q and k,
/// softmax(q k^T / sqrt(head_dim) + mask) v, then Wo.
/// </summary>
#pragma warning disable IDE1006 // field names are HuggingFace state-dict keys
internal sealed class Attention : nn.Module
{
    private readonly int _layer;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;

    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly RmsNorm? q_norm;
    private readonly RmsNorm? k_norm;
    private readonly FusedLinear _qkv;

    /// <summary>Attention of block <paramref name="layer"/> of a model shaped by <paramref name="config"/>.</summary>
    public Attention(DecoderConfig config, int layer, Device device, ScalarType dtype) : base(nameof(Attention))
    {
        _layer = layer;
        _heads = config.Heads;
        _kvHeads = config.KvHeads;
        _headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, _heads * _headDim, config.QkvBias, device, dtype);
        k_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, config.QkvBias, device, dtype);
        v_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, config.QkvBias, device, dtype);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, config.OutputBias, device, dtype);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(_headDim, config.RmsNormEps, device, dtype);
            k_norm = new RmsNorm(_headDim, config.RmsNormEps, device, dtype);
        }
        RegisterComponents();
        _qkv = new FusedLinear(q_proj, k_proj, v_proj);
    }

    /// <summary>Attends <paramref name="x"/> [batch, seq, hidden] to itself and to the cached positions.</summary>
    /// <param name="x">Normalised hidden states of the new positions.</param>
    /// <param name="cos">Rotary cos table [batch, 1, seq, head_dim] of the new positions (<see cref="RotaryEmbedding.Tables"/>).</param>
    /// <param name="signedSin">Rotary signed sin table, the same shape.</param>
    /// <param name="mask">Which keys each query may see, [batch, 1, seq, keys] (true = attend); null when <see cref="AttentionMasks.Causal"/> found none needed.</param>
    /// <param name="cache">Keys and values of earlier positions, extended in place; or null.</param>
    /// <param name="adapters">Per-call projection adapters, or null.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor signedSin, Tensor? mask, KvCache? cache, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        long batch = x.size(0), length = x.size(1);

        Tensor[] qkv = _qkv.Forward(x);
        Tensor q = Heads(Adapt("q_proj", x, qkv[0], adapters), _heads, q_norm);
        Tensor k = Heads(Adapt("k_proj", x, qkv[1], adapters), _kvHeads, k_norm);
        Tensor v = Heads(Adapt("v_proj", x, qkv[2], adapters), _kvHeads, null);
        q = RotaryEmbedding.Apply(q, cos, signedSin);
        k = RotaryEmbedding.Apply(k, cos, signedSin);
        if (cache is not null)
        {
            (k, v) = cache.Append(_layer, k, v);
        }

        Tensor attended = length == 1 && mask is null && cache?.Storage(_layer) is ({ } keys, { } values)
            && SingleQueryAttention.Applies(q, keys, values, k.size(2))
            ? SingleQueryAttention.Forward(q, keys, values, k.size(2), get_num_threads())
            : Attend(q, k, v, mask, batch, length);
        Tensor merged = attended.transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return Adapt("o_proj", merged, SingleRowLinear.Forward(merged, o_proj.weight!, o_proj.bias), adapters).MoveToOuterDisposeScope();
    }

    // Grouped-query attention: each KV head serves heads / kv_heads consecutive query heads.
    private Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, long batch, long length)
    {
        int group = _heads / _kvHeads;
        if (group > 1 && length == 1 && mask is null)
        {
            // One new token that sees every key: fold each KV head's query heads into the query axis, so the
            // cached keys and values are read in place instead of being repeated for every step.
            Tensor folded = q.reshape(batch, _kvHeads, group, _headDim);
            return nn.functional.scaled_dot_product_attention(folded, k, v).reshape(batch, _heads, 1, _headDim);
        }
        if (group > 1)
        {
            k = k.repeat_interleave(group, dim: 1);
            v = v.repeat_interleave(group, dim: 1);
        }
        // Without a mask: causal over the new positions when nothing is cached, else a single query that sees all keys.
        return mask is not null
            ? nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask)
            : nn.functional.scaled_dot_product_attention(q, k, v, is_casual: k.size(2) == length);
    }

    // [batch, seq, heads * head_dim] -> [batch, heads, seq, head_dim], with Qwen3's per-head norm.
    private Tensor Heads(Tensor projected, int heads, RmsNorm? norm)
    {
        Tensor split = projected.view(projected.size(0), projected.size(1), heads, _headDim);
        if (norm is not null)
        {
            split = norm.Forward(split);
        }
        return split.transpose(1, 2);
    }

    private Tensor Adapt(string name, Tensor input, Tensor output, IProjectionAdapters? adapters) =>
        AdaptedProjection.Adapt(_layer, name, input, output, adapters);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _qkv.Dispose();
        }
        base.Dispose(disposing);
    }
}
#pragma warning restore IDE1006
