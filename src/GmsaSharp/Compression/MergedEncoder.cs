using GmsaSharp.Models;
using GmsaSharp.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Compression;

/// <summary>
/// The encoder for inference with its LoRA merged into copies of the base's first k blocks, W' = W + (alpha / r) B A,
/// so that encoding a window costs the k blocks and nothing more. An adapter costs rank × (in + out) multiply-adds
/// per token against in × out for its projection: 55% more on the bundled 192-wide model at rank 64, about 5% on a
/// 4096-wide one at rank 128. The copies cost memory (k blocks' weights), so merging is only
/// <see cref="IsWorthwhile"/> where the adapters cost more than a tenth of the projections they adapt. Training
/// and anything that needs gradients read the base's blocks through the adapters instead.
/// </summary>
internal sealed class MergedEncoder : IDisposable
{
    /// <summary>The adapters' share of the projections' multiply-adds above which merging pays for its copies.</summary>
    public const double CostThreshold = 0.1;

    private readonly List<DecoderBlock> _blocks;
    private readonly DecoderModel _decoder;

    /// <summary>Copies the first <paramref name="blockCount"/> blocks of <paramref name="decoder"/> and adds each
    /// adapter's weight change to its projection (computed in fp32, stored in the decoder's dtype).</summary>
    public MergedEncoder(DecoderModel decoder, LoraAdapters adapters, int blockCount)
    {
        _decoder = decoder;
        Device device = decoder.EmbeddingWeight.device;
        ScalarType dtype = decoder.EmbeddingWeight.dtype;
        _blocks = [];
        using var noGrad = no_grad();
        for (int layer = 0; layer < blockCount; layer++)
        {
            var block = new DecoderBlock(decoder.Config, layer, device, dtype);
            _blocks.Add(block);
            var source = decoder.Blocks[layer].named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach ((string name, Parameter target) in block.named_parameters())
            {
                target.requires_grad = false;
                target.copy_(source[name]);
            }
            var weights = block.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (string projection in adapters.Settings.Targets)
            {
                using var scope = NewDisposeScope();
                Parameter weight = weights[ParameterName(projection)];
                weight.copy_(weight.to(ScalarType.Float32).PlusInPlace(adapters.WeightChange(layer, projection)).to(dtype));
            }
            // Built lazily, possibly inside a caller's dispose scope (compression runs in one): the copies live
            // until this encoder is disposed, not until that scope ends.
            foreach (Tensor tensor in block.parameters().Cast<Tensor>().Concat(block.buffers()))
            {
                tensor.DetachFromDisposeScope();
            }
        }
    }

    /// <summary>Whether merging <paramref name="lora"/> on a model shaped by <paramref name="config"/> pays for its copies.</summary>
    public static bool IsWorthwhile(DecoderConfig config, LoraSettings lora)
    {
        double projection = lora.Targets.Sum(target => (double)LoraAdapters.InputSize(config, target) * LoraAdapters.OutputSize(config, target));
        double adapter = lora.Targets.Sum(target => (double)lora.Rank * (LoraAdapters.InputSize(config, target) + LoraAdapters.OutputSize(config, target)));
        return adapter > CostThreshold * projection;
    }

    /// <summary>Encoder states [batch, L, hidden], as the base's first k blocks with the adapters and the final norm give them.</summary>
    public Tensor Forward(Tensor embeddings, Tensor? mask) =>
        DecoderStack.Run(_blocks, _decoder.FinalNorm, _decoder.Rotary, _decoder.Config, embeddings, mask, positionIds: null, cache: null, adapters: null);

    public void Dispose()
    {
        foreach (DecoderBlock block in _blocks)
        {
            block.Dispose();
        }
        _blocks.Clear();
    }

    private static string ParameterName(string projection) => projection switch
    {
        "q_proj" or "k_proj" or "v_proj" or "o_proj" => $"self_attn.{projection}.weight",
        _ => $"mlp.{projection}.weight",
    };
}
