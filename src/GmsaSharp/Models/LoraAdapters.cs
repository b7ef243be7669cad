using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// LoRA adapters on the projections of the first blocks of a decoder: y = W x + (alpha / r) B A dropout(x).
/// A starts uniform in ±1/sqrt(in) and B at zero, so a fresh adapter leaves the model unchanged. The adapter
/// weights stay fp32 (master weights for training) and are cast to the activations' dtype on use.
/// State-dict names: <c>layers.{i}.{projection}.lora_A</c> / <c>lora_B</c>.
/// </summary>
#pragma warning disable IDE1006 // field names are state-dict keys
internal sealed class LoraAdapters : nn.Module, IProjectionAdapters
{
    private readonly ModuleList<ModuleDict<LoraPair>> layers;

    /// <summary>Adapters for blocks 0..<paramref name="blockCount"/>-1 of a model shaped by <paramref name="config"/>.</summary>
    public LoraAdapters(DecoderConfig config, int blockCount, LoraSettings settings, Device device, long seed) : base(nameof(LoraAdapters))
    {
        settings.Validate();
        Settings = settings;
        var generator = new Generator((ulong)seed);
        var blocks = new List<ModuleDict<LoraPair>>();
        for (int layer = 0; layer < blockCount; layer++)
        {
            var pairs = settings.Targets
                .Select(target => (target, new LoraPair(InputSize(config, target), OutputSize(config, target), settings.Rank, device, generator)))
                .ToArray();
            blocks.Add(nn.ModuleDict(pairs));
        }
        layers = nn.ModuleList(blocks.ToArray());
        RegisterComponents();
    }

    /// <summary>Rank, alpha, dropout and targets.</summary>
    public LoraSettings Settings { get; }

    /// <summary>How many leading blocks are adapted.</summary>
    public int BlockCount => layers.Count;

    /// <inheritdoc/>
    public Tensor Adapt(int layer, string projection, Tensor input, Tensor output)
    {
        if (layer >= layers.Count || !layers[layer].TryGetValue(projection, out LoraPair? pair))
        {
            return output;
        }
        using var scope = NewDisposeScope();
        Tensor x = Settings.Dropout > 0 ? nn.functional.dropout(input, Settings.Dropout, training) : input;
        Tensor delta = nn.functional.linear(nn.functional.linear(x, pair.A.to(input.dtype)), pair.B.to(input.dtype));
        using Scalar scale = Settings.Scale.ToScalar();
        return output.Plus(delta * scale).MoveToOuterDisposeScope();
    }

    /// <summary>The change this adapter makes to the weight of <paramref name="projection"/> in block <paramref name="layer"/>,
    /// (alpha / r) B A, as an fp32 [out, in] tensor: what merging it into that weight adds.</summary>
    public Tensor WeightChange(int layer, string projection)
    {
        if (layer >= layers.Count || !layers[layer].TryGetValue(projection, out LoraPair? pair))
        {
            throw new ArgumentException($"No adapter on {projection} of block {layer}.", nameof(projection));
        }
        using var scope = NewDisposeScope();
        using Scalar scale = Settings.Scale.ToScalar();
        return pair.B.detach().matmul(pair.A.detach()).mul_(scale).MoveToOuterDisposeScope();
    }

    /// <summary>Input width of <paramref name="projection"/> in a model shaped by <paramref name="config"/>.</summary>
    internal static long InputSize(DecoderConfig config, string projection) => projection switch
    {
        "o_proj" => config.Heads * config.HeadDim,
        "down_proj" => config.IntermediateSize,
        _ => config.HiddenSize,
    };

    /// <summary>Output width of <paramref name="projection"/> in a model shaped by <paramref name="config"/>.</summary>
    internal static long OutputSize(DecoderConfig config, string projection) => projection switch
    {
        "q_proj" => config.Heads * config.HeadDim,
        "k_proj" or "v_proj" => config.KvHeads * config.HeadDim,
        "gate_proj" or "up_proj" => config.IntermediateSize,
        _ => config.HiddenSize,
    };

    /// <summary>One adapter: A [rank, in] and B [out, rank].</summary>
    internal sealed class LoraPair : nn.Module
    {
        private readonly Parameter lora_A;
        private readonly Parameter lora_B;

        /// <summary>A fresh pair: A uniform in ±1/sqrt(in) (PEFT's default bound), B zero.</summary>
        public LoraPair(long inputSize, long outputSize, int rank, Device device, Generator generator) : base(nameof(LoraPair))
        {
            double bound = 1.0 / Math.Sqrt(inputSize);
            using (no_grad())
            {
                using Scalar two = 2.ToScalar(), scale = bound.ToScalar();
                using Tensor uniform = rand(rank, inputSize, generator: generator);
                using Tensor symmetric = uniform * two - HeldScalars.One;
                using Tensor bounded = symmetric * scale;
                lora_A = nn.Parameter(bounded.to(device));
                lora_B = nn.Parameter(zeros(outputSize, rank, device: device));
            }
            RegisterComponents();
        }

        /// <summary>The down projection A.</summary>
        public Parameter A => lora_A;

        /// <summary>The up projection B.</summary>
        public Parameter B => lora_B;
    }
}
#pragma warning restore IDE1006
