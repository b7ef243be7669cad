using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// LoRA adapters merged into copies of the blocks they adapt, W' = W + (alpha / r) B A, for inference: a pass given
/// these adapters (<see cref="DecoderStack.Run"/>) runs the copies in place of the adapted blocks, so an adapted
/// projection costs one matmul and no per-call adapter ops. An adapter costs rank × (in + out) multiply-adds per token
/// against in × out for its projection: 55% more on the bundled 192-wide model at rank 64, about 5% on a 4096-wide one
/// at rank 128; and in a decoding step each adapter adds several small ops, which on a small model cost more than the
/// matmuls. The copies cost memory (the adapted blocks' weights), so merging is only <see cref="IsWorthwhile"/> where
/// the adapters cost more than a tenth of the projections they adapt. Training, and anything that needs gradients,
/// reads the base's blocks through the adapters instead; a copy is made from the adapters as they are when it is built
/// and must be rebuilt after they change.
/// </summary>
internal sealed class MergedBlocks : IProjectionAdapters, IDisposable
{
    /// <summary>The adapters' share of the projections' multiply-adds above which merging pays for its copies.</summary>
    public const double CostThreshold = 0.1;

    private readonly List<DecoderBlock> _blocks = [];
    private readonly List<Dictionary<string, Parameter>> _parameters = [];
    private readonly HashSet<string> _targets;

    /// <summary>Copies the blocks of <paramref name="decoder"/> that <paramref name="adapters"/> adapt (the first
    /// <see cref="LoraAdapters.BlockCount"/>) and adds each adapter's weight change to its projection (computed in fp32,
    /// stored in the decoder's dtype).</summary>
    public MergedBlocks(DecoderModel decoder, LoraAdapters adapters)
    {
        Device device = decoder.EmbeddingWeight.device;
        ScalarType dtype = decoder.EmbeddingWeight.dtype;
        _targets = adapters.Settings.Targets.ToHashSet(StringComparer.Ordinal);
        using var noGrad = no_grad();
        try
        {
            CopyAndMerge(decoder, adapters, device, dtype);
        }
        catch
        {
            // Out of memory halfway, say: the copies made so far would otherwise never be disposed.
            Dispose();
            throw;
        }
    }

    private void CopyAndMerge(DecoderModel decoder, LoraAdapters adapters, Device device, ScalarType dtype)
    {
        for (int layer = 0; layer < adapters.BlockCount; layer++)
        {
            var block = new DecoderBlock(decoder.Config, layer, device, dtype);
            _blocks.Add(block);
            var source = decoder.Blocks[layer].named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var weights = block.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            _parameters.Add(weights);
            foreach ((string name, Parameter target) in weights)
            {
                target.requires_grad = false;
                target.copy_(source[name]);
            }
            foreach (string projection in adapters.Settings.Targets)
            {
                using var scope = NewDisposeScope();
                Parameter weight = weights[WeightName(projection)];
                weight.copy_(weight.to(ScalarType.Float32).PlusInPlace(adapters.WeightChange(layer, projection)).to(dtype));
            }
            // Built lazily, possibly inside a caller's dispose scope (compression and answering run in one): the copies
            // live until these merged blocks are disposed, not until that scope ends.
            foreach (Tensor tensor in block.parameters().Cast<Tensor>().Concat(block.buffers()))
            {
                tensor.DetachFromDisposeScope();
            }
        }
    }

    /// <summary>How many leading blocks are merged copies.</summary>
    public int BlockCount => _blocks.Count;

    /// <summary>Whether merging <paramref name="lora"/> on a model shaped by <paramref name="config"/> pays for its copies.</summary>
    public static bool IsWorthwhile(DecoderConfig config, LoraSettings lora)
    {
        double projection = lora.Targets.Sum(target => (double)LoraAdapters.InputSize(config, target) * LoraAdapters.OutputSize(config, target));
        double adapter = lora.Targets.Sum(target => (double)lora.Rank * (LoraAdapters.InputSize(config, target) + LoraAdapters.OutputSize(config, target)));
        return adapter > CostThreshold * projection;
    }

    /// <summary>The blocks a pass runs: the merged copy of each adapted block, the base's own block after them.</summary>
    public IReadOnlyList<DecoderBlock> InPlaceOf(IReadOnlyList<DecoderBlock> baseBlocks) =>
        baseBlocks.Select((block, layer) => layer < _blocks.Count ? _blocks[layer] : block).ToList();

    /// <summary>The adapted projection of <paramref name="input"/>, x W'ᵀ + b, from the merged weight (its base output
    /// is not needed). Passes run the copies instead (<see cref="InPlaceOf"/>); this serves a caller that applies
    /// adapters projection by projection.</summary>
    public Tensor Adapt(int layer, string projection, Tensor input, Tensor output)
    {
        if (layer >= _blocks.Count || !_targets.Contains(projection))
        {
            return output;
        }
        _parameters[layer].TryGetValue(BiasName(projection), out Parameter? bias);
        return nn.functional.linear(input, _parameters[layer][WeightName(projection)], bias);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (DecoderBlock block in _blocks)
        {
            block.Dispose();
        }
        _blocks.Clear();
        _parameters.Clear();
    }

    private static string WeightName(string projection) => ModuleName(projection) + ".weight";

    private static string BiasName(string projection) => ModuleName(projection) + ".bias";

    private static string ModuleName(string projection) => projection switch
    {
        "q_proj" or "k_proj" or "v_proj" or "o_proj" => $"self_attn.{projection}",
        _ => $"mlp.{projection}",
    };
}
