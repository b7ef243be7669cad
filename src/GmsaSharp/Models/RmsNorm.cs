using GmsaSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GmsaSharp.Models;

/// <summary>RMSNorm: y = w * x / sqrt(mean(x^2) + eps), with the statistics taken in fp32 as in HF Llama.</summary>
/// <remarks>Like every module of ours it is called through <c>Forward</c>; <c>forward</c> is TorchSharp's own modules' (Linear, Embedding).</remarks>
internal sealed unsafe class RmsNorm : nn.Module
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
        if (IsOneToken(x))
        {
            return NormalizeOneToken(x);
        }
        using var scope = NewDisposeScope();
        Tensor x32 = x.to(ScalarType.Float32);
        // In place where the tensor is our own fresh result: the same numbers with fewer allocations, in a module
        // that runs twice per block of every decoding step. (The mean is not needed by any backward, and rsqrt's
        // backward reads its output, which in place is what it saves.)
        // pow with a held 2, not square(): TorchSharp's square() is pow(2) with a Scalar nothing holds (see HeldScalars).
        using Scalar two = 2.ToScalar(), eps = _eps.ToScalar();
        Tensor scale = x32.pow(two).mean([-1], keepdim: true).PlusInPlace(eps).rsqrt_();
        return (weight * (x32 * scale).to(x.dtype)).MoveToOuterDisposeScope();
    }

    // A decoding step normalises one token's row [1, 1, hidden] (or its heads' rows [1, 1, heads, head_dim] for
    // Qwen3's q/k norm) twice per block: eight libtorch ops per call cost more than the arithmetic. The same
    // arithmetic in one pass: the sum of squares in float32, the normalised value rounded to the dtype, then the weight
    // product rounded once more, exactly as the ops above; only the order of the float32 additions differs, as in the
    // step's projections (SingleRowLinear). Longer inputs keep libtorch's ops, so prefill, compression and training
    // are unchanged.
    internal bool IsOneToken(Tensor x)
    {
        if (x.dim() < 3 || x.size(0) != 1 || x.size(1) != 1 || x.NumberOfElements == 0 || x.size(-1) != weight.size(0))
        {
            return false;
        }
        return OwnLoopOperands.Readable(x, weight);
    }

    private Tensor NormalizeOneToken(Tensor x)
    {
        Tensor output = empty_like(x);
        bool bfloat16 = x.dtype == ScalarType.BFloat16;
        long size = x.size(-1), rows = x.NumberOfElements / size;
        float eps = (float)_eps;
        fixed (byte* inputBytes = x.bytes, weightBytes = weight.bytes, outputBytes = output.bytes)
        {
            nint input = (nint)inputBytes, scale = (nint)weightBytes, result = (nint)outputBytes;
            for (long row = 0; row < rows; row++)
            {
                long first = row * size;
                float squares = 0;
                for (long i = 0; i < size; i++)
                {
                    float value = WidenedVectors.Element(input, first + i, bfloat16);
                    squares += value * value;
                }
                float inverseRms = 1f / MathF.Sqrt(squares / size + eps);
                for (long i = 0; i < size; i++)
                {
                    float normalized = BFloat16Bits.Rounded(WidenedVectors.Element(input, first + i, bfloat16) * inverseRms, bfloat16);
                    WidenedVectors.Store(result, first + i, WidenedVectors.Element(scale, i, bfloat16) * normalized, bfloat16);
                }
            }
        }
        return output;
    }
}
