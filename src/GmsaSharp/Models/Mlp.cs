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
    private readonly FusedLinear _gateUp;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public Mlp(DecoderConfig config, int layer, Device device, ScalarType dtype) : base(nameof(Mlp))
    {
        _layer = layer;
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        RegisterComponents();
        _gateUp = new FusedLinear(gate_proj, up_proj);
    }

    /// <summary>Applies the MLP to <paramref name="x"/> [batch, seq, hidden].</summary>
    public Tensor Forward(Tensor x, IProjectionAdapters? adapters)
    {
        using var scope = NewDisposeScope();
        Tensor[] gateUp = _gateUp.Forward(x);
        Tensor gated = nn.functional.silu(Adapt("gate_proj", x, gateUp[0], adapters)) * Adapt("up_proj", x, gateUp[1], adapters);
        return Adapt("down_proj", gated, SingleRowLinear.Forward(gated, down_proj.weight!, down_proj.bias), adapters).MoveToOuterDisposeScope();
    }

    private Tensor Adapt(string name, Tensor input, Tensor output, IProjectionAdapters? adapters) =>
        AdaptedProjection.Adapt(_layer, name, input, output, adapters);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gateUp.Dispose();
        }
        base.Dispose(disposing);
    }
}
#pragma warning restore IDE1006
