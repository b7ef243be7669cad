using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>
/// Linear layers that read the same input (q, k and v; gate and up) with their weights and biases moved into one
/// tensor each, the layers' parameters becoming views of it. An inference call then reads all the weights with
/// one matmul instead of one per layer, which matters for decoding, where each call is a matrix-vector product
/// bounded by memory bandwidth and per-op overhead. The layers keep their HuggingFace names and stay the
/// parameters that loading, training and saving see, so nothing else changes.
/// </summary>
internal sealed class FusedLinear : IDisposable
{
    private readonly Linear[] _parts;
    private readonly Tensor _weight;
    private readonly Tensor? _bias;
    private readonly long[] _sizes;
    private readonly Parameter[] _views;
    private readonly Parameter?[] _biasViews;

    /// <summary>Fuses <paramref name="parts"/>, which must share their input size and either all have a bias or none.</summary>
    public FusedLinear(params Linear[] parts)
    {
        _parts = parts;
        _sizes = parts.Select(part => part.weight!.shape[0]).ToArray();
        using var noGrad = no_grad();
        _weight = cat(parts.Select(part => (Tensor)part.weight!).ToArray(), 0).DetachFromDisposeScope();
        bool biased = parts[0].bias is not null;
        if (parts.Any(part => (part.bias is not null) != biased))
        {
            throw new ArgumentException("Fused layers must all have a bias or none.", nameof(parts));
        }
        _bias = biased ? cat(parts.Select(part => (Tensor)part.bias!).ToArray(), 0).DetachFromDisposeScope() : null;
        _views = new Parameter[parts.Length];
        _biasViews = new Parameter?[parts.Length];
        long offset = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            Linear part = parts[i];
            part.weight = _views[i] = new Parameter(_weight.narrow(0, offset, _sizes[i]), part.weight!.requires_grad);
            if (_bias is not null)
            {
                part.bias = _biasViews[i] = new Parameter(_bias.narrow(0, offset, _sizes[i]), part.bias!.requires_grad);
            }
            offset += _sizes[i];
        }
    }

    /// <summary>Each layer's output for <paramref name="input"/>, in order.</summary>
    public Tensor[] Forward(Tensor input)
    {
        if (!CanFuse())
        {
            return _parts.Select(part => SingleRowLinear.Forward(input, part.weight!, part.bias)).ToArray();
        }
        return SingleRowLinear.Forward(input, _weight, _bias).split(_sizes, -1);
    }

    // A gradient for the weights needs each layer's own parameter in the graph; and a layer whose parameter was
    // replaced (moved to another device, say) instead of updated in place is no longer what the fused tensor holds.
    // A plain loop: this runs for every block of every decoding step.
    private bool CanFuse()
    {
        bool gradients = is_grad_enabled();
        for (int i = 0; i < _parts.Length; i++)
        {
            Parameter weight = _parts[i].weight!;
            if (!ReferenceEquals(weight, _views[i]) || !ReferenceEquals(_parts[i].bias, _biasViews[i]) || (gradients && weight.requires_grad))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _weight.Dispose();
        _bias?.Dispose();
    }
}
