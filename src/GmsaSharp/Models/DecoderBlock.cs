using GmsaSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>One pre-norm transformer block: h = x + Attn(Norm(x)); out = h + MLP(Norm(h)).</summary>
#pragma warning disable IDE1006 // field names are HuggingFace state-dict keys
internal sealed class DecoderBlock : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly Attention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly Mlp mlp;

    /// <summary>Block number <paramref name="layer"/> of a model shaped by <paramref name="config"/>.</summary>
    public DecoderBlock(DecoderConfig config, int layer, Device device, ScalarType dtype) : base(nameof(DecoderBlock))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        self_attn = new Attention(config, layer, device, dtype);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        mlp = new Mlp(config, layer, device, dtype);
        RegisterComponents();
    }

    /// <summary>Runs the block; arguments as in <see cref="Attention.Forward"/>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor signedSin, Tensor? mask, KvCache? cache, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        // The sums pass their alpha explicitly (see HeldScalars).
        Tensor h = x.Plus(self_attn.Forward(input_layernorm.Forward(x), cos, signedSin, mask, cache, adapters));
        Tensor output = h.Plus(mlp.Forward(post_attention_layernorm.Forward(h), adapters));
        return output.MoveToOuterDisposeScope();
    }
}
#pragma warning restore IDE1006
