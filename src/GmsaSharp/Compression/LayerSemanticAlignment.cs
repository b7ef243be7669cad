using GmsaSharp.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// GMSA's Layer Semantic Alignment: <c>n</c> trainable decoder blocks, initialised as copies of the base
/// decoder's first <c>n</c> blocks, then the base's (frozen) final norm. It reads the merged vectors as input
/// embeddings at positions 0..m-1 with causal attention; its output lives in the decoder's input-embedding
/// space: these are the soft tokens.
/// </summary>
#pragma warning disable IDE1006 // field names are state-dict keys
internal sealed class LayerSemanticAlignment : nn.Module
{
    private readonly ModuleList<DecoderBlock> layers;
    // Not a module field: RegisterComponents would adopt the frozen base as a submodule of LSA.
    private readonly BaseParts _base;

    private sealed record BaseParts(RmsNorm FinalNorm, RotaryEmbedding Rotary, DecoderConfig Config);

    /// <summary>Copies the first <paramref name="blockCount"/> blocks of <paramref name="decoder"/>, in its dtype and on its device.</summary>
    public LayerSemanticAlignment(DecoderModel decoder, int blockCount) : base(nameof(LayerSemanticAlignment))
    {
        if (blockCount < 1 || blockCount > decoder.Config.Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(blockCount), blockCount, $"LSA needs between 1 and {decoder.Config.Layers} blocks.");
        }
        _base = new BaseParts(decoder.FinalNorm, decoder.Rotary, decoder.Config);
        Device device = decoder.EmbeddingWeight.device;
        ScalarType dtype = decoder.EmbeddingWeight.dtype;
        layers = nn.ModuleList(Enumerable.Range(0, blockCount).Select(i => new DecoderBlock(decoder.Config, i, device, dtype)).ToArray());
        RegisterComponents();
        using var noGrad = no_grad();
        for (int i = 0; i < blockCount; i++)
        {
            var source = decoder.Blocks[i].named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach ((string name, Parameter target) in layers[i].named_parameters())
            {
                target.copy_(source[name]);
            }
        }
    }

    /// <summary>How many blocks.</summary>
    public int BlockCount => layers.Count;

    /// <summary>Soft tokens [batch, m, hidden] from merged vectors [batch, m, hidden] and their mask [batch, m] (1 = real).
    /// With a <paramref name="cache"/> the vectors follow the ones it holds (causal attention, so earlier soft
    /// tokens never change): the path for extending a compressed context.</summary>
    public Tensor Forward(Tensor merged, Tensor? mask, KvCache? cache = null) =>
        DecoderStack.Run(layers.ToList(), _base.FinalNorm, _base.Rotary, _base.Config, merged, mask, positionIds: null, cache, adapters: null);
}
#pragma warning restore IDE1006
