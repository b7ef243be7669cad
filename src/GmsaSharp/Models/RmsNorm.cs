using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>RMSNorm: y = w * x / sqrt(mean(x^2) + eps), with the statistics taken in fp32 as in HF Llama.</summary>
/// <remarks>Like every module of ours it is called through <c>Forward</c>; <c>forward</c> is TorchSharp's own modules' (Linear, Embedding).</remarks>
internal sealed class RmsNorm : nn.Module
{
    private readonly double _eps;
#pragma warning disable IDE1006 // HuggingFace state-dict name
    private readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>A norm over the last dimension of size <paramref name="size"/>, weight initialised to one.</summary>
    public RmsNorm(long size, double eps, Device device, ScalarType dtype) : base(nameof(RmsNorm))
    {
        _eps = eps;
        weight = nn.Parameter(ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The learned scale.</summary>
    public Parameter Weight => weight;

    /// <summary>Normalises <paramref name="x"/> over its last dimension.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor x32 = x.to(ScalarType.Float32);
        // In place where the tensor is our own fresh result: the same numbers with fewer allocations, in a module
        // that runs twice per block of every decoding step. (The mean is not needed by any backward, and rsqrt's
        // backward reads its output, which in place is what it saves.)
        Tensor scale = x32.square().mean([-1], keepdim: true).add_(_eps).rsqrt_();
        return (weight * (x32 * scale).to(x.dtype)).MoveToOuterDisposeScope();
    }
}
