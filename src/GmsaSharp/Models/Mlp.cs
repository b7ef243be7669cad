using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>The SwiGLU feed-forward network: down(silu(gate(x)) * up(x)).</summary>
#pragma warning disable IDE1006 // field names are HuggingFace state-dict keys
internal sealed class Mlp : nn.Module
{
    private readonly int _layer;
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public Mlp(DecoderConfig config, int layer, Device device, ScalarType dtype) : base(nameof(Mlp))
    {
        _layer = layer;
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        RegisterComponents();
    }

    /// <summary>Applies the MLP to <paramref name="x"/> [batch, seq, hidden].</summary>
    public Tensor Forward(Tensor x, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        Tensor gated = nn.functional.silu(Project(gate_proj, "gate_proj", x, adapters)) * Project(up_proj, "up_proj", x, adapters);
        return Project(down_proj, "down_proj", gated, adapters).MoveToOuterDisposeScope();
    }

    private Tensor Project(Linear projection, string name, Tensor input, IProjectionAdapters? adapters) =>
        AdaptedProjection.Apply(projection, _layer, name, input, adapters);
}
#pragma warning restore IDE1006
