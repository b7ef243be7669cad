using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>The decoder stack: token embeddings, the blocks and the final norm (HF's <c>model.*</c>).</summary>
#pragma warning disable IDE1006 // field names are HuggingFace state-dict keys
internal sealed class DecoderModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderBlock> layers;
    private readonly RmsNorm norm;

    /// <summary>A randomly initialised stack shaped by <paramref name="config"/>.</summary>
    public DecoderModel(DecoderConfig config, Device device, ScalarType dtype) : base(nameof(DecoderModel))
    {
        Config = config;
        Rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(i => new DecoderBlock(config, i, device, dtype)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>The configuration the stack was built from.</summary>
    public DecoderConfig Config { get; }

    /// <summary>The rotary frequencies.</summary>
    public RotaryEmbedding Rotary { get; }

    /// <summary>The blocks, in order.</summary>
    public IReadOnlyList<DecoderBlock> Blocks => layers.ToList();

    /// <summary>The final norm.</summary>
    public RmsNorm FinalNorm => norm;

    /// <summary>The token embedding matrix [vocab, hidden].</summary>
    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Embeds token ids [batch, seq] into [batch, seq, hidden].</summary>
    public Tensor Embed(Tensor tokenIds) => embed_tokens.forward(tokenIds);

    /// <summary>
    /// Runs <paramref name="blockCount"/> blocks (all by default) over input embeddings [batch, new, hidden]
    /// and applies the final norm.
    /// </summary>
    /// <param name="inputEmbeddings">Embeddings of the new positions.</param>
    /// <param name="padding">[batch, new] padding mask of the new positions (1 = real, 0 = padding) or null; the cache remembers earlier ones.</param>
    /// <param name="positionIds">[batch, new] positions, or null for the default.</param>
    /// <param name="cache">Cache to read and extend, or null.</param>
    /// <param name="adapters">Per-call projection adapters, or null.</param>
    /// <param name="blockCount">How many leading blocks to run.</param>
    public Tensor Forward(Tensor inputEmbeddings, Tensor? padding, Tensor? positionIds, KvCache? cache, IProjectionAdapters? adapters, int? blockCount = null)
    {
        int count = blockCount ?? layers.Count;
        if (count < 0 || count > layers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(blockCount), count, $"The model has {layers.Count} blocks.");
        }
        return DecoderStack.Run(layers.Take(count).ToList(), norm, Rotary, Config, inputEmbeddings, padding, positionIds, cache, adapters);
    }
}
#pragma warning restore IDE1006
